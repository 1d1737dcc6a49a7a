"""A third built-in procedure, in Italian: domanda di permesso di dimora (residence permit).

Generated only (not shipped): its redundancies sit in other places than in the two shipped
procedures (mergeable steps at the start, rework at the end, a daily rather than weekly
batch, a required double check inside a parallel block), so that detectors validated on
it are not tuned to one process shape.
"""

from __future__ import annotations

from ..log import ACTIVITY, CASE, GROUP, RESOURCE, START, TIMESTAMP
from ._spec import (
    Attribute,
    Chain,
    GroundTruth,
    Loop,
    Par,
    Pool,
    ProcedureSpec,
    Repeat,
    Seq,
    Shuffle,
    Step,
    TruthSpec,
    When,
    Xor,
)

__all__ = ["residence_it"]


def _t(when: str, kind: str, activities: tuple[str, ...], units: tuple[str, ...] = (), *,
       decoy: bool = False, required: bool = False, note: str = "") -> TruthSpec:
    return TruthSpec(GroundTruth(kind, activities, units, decoy, required, note), when)


def residence_it() -> ProcedureSpec:
    CA = "Ufficio controllo abitanti"
    UM = "Ufficio della migrazione"
    PC = "Polizia cantonale"
    IL = "Ispettorato del lavoro"
    SP = "Servizio spedizioni"
    CC = "Cassa cantonale"
    NAT = "Nazionalità"
    SYS = "Sportello online"

    inoltrata = Step("Domanda inoltrata", CA, minutes=0, system=SYS, delay=0)
    registrazione = Step("Registrazione della domanda", CA, minutes=12, sigma=0.4, delay=90)
    scansione = Step("Scansione dei documenti", CA, minutes=6, sigma=0.3)
    reg_scan = Step("Registrazione e scansione", CA, minutes=18, sigma=0.4, delay=90)
    identita_ca = Step("Verifica dell'identità", CA, minutes=10, sigma=0.4)
    indirizzo = Step("Verifica indirizzo nel registro", CA, minutes=2, sigma=0.15, delay=60, delay_sigma=0.5)
    trasmissione = Step("Trasmissione all'Ufficio della migrazione", CA, minutes=8, sigma=0.3)
    esame = Step("Esame della domanda", UM, minutes=90, sigma=0.45, pool="Migrazione esame", transit_days=1)
    esame_bis = Step("Esame della domanda", UM, minutes=40, sigma=0.45, pool="Migrazione esame", transit_days=14)
    complemento = Step("Richiesta di documenti supplementari", UM, minutes=15, sigma=0.3, delay=60)
    identita_um = Step("Verifica dell'identità", UM, minutes=12, sigma=0.4)
    casellario_pc = Step("Verifica del casellario giudiziale", PC, minutes=25, sigma=0.4, transit_days=1)
    # (the police checks first; the migration office's own check follows its examination)
    casellario_um = Step("Verifica del casellario giudiziale", UM, minutes=15, sigma=0.4)
    mezzi = Step("Verifica dei mezzi finanziari", IL, minutes=40, sigma=0.5, transit_days=1)
    lavoro = Step("Verifica del contratto di lavoro", IL, minutes=30, sigma=0.5)
    domanda_pc = Step("Richiesta di rapporto alla Polizia", UM, minutes=15, sigma=0.4, delay=300)
    rapporto_pc = Step("Rapporto di polizia completato", PC, minutes=35, sigma=0.5, delay=600)
    biometria_attesa = Step("Attesa appuntamento biometrico", UM, minutes=0, system=SYS, calendar_days=14, delay=0)
    biometria = Step("Rilevamento dati biometrici", UM, minutes=15, sigma=0.3, pool="Migrazione sportello",
                     delay=0)
    visto = Step("Visto del caposezione", UM, minutes=5, sigma=0.3, pool="Migrazione capo",
                     delay=900, delay_sigma=0.6)
    decisione = Step("Decisione", UM, minutes=30, sigma=0.4)
    rilasciato = Step("Permesso rilasciato", UM, minutes=0, system=SYS, delay=0)
    respinta = Step("Domanda respinta", UM, minutes=0, system=SYS, delay=0)
    fattura = Step("Emissione della fattura", CC, minutes=8, sigma=0.3, transit_days=1)
    ctrl_fattura = Step("Controllo della fattura", CC, minutes=5, sigma=0.3, delay=240)
    pagamento = Step("Pagamento della tassa", CC, minutes=0, system="E-banking", transit_days=6, delay=0)
    stampa = Step("Stampa del permesso", SP, minutes=4, sigma=0.3)
    consegna = Step("Consegna del permesso", CA, minutes=10, sigma=0.3, transit_days=2)
    notifica = Step("Notifica del rifiuto", UM, minutes=20, sigma=0.3, delay=120)
    ricorso = Step("Termine di ricorso", UM, minutes=0, system=SYS, calendar_days=30, delay=0)

    root = Seq((
        inoltrata,
        When("mergeable", Chain((registrazione, scansione), gap=2.0), absent=reg_scan),
        identita_ca,
        When("automation_candidate", indirizzo),
        trasmissione,
        # the canton's police and the migration office must both consult the criminal record
        When("decoy", casellario_pc),
        When("decoy",
             Loop(esame, complemento, p=0.18, max_loops=1, by=NAT, again=esame_bis,
                  p_by={"UE/AELS": 0.1, "Stato terzo": 0.3}),
             absent=esame),
        When("duplicate_work", identita_um, share=0.6),
        casellario_um,
        When("parallelizable", Shuffle((mezzi, lavoro)), absent=Par((mezzi, lavoro))),
        When("ping_pong", Repeat(Seq((domanda_pc, rapporto_pc)), rounds=(1, 3)), share=0.25),
        biometria_attesa,
        biometria,
        When("rubber_stamp", visto),
        decisione,
        Xor(
            (Seq((rilasciato,
                  When("rework", Seq((fattura, ctrl_fattura, fattura, ctrl_fattura)), share=0.2,
                       otherwise=Seq((fattura, ctrl_fattura)), absent=fattura),
                  pagamento,
                  When("batching", Step(stampa.activity, SP, minutes=4, sigma=0.3, delay=0, release=(None, "15:30")),
                       absent=stampa),
                  consegna)),
             Seq((respinta, notifica, ricorso))),
            (0.88, 0.12),
            by=NAT,
            weights_by={"UE/AELS": (0.96, 0.04), "Stato terzo": (0.8, 0.2)},
        ),
    ))
    communes = ("Lugano", "Bellinzona", "Locarno", "Mendrisio", "Chiasso", "Biasca")
    pools = {
        CA: Pool(2, per_commune=True, commune_sizes={"Lugano": 3, "Biasca": 1}),
        "Migrazione esame": Pool(3, bottleneck_size=1),
        "Migrazione sportello": Pool(2),
        "Migrazione capo": Pool(1),
        UM: Pool(2),
        PC: Pool(2),
        IL: Pool(2),
        SP: Pool(1),
        CC: Pool(1),
    }
    truth = (
        _t("rework", "rework", ("Emissione della fattura", "Controllo della fattura"), (CC,),
           note="invoice issued again after a failed check in {share} of the granted cases"),
        _t("duplicate_work", "duplicate_work", ("Verifica dell'identità",), (CA, UM),
           note="identity checked by the commune and again by the migration office in {share} of cases"),
        _t("ping_pong", "ping_pong", ("Richiesta di rapporto alla Polizia", "Rapporto di polizia completato"),
           (UM, PC), note="1-3 round trips Ufficio della migrazione <-> Polizia cantonale in {share} of cases"),
        _t("rubber_stamp", "rubber_stamp", ("Visto del caposezione",), (UM,),
           note="sign-off that always leads to Decisione, waits about two days in the inbox"),
        _t("mergeable", "mergeable", ("Registrazione della domanda", "Scansione dei documenti"), (CA,),
           note="always back to back by the same person, a few minutes apart"),
        _t("parallelizable", "parallelizable", ("Verifica dei mezzi finanziari", "Verifica del contratto di lavoro"),
           (IL,), note="independent checks done one after the other in random order"),
        _t("bottleneck", "bottleneck", ("Esame della domanda",), (UM,),
           note="one case officer instead of three: the queue before this step dominates case duration"),
        _t("batching", "batching", ("Stampa del permesso",), (SP,),
           note="permits are printed once a day at 15:30"),
        _t("automation_candidate", "automation_candidate", ("Verifica indirizzo nel registro",), (CA,),
           note="every case, about 2 minutes, always the same, done by staff"),
        _t("always", "rubber_stamp", ("Decisione",), (UM,), decoy=True,
           note="real decision point: permit or rejection, driven by Nazionalità"),
        _t("decoy", "duplicate_work", ("Verifica del casellario giudiziale",), (PC, UM), decoy=True, required=True,
           note="criminal record legally consulted by the police and the migration office: declare it required"),
        _t("always", "parallelizable", ("Pagamento della tassa", "Stampa del permesso"), (CC, SP), decoy=True,
           note="strictly ordered: the permit is printed once the fee is paid"),
        _t("decoy", "rework", ("Esame della domanda", "Richiesta di documenti supplementari"), (UM,), decoy=True,
           note="legitimate loop: missing documents are requested and the application examined again"),
        _t("always", "batching", ("Consegna del permesso",), (CA,), decoy=True,
           note="permits handed over case by case"),
        _t("always", "bottleneck", ("Attesa appuntamento biometrico",), (UM,), decoy=True,
           note="the fixed 14-day wait for the biometric appointment: long but planned"),
        _t("always", "bottleneck", ("Pagamento della tassa",), (CC,), decoy=True,
           note="about a week of waiting for the applicant to pay: not a queue of the administration"),
    )
    return ProcedureSpec(
        name="residence_it",
        language="it",
        root=root,
        pools=pools,
        attributes=(
            Attribute("Comune", communes, (0.35, 0.18, 0.17, 0.12, 0.1, 0.08)),
            Attribute(NAT, ("UE/AELS", "Stato terzo"), (0.7, 0.3)),
        ),
        commune="Comune",
        cases_per_day=4.0,
        case_prefix="PD",
        resource_prefix="CL",
        columns={
            CASE: "N. pratica",
            ACTIVITY: "Attività",
            START: "Inizio",
            TIMESTAMP: "Data e ora",
            RESOURCE: "Collaboratore/trice",
            GROUP: "Ufficio",
            "Comune": "Comune",
            NAT: NAT,
        },
        truth=truth,
    )
