"""What kind of step each activity is: a request to the outside world, a step the outside
world triggers, a step a system records.

:func:`classify_steps` reads the activity names (German, French, Italian, English) *and*
the data, so that it also works on exports whose names are codes:

``request``
    The office asks the applicant or a third party for something (missing documents or
    information, a statement, a payment): *Unterlagen nachfordern*, *Demande de pièces
    complémentaires*, *Richiesta di integrazione*, *Request missing documents*... or,
    from the data, a step after which the case typically (at least half the time) goes
    on with an external step after a long wait (at least a day, and several times the
    log's typical wait), unless in at least 10 % of its occurrences the case goes straight
    back into a loop of office work (to a step that leads to it again through office steps
    only): after a request the case waits for the outside world before work is redone, so
    such a step closes a loop of the office's own rework instead. When the answer is not
    recorded, a step is a request when the case goes back from it to the check that raised
    it (its most frequent other predecessor, an office step) in at least a fifth of the
    times it leaves it, while waiting outside the office: the step is chased (repeated back
    to back, with on average a long wait every second loop: calls until the applicant is
    reached) or the way back to the check is long in most loops and at least twice as often
    as the check's entries from elsewhere (its own queue). Names saying a file is
    incomplete (*incomplete dossiers*, *Antrag unvollständig*, *dossier incomplet*, *pratica
    incompleta*) or Dutch requests (*stukken opvragen*) are request vocabulary too. A query to another unit *of the log* is not a request: when a
    step asks without naming documents, missing pieces or a payment (*Rückfrage*, *demande
    de précisions*, *clarification*) or is found from structure only, and the step that
    usually follows is done by another ``org:group`` with staff recorded, the answer is
    that unit's work (its queue), not the applicant's.
``external``
    The outside world triggers the step: documents received, an objection or appeal
    filed, a payment received, the person returns (*Unterlagen eingereicht*, *Recours
    déposé*, *Documenti pervenuti*, *Payment*, *Return ER*...; the filing named by a noun
    too: *Gesuchseingang*, *Dépôt de la demande*, *Deposito della domanda*, *Submission*) or,
    from the data, no staff
    is ever recorded on it while the rest of the log records resources (at least half its
    events), or it is recorded by a system account (*eBau-Portal*, *system*, *batch*...),
    unless its name says the office sends something (*versenden*, *send*, *notify*...) or
    it mostly follows the previous step within a second (it reacts to that step).
    Waiting before an external step is not the office's queue.
``system``
    A system records the step: a system account, no resource while the log has them, or
    durations under a second (with start times: its processing; without: it follows the
    previous event within a second, an automatic reaction).

The ``why`` column says which rule flagged each activity. :func:`procmine.performance`
uses the flags to split every wait by cause; the ``incomplete_submission`` detector uses
``request``.

Examples
--------
>>> import procmine as pm
>>> from procmine.waits._steps import classify_steps
>>> steps = classify_steps(pm.samples.load("permit_de"))
>>> bool(steps.loc["Unterlagen nachfordern", "request"])
True
>>> bool(steps.loc["Rückfrage an Amt für Umwelt", "request"])  # asks another unit of the log
False
>>> bool(steps.loc["Gesuch eingereicht", "external"]), bool(steps.loc["Bauentscheid", "external"])
(True, False)
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .._core.codes import column_codes
from .._core.event_times import elapsed_times
from .._core.kernels import NAT, run_starts
from ..log import ACTIVITY, GROUP, RESOURCE, EventLog

__all__ = ["StepAggregates", "classify_steps", "decide_steps", "is_system_account", "normalise_name", "step_aggregates",
           "step_flags", "steps_frame", "table_column"]

_DAY_US = 86_400_000_000
_SECOND_US = 1_000_000
_LOOP_BACK_SHARE = 0.1  # a request is (nearly) never followed at once by a loop of office work
#: a request without a recorded answer sends the case back to the check that raised it at
#: least once in five times it is left (the rest: the file was complete after all, withdrawn...)
_CHECK_AGAIN_SHARE = 0.2
_SMALL_TABLE = 4096  #: rows of a table of distinct values deduplicated with a dict rather than pandas

# Vocabulary on accent-free, lower-case names with punctuation turned into spaces.
_REQUEST = re.compile(
    r"nachforder|nachreich|nachgefordert|nachzureichen"
    r"|(unterlagen|dokumente?n?|angaben|informationen|auskunfte?|belege?|nachweise?|ergaenzung\w*)\s+"
    r"(\w+\s+)?(an|nach|ein)?(forder|verlang)"
    r"|(anforder|einforder|verlang)\w*\s+(\w+\s+)?(von\s+)?(unterlagen|dokument|angaben|informationen|belege?|ergaenzung)"
    r"|\brueckfrage|aufforderung|zahlungsaufforderung|kostenvorschuss|stellungnahme\s+einholen|vervollstaendig"
    r"|demande\s+(de\s+|d\s+)?(complement|pieces?|documents?|informations?|renseignements?|precisions?|paiement|avance)"
    r"|pieces?\s+(manquantes?|complementaires?)|complet(er|ement|ion)\s+(du|le|de|d)\s+(dossier|demande)"
    r"|invitation\s+a\s+(completer|payer|fournir)|requete\s+de\s+complement|\brappel\b"
    r"|richiest[ao]\s+(di\s+|d\s+)?(integrazion|document|informazion|chiariment|pagament|complet|atti)"
    r"|(documenti|atti)\s+(mancanti|integrativi|supplementari)|\bsollecito|integrazione\s+(documenti|atti|richiesta)"
    r"|request\w*\s+(for\s+)?(\w+\s+)?(documents?|information|info|statement|payment|clarification|evidence|details)"
    r"|(documents?|information)\s+(\w+\s+)?request|\bask\w*\s+for\s+(\w+\s+)?(documents?|information|details)"
    r"|missing\s+(documents?|information)|\breminder\b"
    # a file found incomplete (nl/de/fr/it/en) and Dutch requests for documents or data
    r"|(incomplet\w*|onvolledig\w*|unvollstaendig\w*|ontbrekend\w*)\s+(\w+\s+)?(dossiers?|aanvra\w*|stukken"
    r"|documenten|gegevens|applications?|files?|antra\w*|gesuch\w*|unterlagen|demandes?|domand\w*|pratich?\w*)"
    r"|(dossiers?|aanvra\w*|antra\w*|gesuch\w*|unterlagen|demandes?|domand\w*|pratich?\w*)\s+(\w+\s+)?"
    r"(incomplet\w*|onvolledig\w*|unvollstaendig\w*)"
    r"|(stukken|documenten|gegevens|informatie)\s+(op|na)?vragen|\bopvragen|aanvulling\w*\s+(op|aan)?vragen"
)
# words that ask *someone* something (an office as well as the applicant): a request to the
# applicant only when the answer is not recorded as another unit's work
_WEAK_REQUEST = re.compile(
    r"rueckfrage|stellungnahme|aufforderung|precision|renseignement|chiariment|clarification|statement"
    r"|\brappel\b|\breminder\b|sollecito|\bdetails\b"
)
_EXTERNAL = re.compile(
    r"eingang\b|eingegangen|eingereicht|\beinreichung|\berhalten\b|\beingelangt|\beingetroffen|zahlungseingang|\bbezahlt\b"
    r"|einsprache\s+(erhoben|eingegangen|eingereicht)|beschwerde\s+(erhoben|eingegangen|eingereicht)"
    r"|\brecue?s?\b|\breception\b|\bdeposee?s?\b|\bdepot\s+(de|du|des|d)\b|\bparvenue?s?\b|recours\s+(depose|interjete|forme)"
    r"|opposition\s+(formee|deposee)|\bpaiement\s+recu|\bpayee?\b"
    r"|\bricevut[aoie]\b|\bpervenut[aoie]\b|\bpresentat[aoie]\b|\bdepositat[aoie]\b"
    r"|\b(deposito|presentazione|inoltro)\s+(della|del|dello|dei|delle|di|d)\b|\bricorso\b|\bopposizione\b"
    r"|\bpagamento\b|\bpagat[aoie]\b"
    r"|\breceived?\b|\breceipt\s+of\b|\bfiled\b|\bsubmitted\b|\bsubmission\b|\bfiling\s+of\b|\blodged\b|\breturn(ed|s)?\b|\bpayment\b|\bpaid\b"
    r"|\bappeal(ed)?\s+(to|lodged|logded|filed|received)\b|\b(objection|appeal)s?\s+(lodged|logded|filed|received|submitted)"
    r"|\barrived?\b|\bsent\s+back\b|\bback\s+from\b"
)
# the name is a hold status and nothing else ("Wait", "On hold", "En attente"): the case is
# parked for someone outside the office's queue (the customer, a supplier), not queued
_HOLD = re.compile(
    r"^(wait|waiting|on hold|hold|pending|suspended|awaiting (customer|client|reply|response|answer)"
    r"|warten|wartend|zurueckgestellt|sistiert|pendent|en attente|attente|suspendu|in attesa|sospes[oa])$"
)
# the office sending or confirming something: never external, whatever records it
_OUTBOUND = re.compile(
    r"bestaetig|versend|versand|\bsenden|mitteil|\bdruck|eroeffn|zustell|ausfertig|auftrag|anweisung|auszahl"
    r"|confirm|accuse|\benvo|notifi|imprim|\bordre\b|versement|redaction"
    r"|conferm|\binvi|notific|stamp|ordine|emission|\bsend|\bsent\b(?!\s+back)|notify|\bprint|\border\b|\bpay\s+out|transfer"
)
_SYSTEM_ACCOUNT = re.compile(
    r"\b(system|systeme|sistema|sys|portal|portail|portale|server|batch|bot|robot|auto|automat\w*|cron|job|daemon"
    r"|interface|schnittstelle|api|e\s+services?|workflow|scheduler|script|import|sap|bpm)\b"
)


#: a small table of aggregates: a frame (the query engines) or a dict of equal-length arrays (in memory,
#: where building and reading a frame would cost more than the work on it)
Table = pd.DataFrame | dict[str, np.ndarray]


def table_column(table: Table, name: str, dtype: Any = None) -> np.ndarray:
    """A column of a :data:`Table` as a numpy array (of ``dtype`` when given)."""
    values = table[name]
    if isinstance(values, np.ndarray):
        return values if dtype is None else values.astype(dtype, copy=False)
    return values.to_numpy(dtype=dtype)


def is_system_account(name: object) -> bool:
    """Whether a resource name reads as a system account (*eBau-Portal*, *SYSTEM*, *batch*, ...),
    as the step classification judges it (also used to keep a system marker in pseudonyms).

    >>> is_system_account("eBau-Portal"), is_system_account("Anna Muster")
    (True, False)
    """
    return _is_system_account(str(name))


def _strong(text: str) -> bool:
    """A request naming what the applicant must supply: documents, missing pieces, payment."""
    return bool(re.search(r"unterlagen|dokument|beleg|nachforder|nachreich|pieces?|document|paiement|pagament"
                          r"|payment|missing|mancant|integrazion|complement", text))


def normalise_name(name: object) -> str:
    """An activity or resource name as the vocabularies read it: lower case, without
    accents, punctuation as spaces.

    >>> normalise_name("Unterlagen nachfordern (Gesuchsteller)")
    'unterlagen nachfordern gesuchsteller'
    >>> normalise_name("Pièces complémentaires reçues")
    'pieces complementaires recues'
    """
    return _normalise(str(name))


# Names and resources repeat from call to call (every analysis of a log classifies its
# steps): the text work below is cached per distinct string.
@lru_cache(maxsize=1 << 16)
def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe")
                                 .replace("ü", "ue").replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(_NON_ALNUM.sub(" ", text).split())


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)
def _vocabulary(text: str) -> tuple[bool, bool, bool, bool]:
    """(request, external, outbound, weak request only) vocabulary in a normalised text."""
    return (bool(_REQUEST.search(text)), bool(_EXTERNAL.search(text)), bool(_OUTBOUND.search(text)),
            bool(_WEAK_REQUEST.search(text)) and not _strong(text))


@lru_cache(maxsize=1 << 16)
def _is_hold(name: str) -> bool:
    return bool(_HOLD.match(_normalise(name)))


@lru_cache(maxsize=1 << 16)
def _is_system_account(resource: str) -> bool:
    return bool(_SYSTEM_ACCOUNT.search(_normalise(resource)))


def _labels(log: EventLog, n_act: int) -> list[list[str]]:
    """Readable names beside the activity codes (e.g. BPIC15's ``activityNameEN``): per
    activity, the first value of each event column whose name says it labels activities and
    that holds (nearly) one value per activity. Computed once per log (every performance
    call classifies the same steps again)."""
    c = log.codes
    memo = getattr(c, "memo", None)
    key = ("activity_labels", n_act)
    if isinstance(memo, dict) and key in memo:
        return [list(x) for x in memo[key]]
    out: list[list[str]] = [[] for _ in range(n_act)]
    df, act = log.df, c.activity

    def is_text(col: str) -> bool:
        dt = df[col].dtype
        return dt.kind in "OSUT" or str(dt) in ("string", "category")

    n_present = int(np.count_nonzero(np.bincount(act, minlength=n_act))) if len(act) else 0
    for col in label_columns(df.columns, is_text):
        # the column's codes (-1 = missing): its first value per activity and its distinct
        # (activity, value) pairs without a pass of pandas objects over every event
        codes, values = _column_codes(c, df, col)
        kept = np.flatnonzero(codes >= 0)
        a = act[kept]
        # each activity's first event with a value (no sort: a minimum per activity), and
        # the distinct (activity, value) pairs counted over their small key space
        first_at = np.full(n_act, len(act), dtype=np.int64)
        np.minimum.at(first_at, a, kept)
        has = np.flatnonzero(first_at < len(act))
        first = pd.Series(values[codes[first_at[has]]], index=has, dtype=object)
        n_distinct = len(_key_counts(a.astype(np.int64) * max(len(values), 1) + codes[kept],
                                     n_act * max(len(values), 1))[0])
        add_labels(out, first, n_distinct, n_present)
    if isinstance(memo, dict):
        memo[key] = tuple(tuple(x) for x in out)
    return out


def label_columns(columns: Iterable[str], is_text: Callable[[str], bool]) -> list[str]:
    """The event columns that may label activities: named so, and holding text."""
    out = []
    for col in columns:
        if col == ACTIVITY or col.startswith(("case:", "org:", "time:", "lifecycle:")):
            continue
        if not re.search(r"activit|label|bezeichn|libell|descri|name", str(col), re.I):
            continue
        if is_text(col):
            out.append(col)
    return out


def add_labels(out: list[list[str]], first: pd.Series, n_distinct: int, n_groups: int | None = None) -> None:
    """Add a label column's values (``first``: its first value per activity code; ``n_distinct``:
    its distinct non-missing (activity, value) pairs; ``n_groups``: the activities present,
    ``len(first)`` by default) to ``out`` when it labels activities."""
    if n_distinct > 1.2 * max(len(first) if n_groups is None else n_groups, 1):
        return  # not a label of the activity
    for a, v in first.items():
        if isinstance(v, str) and v.strip():
            out[int(a)].append(v)


@dataclass(frozen=True, eq=False)
class StepAggregates:
    """What :func:`decide_steps` reads of a log: aggregates only (the DuckDB engine computes
    them in SQL, :func:`step_aggregates` in memory). Activity codes index the arrays."""

    names: np.ndarray  #: activity names (object), in code order
    labels: list[list[str]]  #: per activity, readable labels from other columns
    count: np.ndarray  #: events per activity
    resources: Table | None  #: ``code``, ``resource`` (str), ``n``: events per activity and recorded resource; None = no resource column
    has_start: bool  #: the log has start timestamps
    quick: np.ndarray  #: (n_act, 4) ints: processing known, processing < 1 s, waiting (elapsed) known, waiting < 1 s
    edges: Table  #: ``src``, ``dst`` (codes), ``n`` pairs, ``n_long`` (waiting >= max(1 day, 3 x the log's median waiting)), ``n_other`` (both groups known and different)
    has_group: bool  #: the log has a group (unit) column


def long_wait_threshold(median_wait: float) -> float:
    """The wait after which a step looks like a request: at least a day, and three times
    the log's median waiting (elapsed µs)."""
    return max(_DAY_US, 3 * median_wait)


def step_aggregates(log: EventLog) -> StepAggregates:
    """:class:`StepAggregates` of a log in memory (vectorised).

    The directly-follows pairs are the log's shared :attr:`LogCodes.pairs` (already grouped
    by edge for the DFG); counts over small key spaces come from ``bincount``, not sorting.
    """
    c = log.codes
    names = np.asarray(c.activity_names, dtype=object)
    n_act = len(names)
    act = c.activity
    df = log.df
    resources = None
    if RESOURCE in df.columns:
        res_codes, res_names = _column_codes(c, df, RESOURCE)
        n_res = max(len(res_names), 1)
        ok = res_codes >= 0
        # (a resource on every event, as usual: no selection)
        a, r = (act, res_codes) if ok.all() else (np.compress(ok, act), np.compress(ok, res_codes))
        key = a.astype(np.int64)  # then in place: each fresh big array costs its page faults
        key *= n_res
        key += r
        key, n = _key_counts(key, n_act * n_res)
        res = res_names[key % n_res] if len(key) else np.array([], dtype=object)
        resources = {"code": key // n_res, "resource": np.array([str(r) for r in res], dtype=object), "n": n}
    # elapsed times and column codes are cached with the log's codes: performance() and the
    # detectors classify the steps of the same log again and again
    wait_elapsed, proc_elapsed, has_start = elapsed_times(c)
    count = np.bincount(act, minlength=n_act)
    quick = np.zeros((n_act, 4), dtype=np.int64)
    if proc_elapsed is not None:
        quick[:, 0:2] = _known_and_quick(act, proc_elapsed, n_act, count)
    quick[:, 2:4] = _known_and_quick(act, wait_elapsed, n_act, count)
    # directly-follows pairs within a case, with the waiting before the second step
    pairs = c.pairs
    same = pairs.same
    wait_next = np.compress(same, wait_elapsed[1:])
    valid = wait_next != NAT
    all_valid = bool(valid.all())
    typical = _median(wait_next if all_valid else wait_next[valid]) if valid.any() else 0.0
    long_wait = wait_next >= long_wait_threshold(typical)
    if not all_valid:
        long_wait &= valid
    has_group = GROUP in df.columns
    n_edges = len(pairs.keys)
    n_other = np.zeros(n_edges, dtype=np.int64)
    if has_group:
        other = np.compress(same, _next_differs(c, df, GROUP))
        n_other = np.bincount(pairs.edge[other], minlength=n_edges)
    width = max(n_act, 1)
    edges = {
        "src": pairs.keys // width, "dst": pairs.keys % width,
        "n": pairs.counts,
        "n_long": np.bincount(np.compress(long_wait, pairs.edge), minlength=n_edges),
        "n_other": n_other,
    }
    return StepAggregates(names=names, labels=_labels(log, n_act), count=count,
                          resources=resources, has_start=has_start, quick=quick, edges=edges,
                          has_group=has_group)


def _key_counts(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_counts=True)`` for int64 keys in ``0..size-1``: a ``bincount``
    when the key space is small (activities x resources), a sort otherwise."""
    if size > max(4 * len(key), 1 << 20):
        return np.unique(key, return_counts=True)
    counts = np.bincount(key, minlength=size)
    present = np.flatnonzero(counts)
    return present, counts[present]


#: one computation of a column's codes at a time (see :func:`_column_codes`); a lock kept
#: in the memo would make the log unpicklable
_CODES_LOCK = threading.Lock()


def _column_codes(c, df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` codes (-1 = missing) and distinct values (object) of a column of the
    log, computed once per log (kept with its codes)."""
    key = ("column_codes", column)
    memo = getattr(c, "memo", None)
    if not isinstance(memo, dict):
        return column_codes(df[column])
    if key not in memo:
        # find_redundancies' detectors run in threads and may ask for the same column at
        # once: one computes, the other waits (factorizing holds the GIL anyway)
        with _CODES_LOCK:
            if key not in memo:
                codes, values = column_codes(df[column])
                codes.flags.writeable = False
                memo[key] = (codes, values)
    return memo[key]


def _next_differs(c, df: pd.DataFrame, column: str) -> np.ndarray:
    """Per row but the last: the column has a value there and in the next row, and they
    differ. An Arrow string column is compared directly (encoding it costs more); else, or
    when its codes are known already, its codes (:func:`_column_codes`) are."""
    memo = getattr(c, "memo", None)
    arr = getattr(df[column].array, "_pa_array", None)
    if (not (isinstance(memo, dict) and ("column_codes", column) in memo) and arr is not None
            and getattr(arr, "num_chunks", 0) == 1 and len(arr) > 1):
        import pyarrow as pa
        import pyarrow.compute as pc

        ch = arr.chunk(0)
        if ch.type in (pa.string(), pa.large_string()):
            ne = pc.fill_null(pc.not_equal(ch[:-1], ch[1:]), False)  # null (a value missing): not a change
            return np.asarray(ne.to_numpy(zero_copy_only=False), dtype=bool)
    g, _ = _column_codes(c, df, column)
    here, nxt = g[:-1], g[1:]
    return (here >= 0) & (nxt >= 0) & (here != nxt)


def _median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a non-empty int64 array, partitioning a copy only once."""
    a = np.array(x, copy=True)
    n = len(a)
    half = n // 2
    a.partition(half)
    if n % 2:
        return float(a[half])
    # np.median's mean of the two middle values: both as float64, summed, halved; the lower
    # one is the largest value left of the partition point (one selection, not two)
    return float((np.float64(a[:half].max()) + np.float64(a[half])) / 2)


def _known_and_quick(act: np.ndarray, us: np.ndarray, n_act: int, count: np.ndarray) -> np.ndarray:
    """(n_act, 2): per activity, events whose duration ``us`` is known (not NAT), and those
    of them under a second (``count``: events per activity). Unknown durations are few
    (the first event of each case) and quick ones too: two ``bincount`` of small subsets."""
    unknown = us == NAT
    quick = us < _SECOND_US  # NAT (int64 min) is below a second too
    quick &= ~unknown
    known_n = count - np.bincount(np.compress(unknown, act), minlength=n_act)
    return np.stack([known_n, np.bincount(np.compress(quick, act), minlength=n_act)], axis=1)


def classify_steps(log: EventLog, *, external: Iterable[str] | None = None) -> pd.DataFrame:
    """Flag every activity as ``request``, ``external`` and/or ``system`` (see the module
    documentation), from its name and from the data.

    Parameters
    ----------
    log
        The event log.
    external
        Activities declared external (the outside world triggers them), whatever the
        detection says.

    Returns
    -------
    pandas.DataFrame
        Indexed by activity (``concept:name``), in the log's activity order: boolean
        ``request``, ``external``, ``system``, ``outbound`` (its name says the office sends,
        notifies or confirms something), ``hold`` (its name is a hold status: *Wait*, *On
        hold*, *En attente*...) and ``why`` (str: the rules that flagged it,
        ``""`` for an ordinary office step).

    Examples
    --------
    >>> import procmine as pm
    >>> steps = classify_steps(pm.samples.load("subsidy_fr"))
    >>> steps.loc["Demande de pièces complémentaires", ["request", "external"]].tolist()
    [True, False]
    >>> steps.loc["Demande déposée", "why"]
    'name: the outside world triggers it; recorded by a system account'
    """
    return decide_steps(step_aggregates(log), external=external)


def _loop_backs(src: np.ndarray, dst: np.ndarray, pairs: np.ndarray, office: np.ndarray, steps: np.ndarray,
                n_act: int) -> np.ndarray:
    """Per activity in ``steps``: its directly-follows pairs into an office step from which
    it is reached again through office steps only (a cycle of the office's own work),
    from the activity graph (no per-event work)."""
    out = np.zeros(n_act, dtype=np.float64)
    if len(steps) == 0:
        return out
    keep = office[src] & office[dst]
    preds: list[list[int]] = [[] for _ in range(n_act)]
    for s_, d_ in zip(src[keep].tolist(), dst[keep].tolist()):
        preds[d_].append(s_)
    for a in steps.tolist():
        reach = np.zeros(n_act, dtype=bool)  # office steps from which ``a`` is reached
        todo = [a]
        while todo:
            for p in preds[todo.pop()]:
                if not reach[p]:
                    reach[p] = True
                    todo.append(p)
        back = (src == a) & office[dst] & reach[dst]
        out[a] = float(pairs[back].sum())
    return out


def _request_loops(agg: StepAggregates, src: np.ndarray, dst: np.ndarray, pairs: np.ndarray, n_long: np.ndarray,
                   *, office: np.ndarray, follow_n: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Office steps that open a loop back to the check that led to them while the case waits
    outside the office, with no answer recorded (from the directly-follows counts only, so
    that every engine decides alike).

    A step *r* qualifies when (1) most of the cases reaching it from another step come from
    one office step *c* (the check that found something missing), (2) in at least
    :data:`_CHECK_AGAIN_SHARE` of the times the case leaves *r* it goes straight back to *c*
    (the check is done again), and (3) the case waits outside the office meanwhile: either
    *r* is a chase (at least half of its events directly follow itself: the office tries
    again and again to reach someone, and the repetitions and the return to *c* hold, on
    average, a long wait every second loop), or the return from *r* to *c* is long in most
    loops and at least twice as often long as *c*'s entries from elsewhere (its own queue).
    The office's own rework (check, fix, check) fails (3): the fix is not chased, and the
    check after it waits in the same queue as the first time.
    """
    n_act = len(agg.names)
    out = np.zeros(n_act, dtype=bool)
    why = [""] * n_act
    if not len(src):
        return out, why
    loop = src == dst
    self_n = np.bincount(src[loop], weights=pairs[loop], minlength=n_act)
    self_long = np.bincount(src[loop], weights=n_long[loop], minlength=n_act)
    # the check: the most frequent other step right before each step (edges are few: sort them)
    o = np.flatnonzero(~loop)
    o = o[np.lexsort((-pairs[o], dst[o]))]
    first = o[run_starts(dst[o])] if len(o) else o
    check = np.arange(n_act)
    entry_n = np.zeros(n_act)
    check[dst[first]], entry_n[dst[first]] = src[first], pairs[first]
    into_n = np.bincount(dst[o], weights=pairs[o], minlength=n_act)
    into_long = np.bincount(dst[o], weights=n_long[o], minlength=n_act)
    # the way back: edges r -> check(r)
    ret = np.flatnonzero(~loop & (check[src] == dst))
    back = np.bincount(src[ret], weights=pairs[ret], minlength=n_act)
    back_long = np.bincount(src[ret], weights=n_long[ret], minlength=n_act)
    exits = follow_n - self_n
    r = np.arange(n_act)
    cand = office & office[check] & (check != r) & (back >= 5) & (entry_n >= 0.5 * into_n)
    cand &= back >= _CHECK_AGAIN_SHARE * exits
    chase = cand & (self_n >= 0.5 * agg.count) & (self_long + back_long >= 0.5 * back)
    # a plain request: the way back to the check is long, and more often so than the check's
    # entries from elsewhere (its own queue)
    other_n = into_n[check] - back
    other_share = (into_long[check] - back_long) / np.maximum(other_n, 1)
    back_share = back_long / np.maximum(back, 1)
    plain = cand & ~chase & (back_share >= 0.5) & (back_share >= 2 * other_share)
    out = chase | plain
    names = agg.names
    for a in np.flatnonzero(out):
        how = ("it is repeated back to back with long waits (a chase)" if chase[a]
               else f"the way back is long in {back_share[a]:.0%} of the returns ({other_share[a]:.0%} of the "
                    "check's other entries)")
        why[a] = (f"structure: the case goes back to '{names[check[a]]}' after it in {back[a] / max(exits[a], 1):.0%} "
                  f"of the times it leaves it, {how}; the answer is not recorded")
    return out, why


def decide_steps(agg: StepAggregates, *, external: Iterable[str] | None = None) -> pd.DataFrame:
    """The rules of :func:`classify_steps` on a log's aggregates (shared by the engines)."""
    return steps_frame(agg.names, step_flags(agg, external=external))


def steps_frame(names: np.ndarray, flags: dict[str, Any]) -> pd.DataFrame:
    """The frame of :func:`decide_steps` from :func:`step_flags`."""
    return pd.DataFrame(flags, index=pd.Index(names, name=ACTIVITY))


def step_flags(agg: StepAggregates, *, external: Iterable[str] | None = None) -> dict[str, Any]:
    """The columns of :func:`decide_steps`: boolean arrays ``request``, ``external``,
    ``system``, ``outbound``, ``hold`` and the list ``why`` (without building the frame)."""
    names = agg.names
    n_act = len(names)
    n_ev = int(agg.count.sum())
    declared = set() if external is None else {str(a) for a in external}
    vocab_request, vocab_external, outbound, weak, hold = _vocabulary_flags(agg)
    why: list[list[str]] = [[] for _ in range(n_act)]
    no_staff, sys_account = _recorded_by(agg, n_ev)
    sub_second, immediate = _quick_steps(agg, n_ev)
    is_declared = np.array([str(a) in declared for a in names], dtype=bool)
    ext = is_declared | vocab_external | (~outbound & ~immediate & (no_staff | sys_account))
    system = no_staff | sys_account | sub_second
    for a in range(n_act):
        if is_declared[a]:
            why[a].append("declared external")
        if vocab_external[a]:
            why[a].append("name: the outside world triggers it")
        if no_staff[a]:
            why[a].append("no staff recorded on it (the log records resources elsewhere)")
        if sys_account[a]:
            why[a].append("recorded by a system account")
        if (no_staff[a] or sys_account[a]) and immediate[a] and not ext[a]:
            why[a].append("follows the previous step within a second: reacts to it")
        if sub_second[a] and not (no_staff[a] or sys_account[a]):
            why[a].append("sub-second durations (recorded by a system)")
    request = _requests(agg, why, ext=ext, system=system, vocab_request=vocab_request, weak=weak, hold=hold)
    request &= ~ext
    hold &= ~ext & ~request
    for a in np.flatnonzero(hold):
        why[a].append("name: a hold status (the case is parked for someone outside the queue)")

    return {
        "request": request,
        "external": ext,
        "system": system,
        "outbound": outbound & ~ext,
        "hold": hold,
        "why": ["; ".join(w) for w in why],
    }


def _vocabulary_flags(agg: StepAggregates) -> tuple[np.ndarray, ...]:
    """Per activity, from its name and labels: request, external, outbound, weak request
    word only, hold status."""
    norm = [normalise_name(a) + " | " + " | ".join(normalise_name(x) for x in extra) for a, extra in
            zip(agg.names, agg.labels)]
    vocab = np.array([_vocabulary(x) for x in norm], dtype=bool).reshape(len(norm), 4)
    vocab_request, vocab_external, outbound = vocab[:, 0].copy(), vocab[:, 1].copy(), vocab[:, 2].copy()
    # an inbound word in a name that also says "send"/"confirm" (Eingangsbestätigung) is outbound
    vocab_external &= ~outbound
    vocab_request &= ~vocab_external
    hold = np.array([_is_hold(str(a)) for a in agg.names], dtype=bool)
    return vocab_request, vocab_external, outbound, ~vocab_request | vocab[:, 3], hold


def _recorded_by(agg: StepAggregates, n_ev: int) -> tuple[np.ndarray, np.ndarray]:
    """Who records each step: nobody (while the log records staff elsewhere), a system account."""
    n_act = len(agg.names)
    count = agg.count.astype(np.float64)
    no_staff = np.zeros(n_act, dtype=bool)
    sys_account = np.zeros(n_act, dtype=bool)
    if agg.resources is not None and n_ev:
        r = agg.resources
        # the flags of each distinct value, read as text (a hash table: no sort of the texts;
        # a dict on the few rows of a small log, pandas' setup costs more there). The flags
        # depend on the text only, so values grouped or not give the same flags.
        values = table_column(r, "resource", object)
        if len(values) <= _SMALL_TABLE:
            seen: dict[Any, int] = {}
            inv = np.array([seen.setdefault(x, len(seen)) for x in values.tolist()], dtype=np.intp)
            distinct: Any = list(seen)
        else:
            inv, distinct = pd.factorize(values, use_na_sentinel=False)
        text = [str(x) for x in distinct]
        recorded = np.array([bool(x.strip()) for x in text], dtype=bool)[inv]
        is_sys = np.array([_is_system_account(x) for x in text], dtype=bool)[inv]
        code = table_column(r, "code", np.int64)
        n = table_column(r, "n", np.float64)
        res_n = np.bincount(code, weights=np.where(recorded, n, 0.0), minlength=n_act)
        sys_n = np.bincount(code, weights=np.where(recorded & is_sys, n, 0.0), minlength=n_act)
        others_n = n_ev - count
        with np.errstate(invalid="ignore", divide="ignore"):
            others_share = np.where(others_n > 0, (res_n.sum() - res_n) / others_n, 0.0)
        no_staff = (res_n == 0) & (others_share >= 0.5) & (count > 0)
        sys_account = (sys_n >= 0.5 * count) & (count > 0)
    return no_staff, sys_account


def _quick_steps(agg: StepAggregates, n_ev: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps with sub-second durations (a system records them), and steps recorded within a
    second of the previous one (they react to it: the office's step or a timer)."""
    pk_n, pq_n, wk_n, wq_n = (agg.quick[:, i] for i in range(4))
    sub_second = np.zeros(len(agg.names), dtype=bool)
    if n_ev:
        if agg.has_start:
            # only meaningful when the log measures processing elsewhere
            if int(pk_n.sum()) > int(pq_n.sum()):
                sub_second = (pk_n > 0) & (pq_n >= 0.9 * pk_n)
        else:
            sub_second = (wk_n >= 5) & (wq_n >= 0.9 * wk_n)
    immediate = (wk_n > 0) & (wq_n >= 0.5 * wk_n)
    return sub_second, immediate


def _requests(agg: StepAggregates, why: list[list[str]], *, ext: np.ndarray, system: np.ndarray,
              vocab_request: np.ndarray, weak: np.ndarray, hold: np.ndarray) -> np.ndarray:
    """Request steps: by name, or by structure (an external step follows after a long wait;
    or, with no answer recorded, the case goes back to the check that raised it), not a
    query to another unit of the log. Appends the reasons to ``why``."""
    n_act = len(agg.names)
    request = vocab_request.copy()
    e = agg.edges
    src = table_column(e, "src", np.int64)
    dst = table_column(e, "dst", np.int64)
    pairs = table_column(e, "n", np.float64)
    n_long = table_column(e, "n_long", np.float64)
    follow_n = np.bincount(src, weights=pairs, minlength=n_act)
    ext_next = ext[dst]
    ext_n = np.bincount(src, weights=np.where(ext_next, pairs, 0.0), minlength=n_act)
    long_n = np.bincount(src, weights=np.where(ext_next, n_long, 0.0), minlength=n_act)
    structural = ~ext & ~vocab_request & (follow_n >= 5) & (ext_n >= 0.5 * follow_n) & (long_n >= 0.5 * ext_n)
    structural &= ext_n > 0
    # after a request the case waits for the outside world before work is redone; a step
    # after which the case goes straight back into the office's own cycle (to a step that
    # leads to it again without the outside world) closes a loop of office work instead
    back_n = _loop_backs(src, dst, pairs, ~ext, np.flatnonzero(structural), n_act)
    closes = structural & (back_n >= _LOOP_BACK_SHARE * follow_n)
    for a in np.flatnonzero(closes):
        why[a].append(f"goes straight back into a loop of office work in {back_n[a] / follow_n[a]:.0%} of its "
                      "occurrences: not a request")
    structural &= ~closes
    request |= structural
    for a in np.flatnonzero(structural):
        why[a].append("structure: an external step follows after a long wait")
    # -- requests whose answer is not recorded: the loop goes back to the check ------------
    loop_req, loop_why = _request_loops(agg, src, dst, pairs, n_long,
                                        office=~ext & ~system, follow_n=follow_n)
    loop_req &= ~hold  # a hold status parks the case (its own rule): it asks nobody
    for a in np.flatnonzero(loop_req):
        why[a].append(loop_why[a])
    request |= loop_req
    # a query to another unit of the log: the answer is that unit's work, not the applicant's
    if agg.has_group and len(src):
        other = np.where(~ext_next & ~system[dst], table_column(e, "n_other", np.float64), 0.0)
        other_n = np.bincount(src, weights=other, minlength=n_act)
        internal = request & weak & (follow_n > 0) & (other_n >= 0.5 * follow_n)
        for a in np.flatnonzero(internal):
            why[a].append("asks another unit of the log (its answer is recorded as that unit's work): not a request")
        request &= ~internal
    for a in np.flatnonzero(vocab_request & request):
        why[a].insert(0, "name: a request to the applicant or a third party")
    return request
