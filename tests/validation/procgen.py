"""A second, independent generator of administrative procedures with injected redundancies.

This module shares no code and no vocabulary with ``procmine.samples``: its procedures are
random (sequences, exclusive choices, concurrent blocks, loops), their activity names are
built from the word lists below (German, French, Italian, English), and every redundancy
and decoy is placed at a random position with its truth recorded.

**The time model.** Each procedure has its own office calendar (opening hours, open
weekdays; no holidays) on a grid of local wall-clock minutes. A case is a token walking
through the procedure's segments. An office step waits in its queue for a random number of
*working* minutes, starts at the next open minute, and completes after its processing time
in working minutes. External steps (a period that expires, documents the applicant sends)
happen on the elapsed clock. Cases do not compete for staff (queues are random waits), so
every case is independent of the others.

**The random streams.** Every random draw of a case in a segment comes from the generator
``numpy.random.default_rng([seed, case, segment id, visit])``. Removing a segment
(``Procedure.simulate(skip=...)``) or merging a pair (``merged=...``) therefore leaves
every other draw unchanged: the re-simulated cases are the same cases without the step.
That is the truth the what-if estimate is scored against.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MIN_PER_DAY = 1440
ORIGIN = pd.Timestamp("2025-01-06 00:00")  # a Monday, local wall-clock time
HORIZON_DAYS = 760

# -- vocabulary (own word lists; nothing here comes from procmine or its samples) --------------
# (verb, noun) pairs per language; names are "<noun> <verb>" (de), "<Verb> <noun>" (fr, it, en)
WORDS: dict[str, dict[str, list[str]]] = {
    "de": {
        "verbs": ["erfassen", "sichten", "beurteilen", "abklären", "nachführen", "ergänzen", "zustellen",
                  "abgleichen", "berechnen", "protokollieren", "einordnen", "verbuchen", "aufbereiten",
                  "weiterleiten", "kontrollieren", "ausfertigen", "registrieren", "auswerten"],
        "nouns": ["Baugesuch", "Grundbuchauszug", "Situationsplan", "Lärmgutachten", "Heimatschein",
                  "Steuerausweis", "Pachtvertrag", "Wasseranschluss", "Brandschutznachweis", "Parzellenplan",
                  "Gebührenrechnung", "Meldeblatt", "Zonenplanauszug", "Betriebsbewilligung", "Mietvertrag",
                  "Auflageprotokoll", "Werkleitungsplan", "Fahrzeugausweis"],
    },
    "fr": {
        "verbs": ["Enregistrer", "Examiner", "Compléter", "Chiffrer", "Classer", "Transmettre", "Instruire",
                  "Réviser", "Consigner", "Rapprocher", "Préparer", "Contrôler", "Expédier", "Analyser",
                  "Saisir", "Vérifier", "Archiver", "Estimer"],
        "nouns": ["le plan cadastral", "la demande de permis", "le bail", "l'extrait du registre",
                  "la facture d'émolument", "le rapport technique", "le dossier fiscal", "l'attestation AVS",
                  "le préavis communal", "le plan de situation", "la déclaration d'impôt", "le certificat",
                  "le relevé de compteur", "la fiche d'inscription", "le devis", "la convention",
                  "le justificatif de domicile", "l'état des lieux"],
    },
    "it": {
        "verbs": ["Registrare", "Esaminare", "Completare", "Calcolare", "Archiviare", "Trasmettere",
                  "Istruire", "Rivedere", "Protocollare", "Confrontare", "Preparare", "Verificare",
                  "Spedire", "Analizzare", "Inserire", "Classificare", "Stimare", "Redigere"],
        "nouns": ["la domanda di costruzione", "il piano catastale", "il contratto d'affitto",
                  "l'estratto del registro", "la fattura", "la perizia tecnica", "l'incarto fiscale",
                  "il certificato di domicilio", "il preavviso comunale", "la planimetria",
                  "la dichiarazione", "il formulario", "il verbale", "il preventivo", "la convenzione",
                  "la licenza edilizia", "il permesso di dimora", "l'allacciamento idrico"],
    },
    "en": {
        "verbs": ["Log", "Screen", "Assess", "Clarify", "Update", "Amend", "Dispatch", "Reconcile",
                  "Calculate", "Minute", "Classify", "Book", "Compile", "Forward", "Inspect", "Draft",
                  "Register", "Evaluate"],
        "nouns": ["building application", "land register extract", "site plan", "noise report",
                  "residence certificate", "tax statement", "lease", "water connection", "fire safety proof",
                  "parcel plan", "fee invoice", "registration form", "zoning extract", "operating licence",
                  "rental agreement", "objection file", "utility plan", "vehicle papers"],
    },
}
#: sign-off steps (a superior's approval); some are in procmine's control vocabulary, some not
APPROVALS = {
    "de": ["Genehmigung Amtsleitung", "Visum Abteilungsleitung", "Freigabe durch Chefin", "Zustimmung Direktion",
           "Bewilligung Vorgesetzte", "Gegenzeichnung Leitung", "Abnahme Bereichsleiter"],
    "fr": ["Visa du chef de section", "Approbation de la direction", "Validation hiérarchique",
           "Accord du supérieur", "Autorisation du chef de service", "Aval de la cheffe"],
    "it": ["Visto del caposervizio", "Approvazione direzione", "Nulla osta dirigente",
           "Autorizzazione superiore", "Convalida responsabile", "Benestare capufficio"],
    "en": ["Sign-off by head of unit", "Management approval", "Supervisor endorsement",
           "Authorisation by team lead", "Clearance by manager", "Director's go-ahead"],
}
#: decision steps (a real decision point: approve / reject)
DECISIONS = {
    "de": ["Entscheid Gesuch", "Beschluss Kommission", "Verfügung erlassen"],
    "fr": ["Décision sur la demande", "Statuer sur le dossier", "Décision de la commission"],
    "it": ["Decisione sulla domanda", "Deliberare la pratica", "Decisione commissione"],
    "en": ["Decide on application", "Board decision", "Rule on the file"],
}
#: outcomes after a decision
OUTCOMES = {
    "de": (["Zusage versenden", "Bewilligung eröffnen"], ["Absage versenden", "Abweisung begründen"]),
    "fr": (["Envoyer l'acceptation", "Notifier l'octroi"], ["Envoyer le refus", "Motiver le rejet"]),
    "it": (["Inviare l'accoglimento", "Notificare il rilascio"], ["Inviare il diniego", "Motivare il rigetto"]),
    "en": (["Send grant letter", "Notify approval"], ["Send refusal", "State reasons for rejection"]),
}
#: a request to the applicant for missing documents, and the receipt of what was sent
REQUESTS = {
    "de": ["Unterlagen nachfordern", "Ergänzung beim Gesuchsteller verlangen", "Nachreichung anmahnen"],
    "fr": ["Réclamer les pièces manquantes", "Demander un complément au requérant", "Compléments demandés"],
    "it": ["Sollecitare documenti mancanti", "Chiedere integrazione al richiedente", "Richiesta atti integrativi"],
    "en": ["Ask applicant for missing papers", "Request further documents", "Chase outstanding evidence"],
}
RECEIPTS = {
    "de": ["Nachgereichte Unterlagen eingegangen", "Ergänzung eingetroffen"],
    "fr": ["Pièces complémentaires reçues", "Complément arrivé"],
    "it": ["Documenti integrativi pervenuti", "Integrazione ricevuta"],
    "en": ["Missing papers received", "Further documents arrived"],
}
#: the applicant sends documents (a client wait before an external step, every case)
CLIENT_STEPS = {
    "de": ["Beilagen durch Gesuchstellerin eingereicht", "Formular vom Antragsteller retourniert",
           "Stellungnahme der Bauherrschaft eingegangen", "Vollmacht nachgereicht"],
    "fr": ["Annexes remises par le requérant", "Formulaire retourné par l'administré",
           "Observations du maître d'ouvrage reçues", "Procuration transmise"],
    "it": ["Allegati consegnati dal richiedente", "Modulo restituito dal cittadino",
           "Osservazioni del committente pervenute", "Procura trasmessa"],
    "en": ["Applicant returned the form", "Enclosures submitted by applicant",
           "Developer's comments received", "Power of attorney supplied"],
}
#: the end of a legal period (a statutory wait before an external step)
PERIOD_ENDS = {
    "de": ["Einsprachefrist abgelaufen", "Auflagefrist beendet", "Rekursfrist verstrichen", "Vernehmlassungsfrist um"],
    "fr": ["Délai d'opposition échu", "Fin de l'enquête publique", "Délai de recours expiré", "Délai de consultation clos"],
    "it": ["Termine di opposizione scaduto", "Fine pubblicazione", "Termine di ricorso decorso",
           "Termine di consultazione chiuso"],
    "en": ["Objection period over", "Public notice period ended", "Appeal window closed", "Consultation period closed"],
}
FOLLOW_UPS = {
    "de": ["Nachkontrolle vor Ort"], "fr": ["Contrôle de suivi sur place"],
    "it": ["Sopralluogo di verifica"], "en": ["Follow-up site visit"],
}
INTAKE = {"de": "Dossier eröffnen", "fr": "Ouvrir le dossier", "it": "Aprire l'incarto", "en": "Open file"}
UNITS = {
    "de": ["Sekretariat", "Rechtsdienst", "Bauinspektorat", "Finanzverwaltung", "Einwohnerdienste", "Kanzlei",
           "Fachstelle Umwelt", "Amtsleitung"],
    "fr": ["Secrétariat", "Service juridique", "Police des constructions", "Comptabilité", "Contrôle des habitants",
           "Chancellerie", "Office de l'environnement", "Direction"],
    "it": ["Segreteria", "Servizio giuridico", "Ufficio tecnico", "Contabilità", "Controllo abitanti", "Cancelleria",
           "Ufficio ambiente", "Direzione"],
    "en": ["Front office", "Legal team", "Building control", "Accounts", "Residents' office", "Registry",
           "Environment desk", "Directorate"],
}
FIRST = ["Anna", "Luca", "Marie", "Jonas", "Chiara", "Noah", "Léa", "Reto", "Sofia", "Hugo", "Nina", "Marco",
         "Elena", "Samuel", "Julie", "Fabio", "Lara", "Urs", "Céline", "Timo"]
LAST = ["Gerber", "Rochat", "Bernasconi", "Huber", "Favre", "Moser", "Pfister", "Rey", "Galli", "Wyss",
        "Bonvin", "Keller", "Ferrari", "Roth", "Zbinden", "Clerc", "Meier", "Pedrazzini", "Baumann", "Perrin"]
OFFICE_HOURS = [
    [(450, 720), (810, 1020)],   # 07:30-12:00, 13:30-17:00
    [(480, 720), (840, 1050)],   # 08:00-12:00, 14:00-17:30
    [(480, 705), (810, 1005)],   # 08:00-11:45, 13:30-16:45
    [(420, 960)],                # 07:00-16:00 without a break
]
WEEKDAY_SETS = [(0, 1, 2, 3, 4), (0, 1, 2, 3, 4), (0, 1, 2, 3), (0, 1, 2, 3, 4, 5)]

# headers per role (own lists, several outside procmine's known names)
HEADERS = {
    "case": ["Fall-ID", "Dossiernummer", "Laufnummer", "Geschäftsnummer", "N° dossier", "Réf. interne",
             "Numéro d'affaire", "Pratica n.", "ID pratica", "Case ID", "Ref no."],
    "activity": ["Tätigkeit", "Arbeitsschritt", "Aktivität", "Étape", "Activité", "Opération", "Attività", "Fase",
                 "Activity", "Task", "Step"],
    "timestamp": ["Ende", "Erledigt am", "Fin", "Date de fin", "Fine", "Data fine", "End", "Completed at"],
    "start_timestamp": ["Beginn", "Start", "Début", "Date de début", "Inizio", "Data inizio", "Start time", "Begun"],
    "resource": ["Sachbearbeiter/in", "Bearbeiter", "Mitarbeitende", "Collaborateur", "Gestionnaire",
                 "Responsabile", "Operatore", "Clerk", "Handled by"],
    "org": ["Abteilung", "Amt", "Organisationseinheit", "Service", "Unité", "Office", "Ufficio", "Servizio",
            "Department", "Unit"],
    "lifecycle": ["Status", "Ereignistyp", "Statut", "Type d'événement", "Stato", "Tipo evento", "Event type"],
    "when": ["Zeitstempel", "Datum/Zeit", "Horodatage", "Date et heure", "Data/ora", "Timestamp", "Time"],
}
LIFECYCLE_VALUES = [("start", "complete"), ("Start", "Ende"), ("début", "fin"), ("inizio", "fine"),
                    ("START", "COMPLETE"), ("begin", "end")]
NOTES = ["", "", "", "tel.", "per Post", "par courriel", "urgente", "RE: Rückfrage", "ok", "n/a"]
TOWNS = ["Thun", "Sion", "Bellinzona", "Chur", "Aarau", "Fribourg", "Lugano", "Biel/Bienne", "Olten", "Morges"]


# -- the office calendar on a minute grid --------------------------------------------------------
class Office:
    """Opening hours on a grid of local minutes since :data:`ORIGIN` (a Monday)."""

    def __init__(self, hours: list[tuple[int, int]], weekdays: tuple[int, ...]) -> None:
        self.hours, self.weekdays = hours, weekdays
        day = np.zeros(MIN_PER_DAY, dtype=bool)
        for a, b in hours:
            day[a:b] = True
        n_days = HORIZON_DAYS
        wd = np.arange(n_days) % 7
        is_open = np.where(np.isin(wd, weekdays)[:, None], day[None, :], False).ravel()
        self.open = is_open
        self.cum = np.concatenate([[0], np.cumsum(is_open, dtype=np.int64)])  # open minutes in [0, m)

    def add(self, t: float, work: float) -> float:
        """The instant after ``work`` working minutes from ``t`` (ends at the close of the last one)."""
        m = int(t)
        target = float(self.cum[m]) + max(work, 0.0)
        whole = int(np.ceil(target))
        i = int(np.searchsorted(self.cum, whole, side="left"))  # an int key: no float copy of cum
        return float(max(i - (whole - target), t))

    def next_open(self, t: float) -> float:
        m = int(np.ceil(t))
        if m < len(self.open) and self.open[m]:
            return float(m)
        return float(np.searchsorted(self.cum, int(self.cum[m]) + 1, side="left") - 1)

    def calendar_args(self) -> dict[str, Any]:
        """The same hours as ``procmine.Calendar(hours=...)`` arguments (no holidays)."""
        def hm(x: int) -> str:
            return f"{x // 60:02d}:{x % 60:02d}"
        return {"hours": {d: [(hm(a), hm(b)) for a, b in self.hours] for d in self.weekdays}, "holidays": None}


# -- the procedure ---------------------------------------------------------------------------------
@dataclass
class Ev:
    activity: str
    unit: str
    resource: str
    start: float
    end: float


@dataclass
class Ctx:
    """One case being simulated."""

    proc: Procedure
    case: int
    events: list[Ev] = field(default_factory=list)
    visits: dict[int, int] = field(default_factory=dict)
    flags: set[int] = field(default_factory=set)  # truth segments that affected this case
    skip: frozenset[str] = frozenset()  # steps left out (their random draws are still made)

    def rng(self, seg: int) -> np.random.Generator:
        v = self.visits.get(seg, 0)
        self.visits[seg] = v + 1
        return np.random.default_rng([self.proc.seed, self.case, seg, v])


@dataclass
class Step:
    """An office step: queue wait (working hours, lognormal) and processing (working minutes)."""

    name: str
    unit: str
    wait_h: float = 4.0
    wait_sigma: float = 0.8
    proc_min: float = 40.0
    proc_sigma: float = 0.6
    external: bool = False  # no person, no office hours

    def run(self, ctx: Ctx, r: np.random.Generator, t: float, *, person: str | None = None,
            wait_h: float | None = None, extra_proc: float = 0.0) -> float:
        off = ctx.proc.office
        w = (self.wait_h if wait_h is None else wait_h) * 60 * r.lognormal(0, self.wait_sigma)
        p = self.proc_min * r.lognormal(0, self.proc_sigma) + extra_proc
        who = person if person is not None else str(r.choice(ctx.proc.staff[self.unit]))
        if self.name in ctx.skip:  # removed: the draws are made, the case goes on at once
            return t
        start = off.next_open(off.add(t, w))
        end = off.add(start, p)
        ctx.events.append(Ev(self.name, self.unit, who, start, end))
        return end


@dataclass
class Seg:
    """A segment of the procedure: ``kind`` says what it does, ``truth``/``decoy`` what it is."""

    sid: int
    kind: str
    steps: list[Step]
    params: dict[str, Any] = field(default_factory=dict)
    truth: dict[str, Any] | None = None  # {"kind", "activities", "org_units"}
    decoy: dict[str, Any] | None = None  # {"what", "activities", "tempting"}
    branches: list[list[Seg]] = field(default_factory=list)


class Procedure:
    """A random procedure with injected redundancies and decoys; see the module docstring."""

    def __init__(self, seed: int, *, n_cases: int | None = None, start_times: bool | None = None,
                 lang: str | None = None) -> None:
        self.seed = seed
        g = np.random.default_rng([seed, 10_007])
        self.lang = lang or str(g.choice(list(WORDS)))
        self.start_times = bool(g.random() < 0.6) if start_times is None else start_times
        self.n_cases = int(g.integers(150, 401)) if n_cases is None else n_cases
        self.office = Office(OFFICE_HOURS[int(g.integers(len(OFFICE_HOURS)))],
                             WEEKDAY_SETS[int(g.integers(len(WEEKDAY_SETS)))])
        self._g = g
        self._used: set[str] = set()
        units = list(g.choice(UNITS[self.lang], size=5, replace=False))
        self.units = [str(u) for u in units]
        people = [f"{f} {ln}" for f in FIRST for ln in LAST]
        g.shuffle(people)
        self.staff: dict[str, list[str]] = {}
        k = 0
        for u in self.units:
            n = int(g.integers(2, 6))
            self.staff[u] = people[k:k + n]
            k += n
        self.segments = self._build()

    # -- names ----------------------------------------------------------------------------------
    def _fresh(self, pool: list[str] | None = None) -> str:
        g = self._g
        for _ in range(500):
            if pool is not None:
                name = str(g.choice(pool))
            else:
                w = WORDS[self.lang]
                v, n = str(g.choice(w["verbs"])), str(g.choice(w["nouns"]))
                name = f"{n} {v}" if self.lang == "de" else f"{v} {n}"
            if name not in self._used:
                self._used.add(name)
                return name
        raise RuntimeError("vocabulary exhausted")

    def _step(self, unit: str | None = None, **kw: Any) -> Step:
        g = self._g
        kw.setdefault("wait_h", float(g.uniform(1.5, 10)))
        kw.setdefault("proc_min", float(g.uniform(15, 90)))
        return Step(self._fresh(kw.pop("pool", None)), unit or str(g.choice(self.units)), **kw)

    # -- structure ------------------------------------------------------------------------------
    def _build(self) -> list[Seg]:
        g, L = self._g, self.lang
        sid = iter(range(1, 10_000))
        u = self.units
        seg: list[Seg] = []

        def add(kind: str, steps: list[Step], **kw: Any) -> Seg:
            s = Seg(next(sid), kind, steps, **kw)
            return s

        # ordinary structure: tasks, an exclusive choice, a concurrent block
        for _ in range(int(g.integers(2, 5))):
            seg.append(add("task", [self._step()]))
        a, b = self._step(), self._step()
        seg.append(add("choice", [a, b], params={"p": float(g.uniform(0.3, 0.7))}))
        if g.random() < 0.6:
            seg.append(add("concurrent", [self._step(u[0]), self._step(u[1])]))

        # injected redundancies
        x, y = self._step(u[1]), self._step(u[1])
        seg.append(add("rework", [x, y], params={"p": float(g.uniform(0.2, 0.4))},
                       truth={"kind": "rework", "activities": (x.name, y.name), "org_units": (u[1],)}))
        c = self._step(u[2], wait_h=float(g.uniform(3, 12)))
        # between the two checks: another step, or (inside the pattern) the applicant's answer
        between = self._step(u[0], pool=CLIENT_STEPS[L], external=True) if g.random() < 0.3 else self._step(u[0])
        seg.append(add("duplicate", [c, between], params={"p": float(g.uniform(0.5, 1.0)), "units": (u[2], u[3])},
                       truth={"kind": "duplicate_work", "activities": (c.name,), "org_units": (u[2], u[3])}))
        p, q = self._step(u[0]), self._step(u[3])
        seg.append(add("pingpong", [p, q], params={"p": float(g.uniform(0.25, 0.5))},
                       truth={"kind": "ping_pong", "activities": (p.name, q.name), "org_units": (u[0], u[3])}))
        s = self._step(u[4], pool=APPROVALS[L], wait_h=float(g.uniform(6, 24)), proc_min=float(g.uniform(5, 20)))
        seg.append(add("chain", [s, self._step()],
                       truth={"kind": "rubber_stamp", "activities": (s.name,), "org_units": (u[4],)}))
        m1, m2 = self._step(u[2]), self._step(u[2], wait_h=0.0)
        seg.append(add("mergeable", [m1, m2], params={"gap_min": float(g.uniform(1, 8))},
                       truth={"kind": "mergeable", "activities": (m1.name, m2.name), "org_units": (u[2],)}))
        pa, pb = self._step(u[1]), self._step(u[3])
        period = int(g.choice([10, 14, 20, 30])) if g.random() < 0.5 else 0
        seg.append(add("parallel", [pa, pb], params={"period_days": period},
                       truth={"kind": "parallelizable", "activities": (pa.name, pb.name), "org_units": ()},
                       decoy={"what": "statutory period before a parallel pair", "activities": (pa.name, pb.name),
                              "tempting": ("bottleneck", "batching")} if period else None))
        bn = self._step(u[3], wait_h=float(g.uniform(100, 200)), wait_sigma=0.5)
        seg.append(add("task", [bn], truth={"kind": "bottleneck", "activities": (bn.name,), "org_units": (u[3],)}))
        slots = [(int(d), int(h) * 60) for d, h in zip(g.choice(self.office.weekdays, size=int(g.integers(1, 3)), replace=False),
                                                        g.choice([8, 9, 10, 14, 15], size=2))]
        bt = self._step(u[0], wait_h=0.0, proc_min=float(g.uniform(10, 30)))
        seg.append(add("batch", [bt], params={"slots": slots},
                       truth={"kind": "batching", "activities": (bt.name,), "org_units": (u[0],)}))
        if self.start_times:
            ac = self._step(u[4], proc_min=float(g.uniform(2, 6)), proc_sigma=0.08)
            seg.append(add("chain", [self._step(), ac, self._step()],
                           truth={"kind": "automation_candidate", "activities": (ac.name,), "org_units": (u[4],)}))
        rv = self._step(u[1])
        rq = self._step(u[1], pool=REQUESTS[L], proc_min=float(g.uniform(10, 25)))
        rc = self._step(u[1], pool=RECEIPTS[L], external=True)
        seg.append(add("incomplete", [rv, rq, rc], params={"p": float(g.uniform(0.2, 0.3)),
                                                            "client_days": float(g.uniform(6, 20))},
                       truth={"kind": "incomplete_submission", "activities": (rq.name, rv.name, rc.name),
                              "org_units": (u[1],)}))

        # decoys
        r2 = self._step(u[2])
        seg.append(add("duplicate", [r2, self._step(u[0])], params={"p": 1.0, "units": (u[2], u[4])},
                       decoy={"what": "required second check", "activities": (r2.name,),
                              "tempting": ("duplicate_work", "rework", "ping_pong", "mergeable"), "required": True}))
        rl = self._step(u[0])
        seg.append(add("rareloop", [rl], params={"p": float(g.uniform(0.005, 0.02))},
                       decoy={"what": "rare loop", "activities": (rl.name,), "tempting": ("rework", "ping_pong")}))
        cs = self._step(u[0], pool=CLIENT_STEPS[L], external=True)
        seg.append(add("client", [cs], params={"days": float(g.uniform(4, 15))},
                       decoy={"what": "client wait before an external step", "activities": (cs.name,),
                              "tempting": ("bottleneck", "batching", "rework")}))
        pe = self._step(u[0], pool=PERIOD_ENDS[L], external=True)
        seg.append(add("period", [pe], params={"days": int(g.choice([10, 14, 20, 30]))},
                       decoy={"what": "statutory period", "activities": (pe.name,),
                              "tempting": ("bottleneck", "batching", "parallelizable")}))

        g.shuffle(seg)
        # statutory periods and client waits right before some patterns (their own decoys)
        placed: list[Seg] = []
        extra = 0
        for x in seg:
            if x.truth and x.truth["kind"] != "parallelizable" and extra < 2 and g.random() < 0.25:
                placed.append(self._wait_segment(add))
                extra += 1
            placed.append(x)
        seg = placed
        intake = Step(INTAKE[L], u[0], wait_h=0.0, proc_min=20.0)
        self._used.add(intake.name)
        body = [Seg(next(sid), "task", [intake]), *seg]
        # the decision point (decoy) closes the procedure; a planned follow-up may come after
        dec = self._step(u[4], pool=DECISIONS[L], wait_h=float(g.uniform(8, 24)), proc_min=30.0)
        yes = [self._step(u[0], pool=OUTCOMES[L][0])]
        no = [self._step(u[0], pool=OUTCOMES[L][1]), self._step(u[1])]
        body.append(Seg(next(sid), "decision", [dec, *yes, *no], params={"p": float(g.uniform(0.6, 0.8)), "n_yes": 1},
                        decoy={"what": "decision point", "activities": (dec.name,),
                               "tempting": ("rubber_stamp", "mergeable", "automation_candidate", "rework")}))
        fu = self._step(u[2], pool=FOLLOW_UPS[L], wait_h=0.0)
        body.append(Seg(next(sid), "followup", [fu], params={"p": float(g.uniform(0.3, 0.5)),
                                                              "days": int(g.choice([60, 90]))},
                        decoy={"what": "planned follow-up", "activities": (fu.name,),
                               "tempting": ("rework", "bottleneck", "batching")}))
        return body

    def _wait_segment(self, add: Any) -> Seg:
        """A statutory period or a client wait, as a segment with its decoy."""
        g, L, u = self._g, self.lang, self.units
        if g.random() < 0.5:
            pe = self._step(u[0], pool=PERIOD_ENDS[L], external=True)
            return add("period", [pe], params={"days": int(g.choice([10, 14, 20, 30]))},
                       decoy={"what": "statutory period", "activities": (pe.name,),
                              "tempting": ("bottleneck", "batching", "parallelizable")})
        cs = self._step(u[0], pool=CLIENT_STEPS[L], external=True)
        return add("client", [cs], params={"days": float(g.uniform(4, 15))},
                   decoy={"what": "client wait before an external step", "activities": (cs.name,),
                          "tempting": ("bottleneck", "batching", "rework")})

    # -- truth ----------------------------------------------------------------------------------
    @property
    def truths(self) -> list[dict[str, Any]]:
        return [dict(s.truth, sid=s.sid) for s in self.segments if s.truth]

    @property
    def decoys(self) -> list[dict[str, Any]]:
        return [dict(s.decoy, sid=s.sid) for s in self.segments if s.decoy]

    @property
    def required(self) -> list[str]:
        return [a for d in self.decoys if d.get("required") for a in d["activities"]]

    def segment_of(self, activity: str) -> Seg:
        return next(s for s in self.segments if any(st.name == activity for st in s.steps))

    # -- simulation -----------------------------------------------------------------------------
    def simulate(self, *, skip: frozenset[str] = frozenset(), merged: frozenset[int] = frozenset()) -> pd.DataFrame:
        """All cases as rows ``case, activity, unit, resource, start, end`` (local wall-clock
        timestamps; ``start`` is NaT without start times); ``frame.attrs["affected"]`` maps
        each truth segment id to the number of cases it affected. ``skip``: office steps
        (names) left out; ``merged``: ids of ``mergeable`` segments run as one step."""
        rows: list[tuple[Any, ...]] = []
        affected: dict[int, int] = {}
        horizon = 200 * MIN_PER_DAY
        for i in range(self.n_cases):
            ctx = Ctx(self, i, skip=frozenset(skip))
            r0 = np.random.default_rng([self.seed, i, 0, 0])
            t = self.office.next_open(float(r0.uniform(0, horizon)))
            for s in self.segments:
                t = self._run(s, ctx, t, merged)
            for sid in ctx.flags:
                affected[sid] = affected.get(sid, 0) + 1
            cid = f"{self.seed % 97:02d}-{i:05d}"
            for e in ctx.events:
                rows.append((cid, e.activity, e.unit, e.resource, e.start, e.end))
        df = pd.DataFrame(rows, columns=["case", "activity", "unit", "resource", "start", "end"])
        # seconds within the minute, from the case stream, so exported times are not all :00
        for col in ("start", "end"):
            df[col] = ORIGIN + pd.to_timedelta(df[col].round(3), unit="min")
        if not self.start_times:
            df["start"] = pd.NaT
        df.attrs["affected"] = affected
        return df

    def _run(self, s: Seg, ctx: Ctx, t: float, merged: frozenset[int]) -> float:
        r = ctx.rng(s.sid)
        off = self.office
        if s.truth and s.kind not in ("rework", "duplicate", "pingpong", "incomplete"):
            ctx.flags.add(s.sid)  # a pattern every case goes through
        st = s.steps
        if s.kind == "task":
            return st[0].run(ctx, r, t)
        if s.kind == "chain":
            for step in st:
                t = step.run(ctx, r, t)
            return t
        if s.kind == "choice":
            return (st[0] if r.random() < s.params["p"] else st[1]).run(ctx, r, t)
        if s.kind == "concurrent":  # truly concurrent: both start from t, the case goes on after both
            e1 = st[0].run(ctx, r, t)
            e2 = st[1].run(ctx, r, t)
            return max(e1, e2)
        if s.kind == "rework":
            t = st[1].run(ctx, r, st[0].run(ctx, r, t))
            if r.random() < s.params["p"]:
                ctx.flags.add(s.sid)
                for _ in range(1 + int(r.random() < 0.3)):
                    t = st[1].run(ctx, r, st[0].run(ctx, r, t))
            return t
        if s.kind == "duplicate":  # the same check by a first unit, a step between, then by a second unit
            c, mid = st
            u1, u2 = s.params["units"]
            t = dataclasses.replace(c, unit=u1).run(ctx, r, t)
            if mid.external:  # the applicant answers after a few days (elapsed), any hour 7-21
                t = self._external(ctx, mid, t + 5 * MIN_PER_DAY * r.lognormal(0, 0.6))
            else:
                t = mid.run(ctx, r, t)
            if r.random() < s.params["p"]:
                ctx.flags.add(s.sid)
                t = dataclasses.replace(c, unit=u2).run(ctx, r, t)
            return t
        if s.kind == "pingpong":
            t = st[1].run(ctx, r, st[0].run(ctx, r, t))
            if r.random() < s.params["p"]:
                ctx.flags.add(s.sid)
                for _ in range(1 + int(r.random() < 0.35)):
                    t = st[1].run(ctx, r, st[0].run(ctx, r, t))
            return t
        if s.kind == "mergeable":
            a, b = st
            who = str(r.choice(self.staff[a.unit]))
            if s.sid in merged:  # one step: A's wait, both processing times, no hand-off
                w = a.wait_h * 60 * r.lognormal(0, a.wait_sigma)
                pa = a.proc_min * r.lognormal(0, a.proc_sigma)
                r.lognormal(0, 0.5)  # the gap's and B's wait draws, kept so the stream stays aligned
                r.lognormal(0, b.wait_sigma)
                pb = b.proc_min * r.lognormal(0, b.proc_sigma)
                start = off.next_open(off.add(t, w))
                end = off.add(start, pa + pb)
                ctx.events.append(Ev(f"{a.name} + {b.name}", a.unit, who, start, end))
                return end
            t = a.run(ctx, r, t, person=who)
            gap = s.params["gap_min"] * r.lognormal(0, 0.5)
            return b.run(ctx, r, t, person=who, wait_h=gap / 60)
        if s.kind == "parallel":  # independent steps in random order, one after the other
            if s.params["period_days"]:
                t = t + s.params["period_days"] * MIN_PER_DAY
            first, second = (st[0], st[1]) if r.random() < 0.5 else (st[1], st[0])
            ctx.flags.add(s.sid)
            return second.run(ctx, r, first.run(ctx, r, t))
        if s.kind == "batch":  # released at the next fixed weekday/hour slot
            arrival = t + 60 * r.lognormal(0, 0.5)
            rel = min(self._next_slot(arrival, d, h) for d, h in s.params["slots"]) + float(r.uniform(0, 20))
            st[0].run(ctx, r, rel)
            return ctx.events[-1].end
        if s.kind == "incomplete":
            rv, rq, rc = st
            t = rv.run(ctx, r, t)
            if r.random() < s.params["p"]:
                ctx.flags.add(s.sid)
                t = rq.run(ctx, r, t)
                arrive = t + s.params["client_days"] * MIN_PER_DAY * r.lognormal(0, 0.5)
                ctx.events.append(Ev(rc.name, rc.unit, "", arrive, arrive))
                t = rv.run(ctx, r, arrive)
            return t
        if s.kind == "rareloop":
            t = st[0].run(ctx, r, t)
            if r.random() < s.params["p"]:
                t = st[0].run(ctx, r, t)
            return t
        if s.kind == "client":  # the applicant sends something: a variable elapsed wait, any hour 7-21
            return self._external(ctx, st[0], t + s.params["days"] * MIN_PER_DAY * r.lognormal(0, 0.6))
        if s.kind == "period":  # a fixed number of calendar days, recorded at its expiry
            end = t + s.params["days"] * MIN_PER_DAY
            ctx.events.append(Ev(st[0].name, st[0].unit, "", end, end))
            return end
        if s.kind == "decision":
            dec, yes, no1, no2 = st
            t = dec.run(ctx, r, t)
            if r.random() < s.params["p"]:
                return yes.run(ctx, r, t)
            return no2.run(ctx, r, no1.run(ctx, r, t))
        if s.kind == "followup":  # planned visits a fixed number of days later (±2 days)
            if r.random() < s.params["p"]:
                for _k in range(1 + int(r.random() < 0.4)):
                    due = t + s.params["days"] * MIN_PER_DAY + float(r.uniform(-2, 2)) * MIN_PER_DAY
                    # booked at a random office hour of the due day, not at its opening
                    due = off.add(off.next_open(np.floor(due / MIN_PER_DAY) * MIN_PER_DAY), float(r.uniform(0, 360)))
                    t = st[0].run(ctx, r, due, wait_h=0.05)
            return t
        raise ValueError(s.kind)

    @staticmethod
    def _external(ctx: Ctx, step: Step, arrive: float) -> float:
        """An external event (no person) at ``arrive``, moved out of the night (07:00-21:00)."""
        day = np.floor(arrive / MIN_PER_DAY) * MIN_PER_DAY
        tod = arrive - day
        if tod < 420:  # night arrivals move to the morning, keeping their order
            arrive = day + 420 + tod / 3
        elif tod > 1260:
            arrive = day + MIN_PER_DAY + 420 + (tod - 1260) / 3
        ctx.events.append(Ev(step.name, step.unit, "", arrive, arrive))
        return arrive

    def _next_slot(self, t: float, weekday: int, minute: int) -> float:
        week = np.floor(t / (7 * MIN_PER_DAY)) * 7 * MIN_PER_DAY
        slot = week + weekday * MIN_PER_DAY + minute
        while slot < t:
            slot += 7 * MIN_PER_DAY
        return float(slot)

    # -- export ---------------------------------------------------------------------------------
    def export(self, df: pd.DataFrame, folder: Path, *, lifecycle: bool) -> tuple[Path, dict[str, str], dict[str, Any]]:
        """Write ``df`` as a CSV with random headers and conventions; returns the path, the true
        role -> header mapping and the format used."""
        g = np.random.default_rng([self.seed, 20_011, int(lifecycle)])
        swiss = bool(g.random() < 0.5)
        sep = ";" if swiss else str(g.choice([",", ";", "\t"]))
        fmt = str(g.choice(["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"])) if swiss else "%Y-%m-%d %H:%M:%S"
        enc = str(g.choice(["utf-8", "utf-8-sig", "cp1252"]))
        h = {role: str(g.choice(names)) for role, names in HEADERS.items()}
        while len(set(h.values())) < len(h):  # e.g. "Start" twice
            h = {role: str(g.choice(names)) for role, names in HEADERS.items()}
        out = pd.DataFrame({h["case"]: df["case"], h["activity"]: df["activity"]})
        roles = {"case": h["case"], "activity": h["activity"]}
        if lifecycle:
            words = LIFECYCLE_VALUES[int(g.integers(len(LIFECYCLE_VALUES)))]
            parts = []
            base = out.assign(_i=np.arange(len(out)))
            if self.start_times:
                parts.append(base.assign(**{h["when"]: df["start"], h["lifecycle"]: words[0], "_o": 0}))
            parts.append(base.assign(**{h["when"]: df["end"], h["lifecycle"]: words[1], "_o": 1}))
            out = pd.concat(parts, ignore_index=True).sort_values([h["when"], "_o"], kind="stable")
            res = df["resource"].to_numpy()[out["_i"].to_numpy()]
            unit = df["unit"].to_numpy()[out["_i"].to_numpy()]
            out = out.drop(columns=["_i", "_o"]).reset_index(drop=True)
            roles.update(timestamp=h["when"], lifecycle=h["lifecycle"])
            out[h["when"]] = out[h["when"]].dt.strftime(fmt)
        else:
            if self.start_times:
                out[h["start_timestamp"]] = df["start"].dt.strftime(fmt)
                roles["start_timestamp"] = h["start_timestamp"]
            out[h["timestamp"]] = df["end"].dt.strftime(fmt)
            roles["timestamp"] = h["timestamp"]
            res, unit = df["resource"], df["unit"]
        out[h["resource"]] = np.asarray(res)
        out[h["org"]] = np.asarray(unit)
        roles.update(resource=h["resource"], org=h["org"])
        # columns that are no role: the applicant's municipality and the fee (per case), a note
        n = len(out)
        codes, uniq = pd.factorize(out[h["case"]])
        out[str(g.choice(["Gemeinde", "Commune", "Comune", "Municipality"]))] = g.choice(TOWNS, size=len(uniq))[codes]
        out[str(g.choice(["Bemerkung", "Remarque", "Osservazioni", "Note"]))] = g.choice(NOTES, size=n)
        out[str(g.choice(["Gebühr CHF", "Émolument", "Tassa", "Fee"]))] = np.round(g.gamma(2, 60, size=len(uniq)), 2)[codes]
        cols = list(out.columns)
        tail = cols[2:]
        g.shuffle(tail)
        out = out[cols[:2] + tail]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"proc{self.seed}_{'lifecycle' if lifecycle else 'interval'}.csv"
        out.to_csv(path, sep=sep, index=False, encoding=enc, quoting=csv.QUOTE_MINIMAL)
        return path, roles, {"sep": sep, "date_format": fmt, "encoding": enc}

    def describe(self) -> str:
        return (f"seed {self.seed}: {self.lang}, {self.n_cases} cases, "
                f"{'with' if self.start_times else 'without'} start times, office "
                f"{self.office.hours} on weekdays {self.office.weekdays}")


def median_case_duration(df: pd.DataFrame) -> pd.Timedelta:
    """Median of first start (first completion without start times) to last completion,
    in UTC elapsed time (local times are Europe/Zurich), as ``EventLog.case_durations``."""
    s = df["start"] if df["start"].notna().any() else df["end"]
    loc = lambda x: x.dt.tz_localize("Europe/Zurich", ambiguous="NaT", nonexistent="shift_forward")  # noqa: E731
    d = df.assign(s=loc(s), e=loc(df["end"])).groupby("case").agg(s=("s", "min"), e=("e", "max"))
    return (d["e"] - d["s"]).median()
