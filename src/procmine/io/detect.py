"""Which column is the case, the activity, the timestamp...: detection from headers and content.

Headers are matched against names used in German, French, Italian and English exports
after normalisation (case, accents, punctuation and gender forms such as ``/in``,
``(in)`` or ``/trice`` removed), an exact name scoring above a name that merely contains
a known word. Roles the headers do not reveal are found from the content: the timestamp
is the column that parses as dates, the case a column of many values with few events
each, close together in time, the activity a low-cardinality text column that varies
within cases, the resource a column whose values recur across many cases and are not
determined by the activity, the org unit a column of few values that changes within cases
and follows the activity, the start time a date column not after the completion. Header
words outside the vocabulary (``Laufnummer``, ``Saisi par``) count as a bonus there; the
content decides, and it vetoes a header that names a category as the case or a case
attribute (a commune) as the org unit (see :mod:`procmine.io._detect_content`).

The date format of a column (:func:`detect_date_format`, one format for all rows,
day-first or month-first decided from the data) lives in :mod:`procmine.io._dates` and
is re-exported here.

Examples
--------
>>> normalise_header("Sachbearbeiter/in")
'sachbearbeiter'
>>> normalise_header("N° de dossier")
'no de dossier'
>>> match_header("Collaborateur/trice")
('resource', 3)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._core.notes import Note, note
from ._dates import DateSpec, detect_date_format, not_dates_note
from ._detect_content import (
    HEADER_BONUS,
    Profile,
    _content_timestamp,
    case_score,
    category_note,
    content_activity,
    content_case,
    content_org,
    content_resource,
    content_start,
    describe_resource,
    doubtful_case,
    profile,
    rank_cases,
    refines,
    timestamps,
)

__all__ = [
    "HEADER_NAMES",
    "ROLE_ORDER",
    "DateSpec",
    "detect_date_format",
    "detect_roles",
    "match_header",
    "normalise_header",
]

#: last rows of a source longer than the detection sample whose times count for the span of the log
TAIL_ROWS = 1_000

ROLE_ORDER = ("case", "activity", "timestamp", "start_timestamp", "resource", "org", "lifecycle")

#: role -> header names, most specific first (matched after :func:`normalise_header`)
# fmt: off
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "case": (
        "case:concept:name", "case id", "case_id", "caseid", "case number", "case", "dossier-nr",
        "dossiernummer", "dossier nr", "dossier", "fall-id", "fallnummer", "fall-nr", "fall",
        "geschäfts-nr", "geschäftsnummer", "geschäft", "gesuchsnummer", "gesuch", "vorgang",
        "vorgangsnummer", "antrag", "n° de dossier", "no dossier", "numéro de dossier", "no de dossier",
        "id du cas", "numéro de cas", "cas", "demande", "pratica", "numero pratica", "n pratica",
        "id caso", "caso", "ticket", "ticket id", "trace", "process instance", "instance",
    ),
    "activity": (
        "concept:name", "activity", "activity name", "aktivität", "tätigkeit", "arbeitsschritt",
        "schritt", "prozessschritt", "activité", "étape", "tâche", "attività", "fase", "task", "event",
        "event name", "step", "action",
    ),
    "timestamp": (
        "time:timestamp", "complete timestamp", "end timestamp", "timestamp", "zeitstempel",
        "erledigt am", "abgeschlossen am", "ende", "enddatum", "datum", "zeit", "date de fin",
        "horodatage", "date", "data", "ora", "data ora", "time", "end", "end time", "completed",
        "datetime",
    ),
    "start_timestamp": (
        "start_timestamp", "start timestamp", "time:start", "startzeit", "start", "beginn",
        "begonnen am", "startdatum", "date de début", "début", "inizio", "data inizio", "start time",
        "start date",
    ),
    "resource": (
        "org:resource", "resource", "sachbearbeiter", "sachbearbeiterin", "bearbeiter", "bearbeiterin",
        "mitarbeiter", "mitarbeiterin", "benutzer", "user", "collaborateur", "collaboratrice", "agent",
        "responsable", "utilisateur", "operatore", "operatrice", "incaricato", "incaricata", "utente",
        "employee", "performer", "owner",
    ),
    "org": (
        "org:group", "organisationseinheit", "amt", "abteilung", "dienststelle", "gemeinde",
        "direktion", "service", "office", "commune", "département", "departement", "direction", "unité",
        "ufficio", "comune", "dipartimento", "department", "unit", "group", "team",
    ),
    "lifecycle": (
        "lifecycle:transition", "lifecycle", "transition",
    ),
}
# fmt: on

_CANONICAL = {
    "case": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "start_timestamp": "start_timestamp",
    "resource": "org:resource",
    "org": "org:group",
    "lifecycle": "lifecycle:transition",
}
_GENDER = re.compile(r"(?:\s*[/(*:·.-]\s*-?(?:innen|in|trice|rice|ice)\)?|\s*[/(]\s*(?:e|a)\)?)(?=[^a-z]|$)")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _beats(rival: Profile, named: Profile, score: float, own: float) -> bool:
    """Whether a rival column is better evidence of case ids than a doubtful named one.

    It wins when its content scores higher, or when it splits the named column's values into
    finer groups. A rival that is itself doubtful (fewer than ten values) scores on too few
    values to compare, so it wins only by refinement, and any column refines a constant: a
    note holding two values in a one-case export is no evidence against the header."""
    if not doubtful_case(rival) and score > own:
        return True
    return named.k > 1 and refines(rival, named)


def normalise_header(name: object) -> str:
    """Lower-case ASCII words: accents, punctuation and gender forms removed.

    Examples
    --------
    >>> normalise_header("  Activité ")
    'activite'
    >>> normalise_header("Collaborateur(trice)")
    'collaborateur'
    """
    s = str(name).strip().casefold().replace("n°", "no ").replace("nº", "no ")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("ß", "ss")
    s = _GENDER.sub("", s)
    return " ".join(_NON_WORD.sub(" ", s).split())


_VOCAB: dict[str, list[tuple[str, int]]] = {
    role: [(normalise_header(n), i) for i, n in enumerate(names)] for role, names in HEADER_NAMES.items()
}
_ID_WORDS = {"id", "nr", "no", "number", "nummer", "numero", "num"}


def _match(norm: str, role: str) -> tuple[int, int]:
    """(level, -vocabulary position): level 3 exact, 2 whole words, 1 inside a compound word."""
    best = (0, 0)
    words = norm.split()
    padded = f" {norm} "
    squashed = norm.replace(" ", "")
    for name, pos in _VOCAB[role]:
        if norm == name or squashed == name.replace(" ", ""):
            level = 3
        elif f" {name} " in padded:
            level = 2
        elif len(name) >= 5 and " " not in name and any(name in w for w in words):
            level = 1
        else:
            continue
        if role in ("activity", "timestamp", "start_timestamp") and level < 3 and _ID_WORDS & set(words):
            continue  # "Activity ID", "Date Nr": codes, not the role itself
        best = max(best, (level, -pos))
    return best


def match_header(name: object) -> tuple[str, int] | None:
    """The role a header names and how well (3 exact, 2 word, 1 compound), or None.

    Examples
    --------
    >>> match_header("Dossier-Nr")
    ('case', 3)
    >>> match_header("Eingangsdatum")
    ('timestamp', 1)
    >>> match_header("Bemerkung") is None
    True
    """
    norm = normalise_header(name)
    scored = [(_match(norm, role), role) for role in ROLE_ORDER]
    (level, _), role = max(scored, key=lambda x: (x[0], -ROLE_ORDER.index(x[1])))
    return (role, level) if level else None


@dataclass
class Detection:
    """The outcome of :func:`detect_roles`: role -> column, how each was found, why, warnings."""

    roles: dict[str, str]
    how: dict[str, str]
    warnings: list[str]
    date_specs: dict[str, DateSpec]
    #: role -> why the column was taken (header word, content figures), for the ingest report
    evidence: dict[str, str] = field(default_factory=dict)


def detect_roles(
    df: pd.DataFrame,
    explicit: dict[str, str] | None = None,
    *,
    dayfirst: bool | None = None,
    sample_rows: int = 50_000,
) -> Detection:
    """Assign roles to columns: explicit ones first, then headers, then content.

    A header naming the case is checked against the content: a category (a few values,
    each holding many rows spread over the whole time range) is never taken as the case
    id. The case and the resource the headers do not reveal are scored from the content,
    header words (``Nummer``, ``n°``, ``Bearbeitet von``, ``Saisi par``...) counting as a
    bonus only; see :mod:`procmine.io._detect_content`.

    Parameters
    ----------
    df
        The source frame (not modified); values as read (strings for CSV).
    explicit
        role -> column the user named; these always win and are not checked.
    dayfirst
        Passed to the date-format detection of candidate timestamp columns.
    sample_rows
        Content detection looks at the first rows only.

    Examples
    --------
    >>> df = pd.DataFrame({"Fall-ID": ["1", "1"], "Tätigkeit": ["a", "b"],
    ...                    "Zeitstempel": ["01.02.2024 10:00", "02.02.2024 11:00"]})
    >>> detect_roles(df).roles
    {'case': 'Fall-ID', 'activity': 'Tätigkeit', 'timestamp': 'Zeitstempel'}
    """
    explicit = dict(explicit or {})
    st = _Found(
        roles=dict(explicit),
        how={r: "explicit" for r in explicit},
        evidence={r: "named by the caller" for r in explicit},
        taken=set(explicit.values()),
    )
    sample = df.head(sample_rows)
    if _standard_names(df, st):
        return st.detection()
    columns = [c for c in df.columns if c not in st.taken]
    norms = {c: normalise_header(c) for c in columns}
    org_named = _by_header(sample, columns, norms, st, dayfirst)

    # 2. content, for what the headers did not reveal
    several = _timestamp_by_content(sample, [c for c in columns if c not in st.taken], st, dayfirst)
    ts = timestamps(sample, st.roles.get("timestamp"), st.specs)
    cache: dict[str, Profile] = {}

    def profiles(col: str) -> Profile:
        if col not in cache:
            cache[col] = profile(sample[col], ts)
        return cache[col]

    rest = [c for c in columns if c not in st.taken and c not in st.specs]
    vetoed = _check_named_case(sample, rest, ts, profiles, norms, st)
    if "case" not in st.roles:
        _case_by_content(sample, rest, vetoed, ts, profiles, norms, st)
    tail = df.tail(TAIL_ROWS) if len(df) > len(sample) else None
    _others_by_content(sample, columns, rest, several, org_named, ts, profiles, norms, st, dayfirst, tail)
    return st.detection()


def _others_by_content(
    sample: pd.DataFrame, columns: list[str], rest: list[str], several: list[str], org_named: dict[str, int],
    ts: Any, profiles: Callable[[str], Profile], norms: dict[str, str], st: _Found, dayfirst: bool | None,
    tail: pd.DataFrame | None = None,
) -> None:
    """Step 2, after the case: the activity, resource, org unit and start time the headers did
    not reveal, from the content; a note when several date columns competed for the timestamp.
    ``tail``: the last rows of a source longer than the sample (the time the log covers)."""
    roles, how, evidence, warn = st.roles, st.how, st.evidence, st.warn
    if "activity" not in roles:
        content_activity(sample, rest, roles, how, evidence, ts, profiles, warn)
    if how.get("resource") == "header" and len(sample):
        figures = describe_resource(roles["resource"], roles, profiles)
        if figures:
            evidence["resource"] += "; " + figures
    if "resource" not in roles:
        content_resource(sample, [c for c in rest if c not in roles.values()], roles, how, evidence, profiles, warn, norms)
    if "org" not in roles:
        free = [c for c in columns if c not in roles.values() and c not in st.specs]
        content_org(sample, free, org_named, roles, how, evidence, profiles, warn)
    if "start_timestamp" not in roles:
        left = content_start(
            sample, [c for c in columns if c not in roles.values()], roles, how, evidence, st.specs, profiles, warn,
            dayfirst, tail,
        )
        unexplained = [c for c in several if c in left]
        if unexplained and how.get("timestamp") == "content":
            listed = ", ".join(map(repr, [roles["timestamp"], *unexplained]))
            warn.append(note(
                "several date columns ({columns}); took {column!r}, the latest, "
                "as the timestamp (pass timestamp=... and start_timestamp=... to choose)",
                columns=listed, column=roles["timestamp"]))


@dataclass
class _Found:
    """What :func:`detect_roles` has found so far; each of its steps adds to it."""

    roles: dict[str, str]  #: role -> column
    how: dict[str, str]  #: role -> "explicit", "standard", "header" or "content"
    evidence: dict[str, str]  #: role -> why
    taken: set[str]  #: columns no longer free (a role's, or reserved for the org unit)
    warn: list[str] = field(default_factory=list)
    specs: dict[str, DateSpec] = field(default_factory=dict)  #: column -> its date format
    #: role -> the warning that another column looked like it too; withdrawn with the role
    rivals: dict[str, str] = field(default_factory=dict)

    def take(self, role: str, col: str, how: str, why: str) -> None:
        self.roles[role], self.how[role], self.evidence[role] = col, how, why
        self.taken.add(col)

    def drop(self, role: str) -> str:
        """Forget ``role`` (its column is free again only where the caller says so), and the
        warning that named it the choice among rivals: the report keeps only the decisions made."""
        self.how.pop(role)
        self.evidence.pop(role, None)
        said = self.rivals.pop(role, None)
        if said is not None:
            self.warn[:] = [w for w in self.warn if w is not said]
        return self.roles.pop(role)

    def detection(self) -> Detection:
        order = {r: i for i, r in enumerate(ROLE_ORDER)}
        ordered = dict(sorted(self.roles.items(), key=lambda kv: order[kv[0]]))
        return Detection(
            roles=ordered,
            how={r: self.how[r] for r in ordered},
            warnings=self.warn,
            date_specs=self.specs,
            evidence={r: self.evidence[r] for r in ordered if r in self.evidence},
        )


def _standard_names(df: pd.DataFrame, st: _Found) -> bool:
    """Step 0: pm4py's canonical names (a frame from pm4py or ``EventLog.to_csv``) are taken
    as they are; True when case, activity and timestamp are under those names (a pm4py
    frame: its other columns are attributes, nothing more to detect). With the three named
    by the caller under other names, the headers and the content find the rest, as they do
    when the caller names fewer (a start time or resource under pm4py's name does not stop
    them: an export's org unit column would be missed)."""
    for role, canon in _CANONICAL.items():
        if role not in st.roles and canon in df.columns and canon not in st.taken:
            st.take(role, canon, "standard", "pm4py's standard column name")
    return all(st.roles.get(r) == _CANONICAL[r] for r in ("case", "activity", "timestamp"))


def _by_header(
    sample: pd.DataFrame, columns: list[str], norms: dict[str, str], st: _Found, dayfirst: bool | None
) -> dict[str, int]:
    """Step 1, headers: best scores first, one role per column and one column per role.

    Returns the columns named like the org unit (column -> header level), reserved in
    ``st.taken``: the content chooses among them last."""
    scored = []
    for col in columns:
        for role in ROLE_ORDER:
            if role in st.roles:
                continue
            level, pos = _match(norms[col], role)
            if level:
                scored.append(((level, pos), role, col))
    scored.sort(key=lambda x: (-x[0][0], -x[0][1], ROLE_ORDER.index(x[1]), columns.index(x[2])))
    best_role: dict[str, str] = {}
    for _, role, col in scored:  # best first
        best_role.setdefault(col, role)
    org_named: dict[str, int] = {}  # column -> header level; the content chooses among them
    for score, role, col in scored:
        if role in st.roles or col in st.taken:
            continue
        if role == "org":
            org_named.setdefault(col, score[0])
            continue
        if not _header_fits(sample, col, role, score[0], st, dayfirst):
            continue
        rivals = [
            c
            for s, r, c in scored
            if r == role and c != col and s[0] == score[0] and c not in st.taken and best_role.get(c) == role
        ]
        if role in ("timestamp", "start_timestamp"):  # a rival time must hold dates too ("Time": 8:00 AM)
            rivals = [c for c in rivals if _holds_dates(sample[c], dayfirst)]
        if rivals:
            st.rivals[role] = note(
                "columns {column!r} and {rival!r} both look like the {role}; took {column!r} "
                "(pass {param}=... to choose)", column=col, rival=rivals[0], role=role_word(role), param=role)
            st.warn.append(st.rivals[role])
        kind = "is" if score[0] == 3 else "contains"
        st.take(role, col, "header", f"{col!r} {kind} a known name for the {role}")
    org_named = {c: lvl for c, lvl in org_named.items() if c not in st.taken}
    st.taken |= set(org_named)  # reserved: the org unit is chosen last, by content among them
    return org_named


def role_word(role: str) -> Note | str:
    """A role's name in a reader's note (``case``, ``timestamp``...), which the report translates."""
    return {
        "case": note("case"), "activity": note("activity"), "timestamp": note("timestamp"),
        "start_timestamp": note("start_timestamp"), "resource": note("resource"), "org": note("org"),
        "lifecycle": note("lifecycle"),
    }.get(role, role)


def _header_fits(sample: pd.DataFrame, col: str, role: str, level: int, st: _Found, dayfirst: bool | None) -> bool:
    """A column named like a time holds dates (its format is kept in ``st.specs``); one named
    like the activity by a mere word in it holds more than one value."""
    if role in ("timestamp", "start_timestamp"):
        spec = detect_date_format(sample[col], dayfirst=dayfirst)
        if spec is None or spec.share < 0.5:
            st.warn.append(not_dates_note(sample[col], col, role_word(role), spec))
            return False
        st.specs[col] = spec
    if role == "activity" and level < 3 and len(sample) >= 10 and sample[col].nunique(dropna=True) <= 1:
        # a header that merely contains a word ("Event type": completes only) and one value: no steps
        st.warn.append(note("column {column!r} is named like the activity but holds one value on every row; ignored",
                            column=col))
        return False
    return True


def _holds_dates(values: pd.Series, dayfirst: bool | None) -> bool:
    spec = detect_date_format(values, dayfirst=dayfirst)
    return spec is not None and spec.share >= 0.5


def _timestamp_by_content(sample: pd.DataFrame, rest: list[str], st: _Found, dayfirst: bool | None) -> list[str]:
    """The timestamp from the content when no header named it (a lone start time column
    serves as the timestamp); returns the date columns compared for it."""
    if "timestamp" in st.roles:
        return []
    found, several = _content_timestamp(sample, rest, dayfirst, st.specs)
    if found is None and "start_timestamp" in st.roles:
        found = st.drop("start_timestamp")
        st.warn.append(note("only a start time column ({column!r}) found; it is used as the timestamp", column=found))
    if found is not None:
        st.roles["timestamp"] = found
        st.how.setdefault("timestamp", "content")
        st.evidence.setdefault("timestamp", f"the values of {found!r} are dates")
        st.taken.add(found)
    return several


def _check_named_case(
    sample: pd.DataFrame, rest: list[str], ts: Any, profiles: Callable[[str], Profile], norms: dict[str, str],
    st: _Found,
) -> str | None:
    """A header naming the case must hold case ids: a category is never the case, and a
    doubtful one gives way to a column whose content fits clearly better. Returns the
    column taken back from the case role (None when kept or not named)."""
    if st.how.get("case") != "header" or not len(sample):
        return None
    col = st.roles["case"]
    p = profiles(col)
    rival = None
    if p.category:
        st.warn.append(category_note(col, p, named=True))
    elif doubtful_case(p):
        ranked = rank_cases(sample, rest, ts, profiles, norms, [])
        own = case_score(p, ts, HEADER_BONUS)
        # a rival wins when its content fits better, or when it splits the named column's
        # values into finer groups (the named column is then an attribute of the case)
        better = [c for score, c, _ in ranked if _beats(profiles(c), p, score, own)]
        if better:
            rival = better[0]
            st.warn.append(note(
                "column {column!r} is named like the case id but its content ({content}) is less like "
                "case ids than {rival!r}'s ({rival_content}); took {rival!r} (pass case=... to choose)",
                column=col, content=p.describe(), rival=rival, rival_content=profiles(rival).describe()))
    if p.category or rival is not None:
        st.drop("case")
        st.taken.discard(col)
        return col
    st.evidence["case"] += "; " + p.describe()
    return None


def _case_by_content(
    sample: pd.DataFrame, rest: list[str], vetoed: str | None, ts: Any, profiles: Callable[[str], Profile],
    norms: dict[str, str], st: _Found,
) -> None:
    """The case id from the content; a vetoed named column joins ``rest`` (free for the
    other roles: a category may be the org unit...)."""
    rejected = content_case(sample, rest, st.roles, st.how, st.evidence, ts, profiles, st.warn, norms)
    if vetoed is not None:
        rest.append(vetoed)
    if "case" in st.roles:
        st.taken.add(st.roles["case"])
        return
    st.warn.extend(r for r in rejected if r not in st.warn)
    richest = sorted(rest, key=lambda c: -profiles(c).k)[:3]
    if richest:
        # each column with its count as a note (translated with the warning), joined by the list
        counted = [note("{column!r} ({k:,} values)", column=c, k=profiles(c).k) for c in richest]
        listed = counted[0]
        for more in counted[1:]:
            listed = note("{a}, {b}", a=listed, b=more)
        st.warn.append(note(
            "no column holds values that look like case ids (many values, few events each, "
            "close together in time), so the case id is not taken from the content; "
            "the columns with the most distinct values are {columns}", columns=listed))
