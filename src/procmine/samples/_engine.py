"""The discrete-event simulation behind :func:`procmine.samples.generator.generate`.

Two phases:

1. **Routing** (per case, independent of time): the procedure tree is expanded with the
   case's own random draws into stages of work items. Every node of the tree has a fixed
   index and every visit of it a fixed slot in the case's draw table, so removing an
   activity (``remove=``) changes no other draw: the same seed gives the same arrivals,
   attributes, routing decisions and durations for everything else.
2. **Queues** (all cases together): work items enter their pool's queue in time order
   (a heap), and each is given to the resource of the pool that is free first (among
   several free ones, a random one). A resource does one item at a time, in FIFO
   order, only during office hours; so waiting time emerges from load.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._calendar import OfficeCalendar
from ._spec import Chain, Loop, Node, Par, ProcedureSpec, Repeat, Seq, Shuffle, Step, When, Xor, iter_nodes

__all__ = ["CaseRoute", "Job", "node_index", "route_case", "simulate"]

VISITS = 8  # draw slots per node and case; later visits reuse slots cyclically


@dataclass(slots=True)
class Job:
    """One work item: one step, or a chain of steps done back to back by one resource."""

    steps: list[tuple[Step, float]]  # (step, processing working minutes)
    delay: float  # inbox working minutes before joining the queue
    gap: float  # working minutes between chained steps
    pick: float  # uniform draw used to choose among free resources


CaseRoute = list[list[Job]]  # stages; the jobs of a stage run in parallel


def node_index(spec: ProcedureSpec) -> dict[int, int]:
    """id(node) -> fixed index, in pre-order."""
    return {id(n): i for i, n in enumerate(iter_nodes(spec.root))}


class _Router:
    def __init__(
        self,
        index: Mapping[int, int],
        u: np.ndarray,
        z: np.ndarray,
        attrs: Mapping[str, str],
        active: Mapping[str, float | None],
        remove: frozenset[str],
    ) -> None:
        self.index = index
        # flat lists, two values per (node, visit slot): uniforms and standard normals
        self.u = u.ravel().tolist()
        self.z = z.ravel().tolist()
        self.visits = [0] * len(index)
        self.attrs = attrs
        self.active = active
        self.remove = remove
        self.stages: CaseRoute = []

    def draw(self, node: object) -> tuple[float, float, float, float]:
        i = self.index[id(node)]
        v = self.visits[i]
        self.visits[i] = v + 1
        k = 2 * (i * VISITS + v % VISITS)
        return self.u[k], self.u[k + 1], self.z[k], self.z[k + 1]

    def job(self, node: Step | Chain) -> Job | None:
        if isinstance(node, Step):
            _u0, u1, z0, z1 = self.draw(node)
            if node.activity in self.remove:
                return None
            return Job([(node, _lognormal(node.minutes, node.sigma, z0))],
                       _lognormal(node.delay, node.delay_sigma, z1), 0.0, u1)
        _u0, u1, z0, _ = self.draw(node)
        parts = [self.job(s) for s in node.steps]
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        steps = [s for p in kept for s in p.steps]
        return Job(steps, kept[0].delay, _lognormal(node.gap, 0.5, z0), u1)

    def expand(self, node: Node | None) -> None:
        if node is None:
            return
        if isinstance(node, (Step, Chain)):
            job = self.job(node)
            if job is not None:
                self.stages.append([job])
        elif isinstance(node, Seq):
            for child in node.nodes:
                self.expand(child)
        elif isinstance(node, Xor):
            u0, _, _, _ = self.draw(node)
            weights = node.weights
            if node.by is not None:
                weights = node.weights_by.get(self.attrs.get(node.by, ""), weights)
            self.expand(node.branches[_choose(weights, u0)])
        elif isinstance(node, Loop):
            self.expand(node.body)
            p = node.p_by.get(self.attrs.get(node.by, ""), node.p) if node.by else node.p
            for _ in range(node.max_loops):
                u0, _, _, _ = self.draw(node)
                if u0 >= p:
                    break
                self.expand(node.back)
                self.expand(node.again if node.again is not None else node.body)
        elif isinstance(node, Shuffle):
            _, u1, _, _ = self.draw(node)
            order = list(range(len(node.nodes)))
            if len(order) == 2:
                if u1 < 0.5:
                    order.reverse()
            elif len(order) > 2:
                order = list(np.random.default_rng(int(u1 * 2**31)).permutation(len(order)))
            for k in order:
                self.expand(node.nodes[k])
        elif isinstance(node, Par):
            self.draw(node)
            jobs = [self.job(child) for child in node.nodes]
            kept = [j for j in jobs if j is not None]
            if kept:
                self.stages.append(kept)
        elif isinstance(node, Repeat):
            _, u1, _, _ = self.draw(node)
            lo, hi = node.rounds
            for _ in range(lo + min(int(u1 * (hi - lo + 1)), hi - lo)):
                self.expand(node.node)
        elif isinstance(node, When):
            u0, _, _, _ = self.draw(node)
            share = self.active.get(node.kind, 0.0) if node.kind in self.active else 0.0
            share = node.share if share is None else share
            if share > 0:
                self.expand(node.node if u0 < share else node.otherwise_node)
            else:  # not injected (or in no case): the procedure without it
                self.expand(node.absent_node)
        else:  # pragma: no cover - guarded by the spec's types
            raise TypeError(f"not a routing node: {node!r}")


def _lognormal(median: float, sigma: float, z: float) -> float:
    return median * math.exp(sigma * z) if median > 0 else 0.0


def _choose(weights: Sequence[float], u: float) -> int:
    total = float(sum(weights))
    acc = 0.0
    for k, w in enumerate(weights):
        acc += w / total
        if u < acc:
            return k
    return len(weights) - 1


def route_case(
    spec: ProcedureSpec,
    index: Mapping[int, int],
    seed: int,
    case: int,
    active: Mapping[str, float | None],
    remove: frozenset[str],
) -> tuple[dict[str, str], CaseRoute]:
    """Draw one case's attributes and expand its route (deterministic in seed and case)."""
    rng = np.random.default_rng([seed, 1, case])
    ua = rng.random(len(spec.attributes))
    u = rng.random((len(index), VISITS, 2))
    z = rng.standard_normal((len(index), VISITS, 2))
    attrs = {a.name: a.values[_choose(a.weights, float(x))] for a, x in zip(spec.attributes, ua)}
    router = _Router(index, u, z, attrs, active, remove)
    router.expand(spec.root)
    return attrs, router.stages


@dataclass
class Events:
    """The simulated events as parallel lists (times in calendar minutes)."""

    case: list[int]
    activity: list[str]
    unit: list[str]
    resource: list[str]
    start: list[float]
    end: list[float]


def _release_minute(hhmm: str) -> float:
    h, m = hhmm.split(":")
    return int(h) * 60.0 + int(m)


def simulate(
    cal: OfficeCalendar,
    arrivals: Sequence[float],
    routes: Sequence[CaseRoute],
    communes: Sequence[str],
    pools: Mapping[tuple[str, str | None], list[str]],
    per_commune: set[str],
) -> Events:
    """Run every case through the shared FIFO queues; return the events."""
    ev = Events([], [], [], [], [], [])
    free = {key: [0.0] * len(names) for key, names in pools.items()}
    pending = [0] * len(routes)
    stage_end = [0.0] * len(routes)
    stage_no = [0] * len(routes)
    heap: list[tuple[float, int, int, int, Job | None]] = []
    counter = itertools.count()
    for c, t in enumerate(arrivals):
        heap.append((t, next(counter), 0, c, None))
    heapq.heapify(heap)

    def record(c: int, step: Step, res: str, s: float, e: float) -> None:
        ev.case.append(c)
        ev.activity.append(step.activity)
        ev.unit.append(step.unit)
        ev.resource.append(res)
        ev.start.append(s)
        ev.end.append(e)

    while heap:
        t, _, kind, c, job = heapq.heappop(heap)
        if kind == 0:  # the case's next stage is ready at t
            stages = routes[c]
            k = stage_no[c]
            if k >= len(stages):
                continue
            stage = stages[k]
            pending[c] = len(stage)
            stage_end[c] = t
            for j in stage:
                step = j.steps[0][0]
                te = t
                if step.transit_days:
                    te += step.transit_days * 1440.0
                if j.delay > 0:
                    te = cal.add(te, j.delay)
                if step.release is not None:
                    te = cal.next_release(te, step.release[0], _release_minute(step.release[1]))
                if step.system is not None:
                    s = cal.next_open(te)
                    e = cal.next_open(s + step.calendar_days * 1440.0) if step.calendar_days else cal.add(s, j.steps[0][1])
                    record(c, step, step.system, s, e)
                    _finish(heap, counter, c, e, pending, stage_end, stage_no)
                else:
                    heapq.heappush(heap, (te, next(counter), 1, c, j))
        else:  # a job enters its pool's queue at t
            assert job is not None
            step = job.steps[0][0]
            pname = step.pool or step.unit
            key = (pname, communes[c] if pname in per_commune else None)
            times = free[key]
            idle = [r for r, f in enumerate(times) if f <= t]
            if idle:
                r = idle[min(int(job.pick * len(idle)), len(idle) - 1)]
            else:
                r = min(range(len(times)), key=times.__getitem__)
            res = pools[key][r]
            s = cal.next_open(max(t, times[r]))
            e = s
            for n, (st, minutes) in enumerate(job.steps):
                if n:
                    s = cal.add(e, job.gap)
                e = cal.add(s, minutes)
                record(c, st, res, s, e)
            times[r] = e
            _finish(heap, counter, c, e, pending, stage_end, stage_no)
    return ev


def _finish(
    heap: list, counter: itertools.count, c: int, e: float,
    pending: list[int], stage_end: list[float], stage_no: list[int],
) -> None:
    """A job of case ``c`` ended at ``e``; when its stage is complete, schedule the next one."""
    if e > stage_end[c]:
        stage_end[c] = e
    pending[c] -= 1
    if pending[c] == 0:
        stage_no[c] += 1
        heapq.heappush(heap, (stage_end[c], next(counter), 0, c, None))
