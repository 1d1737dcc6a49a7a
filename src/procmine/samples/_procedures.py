"""The two built-in procedures: a building permit (German) and a subsidy application (French).

Both are invented but follow how such procedures run in a Swiss canton: the commune
receives and checks the application, cantonal offices examine it, one office decides.
Each injectable redundancy kind sits in a ``When`` node; the decoys (legitimate
patterns that look like redundancies) are either always there (a real decision point,
strictly ordered steps, a legal waiting period, a step handled case by case) or
``When("decoy", ...)`` (a legitimate loop, a legally required second check).
"""

from __future__ import annotations

from ..log import ACTIVITY, CASE, GROUP, RESOURCE, START, TIMESTAMP
from ._spec import (
    Attribute,
    Chain,
    Deadline,
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

__all__ = ["permit_de", "subsidy_fr"]

TUESDAY, THURSDAY = 1, 3


def _t(when: str, kind: str, activities: tuple[str, ...], units: tuple[str, ...] = (), *,
       decoy: bool = False, required: bool = False, note: str = "") -> TruthSpec:
    return TruthSpec(GroundTruth(kind, activities, units, decoy, required, note), when)


# --------------------------------------------------------------------------------------------
# Baubewilligungsverfahren (building permit), German
# --------------------------------------------------------------------------------------------
def permit_de() -> ProcedureSpec:
    BV = "Gemeinde Bauverwaltung"
    BK = "Gemeinde Baukommission"
    BI = "Kantonales Bauinspektorat"
    AFU = "Amt für Umwelt"
    DP = "Denkmalpflege"
    GV = "Gebäudeversicherung"
    RSA = "Regierungsstatthalteramt"
    TYPE = "Gesuchsteller-Typ"

    eingereicht = Step("Gesuch eingereicht", BV, minutes=0, system="eBau-Portal", delay=0)
    bestaetigung = Step("Eingangsbestätigung versenden", BV, minutes=3, sigma=0.15, delay=20, delay_sigma=0.5)
    erfassen = Step("Dossier erfassen", BV, minutes=20, sigma=0.4, delay=120)
    kontrolle = Step("Erfassung kontrollieren", BV, minutes=10, sigma=0.4, delay=240)
    vollst = Step("Vollständigkeit prüfen", BV, minutes=30, sigma=0.4)
    nachfordern = Step("Unterlagen nachfordern", BV, minutes=15, sigma=0.3, delay=60)
    vollst_nach = Step("Vollständigkeit prüfen", BV, minutes=30, sigma=0.4, transit_days=12)
    zonen_bv = Step("Zonenkonformität prüfen", BV, minutes=25, sigma=0.4)
    brand_bv = Step("Brandschutz prüfen", BV, minutes=20, sigma=0.4)
    publikation = Step("Publikation im Amtsblatt", BV, minutes=10, sigma=0.3)
    frist = Step("Einsprachefrist abwarten", BV, minutes=0, system="eBau-Portal", calendar_days=30, delay=0)
    einsprache = Step("Einsprache behandeln", BV, minutes=60, sigma=0.5)
    kommission = Step("Beurteilung Baukommission", BK, minutes=15, sigma=0.3)
    baurecht = Step("Baurechtliche Prüfung", BI, minutes=85, sigma=0.45, pool="Bauinspektorat Recht",
                    transit_days=2, delay=120)
    baurecht_neu = Step("Baurechtliche Prüfung", BI, minutes=60, sigma=0.45, pool="Bauinspektorat Recht",
                        transit_days=15, delay=120)
    zonen_bi = Step("Zonenkonformität prüfen", BI, minutes=30, sigma=0.4)
    brand_gv = Step("Brandschutz prüfen", GV, minutes=30, sigma=0.4, transit_days=1)
    umwelt = Step("Fachbericht Umwelt", AFU, minutes=90, sigma=0.5, transit_days=1)
    denkmal = Step("Fachbericht Denkmalpflege", DP, minutes=60, sigma=0.5, transit_days=1)
    rueckfrage = Step("Rückfrage an Amt für Umwelt", BI, minutes=20, sigma=0.4, delay=300)
    ergaenzen = Step("Stellungnahme Umwelt ergänzen", AFU, minutes=40, sigma=0.5, delay=600)
    visum = Step("Visum Abteilungsleitung", BI, minutes=5, sigma=0.3, pool="Bauinspektorat Leitung",
                 delay=960, delay_sigma=0.6)
    entscheid = Step("Bauentscheid", RSA, minutes=60, sigma=0.4, transit_days=1)
    entscheid_neu = Step("Bauentscheid", RSA, minutes=45, sigma=0.4, transit_days=1)
    erteilt = Step("Bewilligung erteilt", RSA, minutes=0, system="eBau-Portal", delay=0)
    abgelehnt = Step("Gesuch abgelehnt", RSA, minutes=0, system="eBau-Portal", delay=0)
    aenderung = Step("Projektänderung verlangt", RSA, minutes=15, sigma=0.3, delay=30)
    ausfertigen = Step("Entscheid ausfertigen", RSA, minutes=25, sigma=0.3, delay=180)
    versenden = Step("Entscheid versenden", RSA, minutes=8, sigma=0.3)
    ausf_vers = Step("Entscheid ausfertigen und versenden", RSA, minutes=33, sigma=0.3, delay=180)

    commune_part = Seq((
        eingereicht,
        When("automation_candidate", bestaetigung),
        When("rework", Seq((erfassen, kontrolle, erfassen, kontrolle)), share=0.25,
             otherwise=Seq((erfassen, kontrolle)), absent=erfassen),
        When("decoy",
             Loop(vollst, nachfordern, p=0.2, max_loops=2, by=TYPE, again=vollst_nach,
                  p_by={"Privatperson": 0.3, "Unternehmen": 0.15, "Öffentliche Hand": 0.08}),
             absent=vollst),
        zonen_bv,
        brand_bv,
        publikation,
        frist,
        Xor((einsprache, None), (0.15, 0.85)),
        When("batching", Step(kommission.activity, BK, minutes=15, sigma=0.3, delay=0, release=(TUESDAY, "14:00")),
             absent=kommission),
    ))
    # the commune's check is repeated at the canton when duplicate_work is injected
    canton_checks = Seq((
        baurecht,
        When("duplicate_work", zonen_bi, share=0.7),
        When("decoy", brand_gv),
        When("parallelizable", Shuffle((umwelt, denkmal)), absent=Par((umwelt, denkmal))),
        When("ping_pong", Repeat(Seq((rueckfrage, ergaenzen)), rounds=(1, 3)), share=0.3),
        When("rubber_stamp", visum),
    ))
    decision = Xor(
        (Seq((erteilt, When("mergeable", Chain((ausfertigen, versenden)), absent=ausf_vers))),
         Seq((abgelehnt, When("mergeable", Chain((ausfertigen, versenden)), absent=ausf_vers))),
         Seq((aenderung,
              baurecht_neu,
              When("rubber_stamp", visum),
              entscheid_neu,
              Xor((Seq((erteilt, When("mergeable", Chain((ausfertigen, versenden)), absent=ausf_vers))),
                   Seq((abgelehnt, When("mergeable", Chain((ausfertigen, versenden)), absent=ausf_vers)))),
                  (0.8, 0.2))))),
        (0.82, 0.08, 0.10),
        by=TYPE,
        weights_by={
            "Privatperson": (0.80, 0.09, 0.11),
            "Unternehmen": (0.83, 0.08, 0.09),
            "Öffentliche Hand": (0.93, 0.03, 0.04),
        },
    )
    root = Seq((commune_part, canton_checks, entscheid, decision))

    communes = ("Köniz", "Thun", "Muri bei Bern", "Burgdorf", "Langenthal", "Spiez", "Ostermundigen", "Worb")
    pools = {
        BV: Pool(2, per_commune=True, commune_sizes={"Köniz": 3, "Thun": 3, "Worb": 1, "Spiez": 1}),
        BK: Pool(1, per_commune=True),
        "Bauinspektorat Recht": Pool(3, bottleneck_size=1),
        BI: Pool(2),
        "Bauinspektorat Leitung": Pool(1),
        AFU: Pool(2),
        DP: Pool(1),
        GV: Pool(1),
        RSA: Pool(2),
    }
    truth = (
        _t("rework", "rework", ("Dossier erfassen", "Erfassung kontrollieren"), (BV,),
           note="data entry redone after a failed review in {share} of cases"),
        _t("duplicate_work", "duplicate_work", ("Zonenkonformität prüfen",), (BV, BI),
           note="zoning conformity checked by the commune and again by the canton in {share} of cases"),
        _t("ping_pong", "ping_pong", ("Rückfrage an Amt für Umwelt", "Stellungnahme Umwelt ergänzen"), (BI, AFU),
           note="1-3 round trips Bauinspektorat <-> Amt für Umwelt in {share} of cases"),
        _t("rubber_stamp", "rubber_stamp", ("Visum Abteilungsleitung",), (BI,),
           note="sign-off that always leads to Bauentscheid, waits about two days in the inbox"),
        _t("mergeable", "mergeable", ("Entscheid ausfertigen", "Entscheid versenden"), (RSA,),
           note="always back to back by the same person, a few minutes apart"),
        _t("parallelizable", "parallelizable", ("Fachbericht Umwelt", "Fachbericht Denkmalpflege"), (AFU, DP),
           note="independent expert reports done one after the other in random order"),
        _t("bottleneck", "bottleneck", ("Baurechtliche Prüfung",), (BI,),
           note="one lawyer instead of three: the queue before this step dominates case duration"),
        _t("batching", "batching", ("Beurteilung Baukommission",), (BK,),
           note="the commune's building commission meets on Tuesdays at 14:00"),
        _t("automation_candidate", "automation_candidate", ("Eingangsbestätigung versenden",), (BV,),
           note="every case, about 3 minutes, always the same, done by staff"),
        # decoys
        _t("always", "rubber_stamp", ("Bauentscheid",), (RSA,), decoy=True,
           note="real decision point: approval, rejection or change request, driven by Gesuchsteller-Typ"),
        _t("decoy", "duplicate_work", ("Brandschutz prüfen",), (BV, GV), decoy=True, required=True,
           note="fire safety legally checked by the commune and the building insurance: declare it required"),
        _t("always", "parallelizable", ("Publikation im Amtsblatt", "Einsprachefrist abwarten"), (BV,),
           decoy=True, note="strictly ordered: the objection period starts with the publication"),
        _t("decoy", "rework", ("Vollständigkeit prüfen", "Unterlagen nachfordern"), (BV,), decoy=True,
           note="legitimate loop: missing documents are requested and the file checked again"),
        _t("always", "rework", ("Baurechtliche Prüfung",), (BI,), decoy=True,
           note="legitimate loop: a changed project after 'Projektänderung verlangt' is examined again"),
        _t("always", "ping_pong", ("Projektänderung verlangt", "Baurechtliche Prüfung"), (RSA, BI), decoy=True,
           note="legitimate: a change request sends about 10 % of cases back to the canton once"),
        _t("always", "batching", ("Publikation im Amtsblatt",), (BV,), decoy=True,
           note="published case by case as files become ready"),
        _t("always", "bottleneck", ("Einsprachefrist abwarten",), (BV,), decoy=True,
           note="the legal 30-day objection period: long but fixed by law"),
    )
    return ProcedureSpec(
        name="permit_de",
        language="de",
        root=root,
        pools=pools,
        attributes=(
            Attribute("Gemeinde", communes, (0.22, 0.2, 0.1, 0.1, 0.1, 0.08, 0.1, 0.1)),
            Attribute(TYPE, ("Privatperson", "Unternehmen", "Öffentliche Hand"), (0.62, 0.3, 0.08)),
        ),
        commune="Gemeinde",
        cases_per_day=4.5,
        case_prefix="BG",
        resource_prefix="MA",
        columns={
            CASE: "Dossier-Nr",
            ACTIVITY: "Aktivität",
            START: "Beginn",
            TIMESTAMP: "Zeitstempel",
            RESOURCE: "Sachbearbeiter/in",
            GROUP: "Amt",
            "Gemeinde": "Gemeinde",
            TYPE: TYPE,
        },
        truth=truth,
        contacts={
            "Gesuch eingereicht": "inbound",
            "Eingangsbestätigung versenden": "notice",
            "Unterlagen nachfordern": "request",  # the applicant supplies missing documents
            "Projektänderung verlangt": "request",  # the applicant changes the project
            "Entscheid versenden": "notice",
            "Entscheid ausfertigen und versenden": "notice",
        },
        limits=(
            Deadline("Bauentscheid innert 3 Monaten", "Gesuch eingereicht", "Bauentscheid", 3, "months",
                     basis="treatment period (Ordnungsfrist) for the decision on an ordinary building permit, "
                     "counted from the application: its breach does not void the decision but must be explained"),
            Deadline("Vollständigkeit innert 5 Arbeitstagen", "Gesuch eingereicht", "Vollständigkeit prüfen", 5,
                     "working_days",
                     basis="service promise of the communes: the application is checked for completeness within "
                     "five working days of its receipt"),
        ),
    )


# --------------------------------------------------------------------------------------------
# Demande de subvention (subsidy application), French
# --------------------------------------------------------------------------------------------
def subsidy_fr() -> ProcedureSpec:
    GU = "Guichet communal"
    SS = "Service des subventions"
    SJ = "Service juridique"
    DF = "Direction des finances"
    CO = "Comptabilité"
    CM = "Commission des subventions"
    TYPE = "Type de demandeur"

    deposee = Step("Demande déposée", GU, minutes=0, system="Portail e-services", delay=0)
    accuse = Step("Accusé de réception", GU, minutes=2, sigma=0.15, delay=20, delay_sigma=0.5)
    saisie = Step("Saisie du dossier", GU, minutes=15, sigma=0.4, delay=120)
    ctrl_saisie = Step("Contrôle de la saisie", GU, minutes=8, sigma=0.4, delay=240)
    complet = Step("Contrôle de complétude", GU, minutes=25, sigma=0.4)
    pieces = Step("Demande de pièces complémentaires", GU, minutes=12, sigma=0.3, delay=60)
    complet_nach = Step("Contrôle de complétude", GU, minutes=25, sigma=0.4, transit_days=10)
    revenus_gu = Step("Vérification des revenus", GU, minutes=20, sigma=0.4)
    transmission = Step("Transmission au Service des subventions", GU, minutes=8, sigma=0.3)
    examen = Step("Examen du droit", SS, minutes=95, sigma=0.45, pool="Subventions examen",
                  transit_days=2, delay=120)
    examen_neu = Step("Examen du droit", SS, minutes=60, sigma=0.45, pool="Subventions examen",
                      transit_days=12, delay=120)
    revenus_ss = Step("Vérification des revenus", SS, minutes=25, sigma=0.4, pool="Subventions gestionnaires")
    plafond_ss = Step("Contrôle du plafond budgétaire", SS, minutes=15, sigma=0.4, pool="Subventions gestionnaires")
    plafond_df = Step("Contrôle du plafond budgétaire", DF, minutes=20, sigma=0.4, transit_days=1)
    preavis_j = Step("Préavis juridique", SJ, minutes=60, sigma=0.5)
    preavis_f = Step("Préavis financier", DF, minutes=45, sigma=0.5)
    precision = Step("Demande de précisions au Service juridique", SS, minutes=15, sigma=0.4,
                     pool="Subventions gestionnaires", delay=300)
    reponse = Step("Réponse du Service juridique", SJ, minutes=35, sigma=0.5, delay=600)
    commission = Step("Séance de la commission", CM, minutes=10, sigma=0.3)
    visa = Step("Visa du chef de service", SS, minutes=5, sigma=0.3, pool="Subventions chef de service",
                delay=960, delay_sigma=0.6)
    decision = Step("Décision", SS, minutes=40, sigma=0.4, pool="Subventions gestionnaires")
    decision_neu = Step("Décision", SS, minutes=30, sigma=0.4, pool="Subventions gestionnaires")
    octroi = Step("Octroi", SS, minutes=0, system="Portail e-services", delay=0)
    rejet = Step("Rejet", SS, minutes=0, system="Portail e-services", delay=0)
    reexamen = Step("Réexamen demandé", SS, minutes=10, sigma=0.3, pool="Subventions gestionnaires", delay=30)
    redaction = Step("Rédaction de la décision", SS, minutes=20, sigma=0.3, pool="Subventions gestionnaires",
                     delay=180)
    notification = Step("Notification de la décision", SS, minutes=6, sigma=0.3, pool="Subventions gestionnaires")
    red_notif = Step("Rédaction et notification de la décision", SS, minutes=26, sigma=0.3,
                     pool="Subventions gestionnaires", delay=180)
    recours = Step("Délai de recours", SS, minutes=0, system="Portail e-services", calendar_days=30, delay=0)
    ordre = Step("Ordre de paiement", DF, minutes=10, sigma=0.3, transit_days=1)
    versement = Step("Versement", CO, minutes=8, sigma=0.3)

    def notify() -> When:
        return When("mergeable", Chain((redaction, notification)), absent=red_notif)

    communal = Seq((
        deposee,
        When("automation_candidate", accuse),
        When("rework", Seq((saisie, ctrl_saisie, saisie, ctrl_saisie)), share=0.25,
             otherwise=Seq((saisie, ctrl_saisie)), absent=saisie),
        When("decoy",
             Loop(complet, pieces, p=0.2, max_loops=2, by=TYPE, again=complet_nach,
                  p_by={"Particulier": 0.28, "Association": 0.2, "Entreprise": 0.1}),
             absent=complet),
        When("duplicate_work", revenus_gu, share=0.7),
        transmission,
    ))
    service = Seq((
        examen,
        revenus_ss,
        plafond_ss,
        When("parallelizable", Shuffle((preavis_j, preavis_f)), absent=Par((preavis_j, preavis_f))),
        When("ping_pong", Repeat(Seq((precision, reponse)), rounds=(1, 3)), share=0.3),
        When("batching", Step(commission.activity, CM, minutes=10, sigma=0.3, delay=0, release=(THURSDAY, "09:00")),
             absent=commission),
        When("rubber_stamp", visa),
    ))
    granted = Seq((octroi, notify(), recours, When("decoy", plafond_df), ordre, versement))
    rejected = Seq((rejet, notify()))
    outcome = Xor(
        (granted,
         rejected,
         Seq((reexamen,
              examen_neu,
              When("rubber_stamp", visa),
              decision_neu,
              Xor((granted, rejected), (0.75, 0.25))))),
        (0.78, 0.14, 0.08),
        by=TYPE,
        weights_by={
            "Particulier": (0.76, 0.14, 0.10),
            "Association": (0.80, 0.12, 0.08),
            "Entreprise": (0.70, 0.24, 0.06),
        },
    )
    root = Seq((communal, service, decision, outcome))
    communes = ("Fribourg", "Bulle", "Villars-sur-Glâne", "Marly", "Estavayer", "Romont", "Châtel-Saint-Denis",
                "Morat")
    pools = {
        GU: Pool(2, per_commune=True, commune_sizes={"Fribourg": 3, "Romont": 1, "Morat": 1}),
        "Subventions examen": Pool(3, bottleneck_size=1),
        "Subventions gestionnaires": Pool(3),
        "Subventions chef de service": Pool(1),
        SJ: Pool(2),
        DF: Pool(2),
        CO: Pool(1),
        CM: Pool(2),
    }
    truth = (
        _t("rework", "rework", ("Saisie du dossier", "Contrôle de la saisie"), (GU,),
           note="data entry redone after a failed review in {share} of cases"),
        _t("duplicate_work", "duplicate_work", ("Vérification des revenus",), (GU, SS),
           note="income checked by the commune and again by the cantonal service in {share} of cases"),
        _t("ping_pong", "ping_pong", ("Demande de précisions au Service juridique", "Réponse du Service juridique"),
           (SS, SJ), note="1-3 round trips Service des subventions <-> Service juridique in {share} of cases"),
        _t("rubber_stamp", "rubber_stamp", ("Visa du chef de service",), (SS,),
           note="sign-off that always leads to Décision, waits about two days in the inbox"),
        _t("mergeable", "mergeable", ("Rédaction de la décision", "Notification de la décision"), (SS,),
           note="always back to back by the same person, a few minutes apart"),
        _t("parallelizable", "parallelizable", ("Préavis juridique", "Préavis financier"), (SJ, DF),
           note="independent opinions done one after the other in random order"),
        _t("bottleneck", "bottleneck", ("Examen du droit",), (SS,),
           note="one case officer instead of three: the queue before this step dominates case duration"),
        _t("batching", "batching", ("Séance de la commission",), (CM,),
           note="the subsidy commission meets on Thursdays at 09:00"),
        _t("automation_candidate", "automation_candidate", ("Accusé de réception",), (GU,),
           note="every case, about 2 minutes, always the same, done by staff"),
        # decoys
        _t("always", "rubber_stamp", ("Décision",), (SS,), decoy=True,
           note="real decision point: grant, rejection or re-examination, driven by Type de demandeur"),
        _t("decoy", "duplicate_work", ("Contrôle du plafond budgétaire",), (SS, DF), decoy=True, required=True,
           note="budget ceiling legally checked by the service before the decision and by the finance directorate "
           "before paying: declare it required"),
        _t("always", "parallelizable", ("Ordre de paiement", "Versement"), (DF, CO), decoy=True,
           note="strictly ordered: the payment needs the payment order"),
        _t("decoy", "rework", ("Contrôle de complétude", "Demande de pièces complémentaires"), (GU,), decoy=True,
           note="legitimate loop: missing documents are requested and the file checked again"),
        _t("always", "rework", ("Examen du droit",), (SS,), decoy=True,
           note="legitimate loop: a re-examination requested at the decision"),
        _t("always", "batching", ("Ordre de paiement",), (DF,), decoy=True,
           note="payment orders issued case by case"),
        _t("always", "bottleneck", ("Délai de recours",), (SS,), decoy=True,
           note="the legal 30-day appeal period: long but fixed by law"),
    )
    return ProcedureSpec(
        name="subsidy_fr",
        language="fr",
        root=root,
        pools=pools,
        attributes=(
            Attribute("Commune", communes, (0.24, 0.16, 0.12, 0.1, 0.1, 0.08, 0.1, 0.1)),
            Attribute(TYPE, ("Particulier", "Association", "Entreprise"), (0.6, 0.25, 0.15)),
        ),
        commune="Commune",
        cases_per_day=4.0,
        case_prefix="SUB",
        resource_prefix="CO",
        columns={
            CASE: "N° de dossier",
            ACTIVITY: "Activité",
            START: "Début",
            TIMESTAMP: "Horodatage",
            RESOURCE: "Collaborateur/trice",
            GROUP: "Service",
            "Commune": "Commune",
            TYPE: TYPE,
        },
        truth=truth,
        contacts={
            "Demande déposée": "inbound",
            "Accusé de réception": "notice",
            "Demande de pièces complémentaires": "request",  # the applicant supplies missing documents
            "Notification de la décision": "notice",
            "Rédaction et notification de la décision": "notice",
            "Versement": "payment",  # the subsidy paid to the applicant
        },
        limits=(
            Deadline("Décision dans les 60 jours", "Demande déposée", "Décision", 60, standstill=True,
                     basis="treatment period for the decision, counted from the application; the periods of the "
                     "administrative procedure stand still at Easter, in summer and at Christmas (féries)"),
            Deadline("Versement dans les 40 jours", "Octroi", "Versement", 40,
                     basis="service promise: a granted subsidy is paid within 40 days of the grant (the 30-day "
                     "appeal period included)"),
        ),
    )
