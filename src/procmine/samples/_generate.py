"""The simulation behind :mod:`procmine.samples.generator` (its public face).

:func:`generate` simulates cases of a procedure (a :class:`ProcedureSpec`; three are
built in, see :data:`PROCEDURES`) through office hours and FIFO resource queues, and
returns the :class:`~procmine.log.EventLog` with the list of :class:`GroundTruth`
entries describing what was injected (and which legitimate look-alikes are there).
The shipped samples are written by :mod:`procmine.samples._shipped`, which imports this
module; :mod:`procmine.samples.generator` gives both under one name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._core.validation import check_fraction, check_positive_int, fail
from ..io._common import finalize
from ..log import ACTIVITY, CASE, GROUP, RESOURCE, START, TIMESTAMP, TS_DTYPE, EventLog, IngestReport
from ..redundancy._finding import KINDS as _DETECTED
from ._calendar import OfficeCalendar
from ._engine import node_index, route_case, simulate
from ._noise import apply_noise
from ._procedure_it import residence_it
from ._procedures import permit_de, subsidy_fr
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
    iter_nodes,
)

__all__ = [
    "KINDS",
    "PROCEDURES",
    "Attribute",
    "Chain",
    "GroundTruth",
    "Loop",
    "Par",
    "Pool",
    "ProcedureSpec",
    "Repeat",
    "Seq",
    "Shuffle",
    "Simulated",
    "Step",
    "TruthSpec",
    "When",
    "Xor",
    "generate",
    "get_spec",
    "simulate_frame",
]

#: the redundancy kinds the generator injects: every detected kind but ``incomplete_submission``,
#: whose cases are the procedures' own document loops (the "legitimate loop" decoy of rework)
KINDS: tuple[str, ...] = tuple(k for k in _DETECTED if k != "incomplete_submission")

#: name -> function building the procedure spec
PROCEDURES: dict[str, Callable[[], ProcedureSpec]] = {
    "permit_de": permit_de,
    "subsidy_fr": subsidy_fr,
    "residence_it": residence_it,  # generated only, not shipped
}

TZ = "Europe/Zurich"
_SPEC_CACHE: dict[str, ProcedureSpec] = {}


def get_spec(name: str) -> ProcedureSpec:
    """The built-in procedure spec called ``name`` (built once)."""
    if name not in PROCEDURES:
        raise fail("generate", "procedure", f"one of {', '.join(map(repr, PROCEDURES))} or a ProcedureSpec", name)
    if name not in _SPEC_CACHE:
        _SPEC_CACHE[name] = PROCEDURES[name]()
    return _SPEC_CACHE[name]


def _active_kinds(inject: Any) -> dict[str, float | None]:
    """kind -> share override (None: the spec's default share)."""
    if inject is None:
        return dict.fromkeys(KINDS)
    if isinstance(inject, str):
        inject = (inject,)
    if isinstance(inject, Mapping):
        out: dict[str, float | None] = {}
        for k, v in inject.items():
            if k not in KINDS:
                raise fail("generate", "inject", f"kinds among {KINDS}", k)
            out[k] = check_fraction("generate", f"inject[{k!r}]", v, allow_none=True)
        return out
    kinds = tuple(inject)
    for k in kinds:
        if k not in KINDS:
            raise fail("generate", "inject", f"None, or kinds among {KINDS}", k)
    return dict.fromkeys(kinds)


def _check_spec(spec: ProcedureSpec) -> None:
    """Every step done by people has a pool; per-commune pools need the commune attribute."""
    names = {a.name for a in spec.attributes}
    for node in iter_nodes(spec.root):
        if isinstance(node, Step) and node.system is None:
            pool = node.pool or node.unit
            if pool not in spec.pools:
                raise fail("generate", "procedure", f"a spec with a Pool for {pool!r} (step {node.activity!r})",
                           spec.name)
    if any(p.per_commune for p in spec.pools.values()) and spec.commune not in names:
        raise fail("generate", "procedure", f"a spec with the commune attribute {spec.commune!r}", spec.name)


def _arrivals(spec: ProcedureSpec, cal: OfficeCalendar, n_cases: int, seed: int) -> np.ndarray:
    """Arrival times (calendar minutes): Poisson per working day, more in spring, uniform in office hours."""
    rng = np.random.default_rng([seed, 0])
    days = np.asarray(cal.working_days, dtype=np.int64)
    doy = np.array([(cal.origin + dt.timedelta(days=int(d))).timetuple().tm_yday for d in days])
    season = 1.0 + spec.spring_peak * np.cos(2 * np.pi * (doy - 105) / 365.25)
    counts = rng.poisson(spec.cases_per_day * season)
    total = np.cumsum(counts)
    last = int(np.searchsorted(total, n_cases)) + 1
    if last > len(days):  # pragma: no cover - the horizon is sized for n_cases
        raise OverflowError("calendar horizon too short for the requested cases")
    day_of_case = np.repeat(days[:last], counts[:last])[:n_cases]
    u = rng.random(len(day_of_case))
    cum = np.asarray(cal.cum)
    starts = np.asarray(cal.starts)
    # working minutes at the day's opening, plus a uniform share of the day's working time
    w0 = np.array([cal.work_before(float(d) * 1440.0) for d in day_of_case])
    w = w0 + u * cal.minutes_per_day * 0.999
    j = np.searchsorted(cum, w, side="right") - 1
    return np.sort(starts[j] + (w - cum[j]))


def _resources(spec: ProcedureSpec, active: Mapping[str, Any]) -> tuple[dict[tuple[str, str | None], list[str]], set[str]]:
    communes = next((a.values for a in spec.attributes if a.name == spec.commune), ())
    pools: dict[tuple[str, str | None], list[str]] = {}
    per_commune: set[str] = set()
    k = 0
    for name, pool in spec.pools.items():
        overloaded = "bottleneck" in active and active["bottleneck"] != 0 and pool.bottleneck_size
        size = pool.bottleneck_size if overloaded else pool.size
        keys: list[tuple[str, str | None]] = [(name, None)]
        if pool.per_commune:
            per_commune.add(name)
            keys = [(name, c) for c in communes]
        for key in keys:
            n = pool.commune_sizes.get(key[1] or "", size) if pool.per_commune else size
            pools[key] = [f"{spec.resource_prefix}-{k + i + 1:03d}" for i in range(n)]
            k += n
    return pools, per_commune


def _local_to_utc(origin: pd.Timestamp, minutes: np.ndarray) -> pd.Series:
    secs = np.round(np.asarray(minutes, dtype=np.float64) * 60.0).astype(np.int64)
    local = pd.Series(origin + pd.to_timedelta(secs, unit="s"))
    return local.dt.tz_localize(TZ).dt.tz_convert("UTC").astype(TS_DTYPE)


def _case_ids(spec: ProcedureSpec, origin: pd.Timestamp, arrivals: np.ndarray) -> list[str]:
    years = (origin + pd.to_timedelta(np.floor(arrivals).astype(np.int64), unit="min")).year
    ids, counter = [], {}
    for y in years:
        counter[y] = counter.get(y, 0) + 1
        ids.append(f"{spec.case_prefix}-{y}-{counter[y]:05d}")
    return ids


def _truth(spec: ProcedureSpec, active: Mapping[str, float | None], decoys: bool,
           remove: frozenset[str]) -> list[GroundTruth]:
    shares: dict[str, float] = {}
    for node in iter_nodes(spec.root):
        if isinstance(node, When):
            shares.setdefault(node.kind, node.share)
    out = []
    for ts in spec.truth:
        present = ts.when == "always" or (ts.when == "decoy" and decoys) or ts.when in active
        if not present or any(a in remove for a in ts.truth.activities):
            continue
        t = ts.truth
        if not t.decoy:
            share = active.get(t.kind)
            share = shares.get(t.kind, 1.0) if share is None else share
            if t.kind == "bottleneck" and share > 0:  # a pool size, not a share of cases
                share = 1.0
            if share <= 0:
                continue
            note = t.note if "{share}" in t.note or share >= 1 else t.note + " (in {share} of cases)"
            t = GroundTruth(t.kind, t.activities, t.org_units, t.decoy, t.required,
                            note.replace("{share}", f"{share:.0%}"))
        out.append(t)
    return out


@dataclass(frozen=True)
class Simulated:
    """What the simulation recorded, before it becomes a log: the generator's own truth.

    ``frame`` holds one entry per recorded event (noise applied), sorted by case and time:
    ``case`` (0-based case number), ``activity``, ``unit``, ``resource``, ``start`` and
    ``end`` in minutes of local (Europe/Zurich) wall-clock time since midnight of
    ``origin``; ``calendar`` is the office calendar the cases ran on (its holidays and
    working days). :func:`generate` turns it into the :class:`EventLog`.
    """

    spec: ProcedureSpec
    frame: dict[str, np.ndarray]
    case_ids: list[str]
    attributes: list[dict[str, str]]
    origin: pd.Timestamp
    calendar: OfficeCalendar
    active: dict[str, float | None]
    remove: frozenset[str]


def simulate_frame(
    procedure: str | ProcedureSpec = "permit_de",
    *,
    n_cases: int = 1000,
    seed: int = 0,
    noise: float = 0.05,
    inject: Iterable[str] | Mapping[str, float | None] | None = None,
    decoys: bool = True,
    remove: Iterable[str] = (),
    start: str | dt.date = "2024-01-08",
) -> Simulated:
    """The simulation behind :func:`generate` (same arguments), in the generator's own clock.

    Tests use it to compute what a log's figures must be without procmine's analyses.

    Examples
    --------
    >>> sim = simulate_frame("permit_de", n_cases=5, seed=1, noise=0)
    >>> sim.frame["activity"][0], len(sim.case_ids)
    ('Gesuch eingereicht', 5)
    """
    spec = procedure if isinstance(procedure, ProcedureSpec) else get_spec(procedure)
    check_positive_int("generate", "n_cases", n_cases)
    check_fraction("generate", "noise", noise)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise fail("generate", "seed", "a non-negative int", seed)
    _check_spec(spec)
    active = _active_kinds(inject)
    remove_set = frozenset([remove] if isinstance(remove, str) else remove)
    unknown = sorted(remove_set - set(spec.activities()))
    if unknown:
        raise fail("generate", "remove", f"activities of {spec.name!r}", unknown)
    origin_date = pd.Timestamp(start).date()
    origin = pd.Timestamp(origin_date)

    horizon = int(n_cases / spec.cases_per_day * 7 / 5 * 1.5) + 3 * 366
    cal = OfficeCalendar(origin_date, horizon)
    arrivals = _arrivals(spec, cal, n_cases, int(seed))
    index = node_index(spec)
    routing = {**active, "decoy": None} if decoys else active
    attrs, routes = [], []
    for c in range(n_cases):
        a, r = route_case(spec, index, int(seed), c, routing, remove_set)
        attrs.append(a)
        routes.append(r)
    pools, per_commune = _resources(spec, active)
    communes = [a.get(spec.commune, "") for a in attrs]
    try:
        ev = simulate(cal, arrivals.tolist(), routes, communes, pools, per_commune)
    except OverflowError as exc:
        raise fail("generate", "procedure", f"a procedure whose cases finish (those of {spec.name!r} did not "
                   f"finish within {horizon:,} days: a pool is so overloaded that its queue never drains; give it "
                   "more resources (Pool size) or lower cases_per_day)", spec.name) from exc

    case = np.asarray(ev.case, dtype=np.int64)
    # whole seconds, as written; sorting on them keeps ties (an instant event right after the
    # work that triggered it) in simulation order despite floating-point noise
    start_m = np.round(np.asarray(ev.start) * 60.0) / 60.0
    end_m = np.round(np.asarray(ev.end) * 60.0) / 60.0
    order = np.lexsort((start_m, end_m, case))
    frame = {
        "case": case[order],
        "activity": np.asarray(ev.activity, dtype=object)[order],
        "unit": np.asarray(ev.unit, dtype=object)[order],
        "resource": np.asarray(ev.resource, dtype=object)[order],
        "start": start_m[order],
        "end": end_m[order],
    }
    offsets = np.searchsorted(frame["case"], np.arange(n_cases + 1))
    if noise > 0:
        system = {s.system for s in iter_nodes(spec.root) if isinstance(s, Step) and s.system}
        frame = apply_noise(frame, offsets, noise, int(seed), system)

    return Simulated(spec, frame, _case_ids(spec, origin, arrivals), attrs, origin, cal, active, remove_set)


# over 80 lines by its docstring (48 lines: every knob of the simulation); the code is 42 lines
def generate(
    procedure: str | ProcedureSpec = "permit_de",
    *,
    n_cases: int = 1000,
    seed: int = 0,
    noise: float = 0.05,
    inject: Iterable[str] | Mapping[str, float | None] | None = None,
    decoys: bool = True,
    remove: Iterable[str] = (),
    start: str | dt.date = "2024-01-08",
) -> tuple[EventLog, list[GroundTruth]]:
    """Simulate ``n_cases`` cases of a procedure; return the log and its ground truth.

    Parameters
    ----------
    procedure
        ``"permit_de"`` (Baubewilligungsverfahren), ``"subsidy_fr"`` (demande de
        subvention), ``"residence_it"`` (permesso di dimora, not shipped, its
        redundancies placed differently) or a :class:`ProcedureSpec`.
    n_cases
        Number of cases. Cases arrive at the procedure's fixed daily rate (about 4–5 per
        working day), so more cases span a longer period (1,000 cases ≈ 11 months).
    seed
        Everything is deterministic in ``seed``: same seed, same frame.
    noise
        Share of cases (0..1) with one random perturbation: a skipped step, two
        neighbouring events swapped, an event recorded twice, or a missing resource.
    inject
        Redundancy kinds to inject: ``None`` for all of :data:`KINDS`, a subset such as
        ``("rework", "ping_pong")``, or a mapping ``{kind: share}`` overriding the share of
        cases affected (``None``: the spec's default; 0: not injected). For ``bottleneck``
        only 0 versus non-zero counts: it is an understaffed pool, not a share of cases.
    decoys
        Include the optional decoys (a legitimate loop, a legally required second check).
        The backbone decoys (a real decision point, strictly ordered steps, a step handled
        case by case, a legal waiting period) are part of the procedure and always there.
    remove
        Activities to drop from the procedure *with* the waiting they cause (transit,
        inbox delay, batch release and queue); all other draws stay the same, so the
        result validates what-if estimates: same arrivals, same routing, same durations.
    start
        First day of the simulation (local date).

    Returns
    -------
    log : EventLog
        Start and completion timestamps (UTC), ``org:resource``, ``org:group`` (unit) and
        the case attributes (e.g. ``Gemeinde`` and ``Gesuchsteller-Typ``).
    truth : list of GroundTruth
        Each injected redundancy and each decoy present in the log.

    Examples
    --------
    >>> log, truth = generate("subsidy_fr", n_cases=30, seed=3, inject=("rework",), noise=0)
    >>> [t.kind for t in truth if not t.decoy]
    ['rework']
    >>> "Demande déposée" in set(log.df["concept:name"])
    True
    """
    spec = procedure if isinstance(procedure, ProcedureSpec) else get_spec(procedure)
    sim = simulate_frame(spec, n_cases=n_cases, seed=seed, noise=noise, inject=inject, decoys=decoys,
                         remove=remove, start=start)
    frame, attrs, origin, origin_date = sim.frame, sim.attributes, sim.origin, sim.origin.date()
    active, remove_set = sim.active, sim.remove
    ids = np.asarray(sim.case_ids, dtype=object)
    df = pd.DataFrame({
        CASE: pd.array(ids[frame["case"]], dtype="str"),
        ACTIVITY: pd.array(frame["activity"], dtype="str"),
        START: _local_to_utc(origin, frame["start"]),
        TIMESTAMP: _local_to_utc(origin, frame["end"]),
        RESOURCE: pd.array(frame["resource"], dtype="str"),
        GROUP: pd.array(frame["unit"], dtype="str"),
    })
    for attribute in spec.attributes:
        values = np.asarray([a[attribute.name] for a in attrs], dtype=object)
        df[attribute.name] = pd.array(values[frame["case"]], dtype="str")
    report = IngestReport(
        source=f"{spec.name} (generated, seed={seed})",
        format="generated",
        rows_read=len(df),
        roles={role: col for role, col in (("case", CASE), ("activity", ACTIVITY), ("timestamp", TIMESTAMP),
                                           ("start_timestamp", START), ("resource", RESOURCE), ("org", GROUP))},
        role_detection=dict.fromkeys(("case", "activity", "timestamp", "start_timestamp", "resource", "org"),
                                     "standard"),
        formats={"tz": TZ, "generator": {"n_cases": n_cases, "seed": int(seed), "noise": noise,
                                         "inject": sorted(active), "decoys": decoys, "remove": sorted(remove_set),
                                         "start": str(origin_date)}},
    )
    log = finalize(df, report=report, name=spec.name, presorted=True)
    return log, _truth(spec, active, decoys, remove_set)
