"""The building blocks of a simulated procedure: steps, routing, pools, ground truth.

A :class:`ProcedureSpec` is a tree of routing nodes whose leaves are :class:`Step`
objects. The generator expands the tree once per case (with that case's own random
draws) into a sequence of stages of work items, then runs all cases through shared,
FIFO resource queues during office hours.

Routing nodes
-------------
``Seq``      the children one after the other;
``Xor``      one branch, with probabilities that may depend on a case attribute;
``Loop``     ``body``, then with probability ``p`` ``back`` and ``body`` again (at most ``max_loops``);
``Shuffle``  the children one after the other, in a random order case by case;
``Par``      the children (steps or chains) at the same time, the case waits for all;
``Chain``    steps done back to back by the same resource, with a short gap;
``Repeat``   a child repeated a random number of times in ``rounds``;
``When``     a child present only when an injected redundancy kind (or ``"decoy"``) is active.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "Attribute",
    "Chain",
    "Deadline",
    "GroundTruth",
    "Loop",
    "Par",
    "Pool",
    "ProcedureSpec",
    "Repeat",
    "Seq",
    "Shuffle",
    "Step",
    "TruthSpec",
    "When",
    "Xor",
]


@dataclass(frozen=True)
class GroundTruth:
    """A redundancy (or a decoy imitating one) known to be in a generated log.

    Examples
    --------
    >>> t = GroundTruth("rework", ("Dossier erfassen",), note="30 % of cases")
    >>> GroundTruth.from_dict(t.to_dict()) == t
    True
    """

    kind: str
    activities: tuple[str, ...]
    org_units: tuple[str, ...] = ()
    decoy: bool = False
    required: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["activities"] = list(self.activities)
        d["org_units"] = list(self.org_units)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroundTruth:
        return cls(
            kind=str(d["kind"]),
            activities=tuple(d["activities"]),
            org_units=tuple(d.get("org_units", ())),
            decoy=bool(d.get("decoy", False)),
            required=bool(d.get("required", False)),
            note=str(d.get("note", "")),
        )


@dataclass(frozen=True, eq=False)
class Step:
    """One activity of the procedure.

    Parameters
    ----------
    activity, unit
        Activity name and org unit (``org:group``) as they appear in the log.
    minutes, sigma
        Processing time: lognormal with median ``minutes`` working minutes and shape ``sigma``.
    pool
        Resource pool that does the work (default: the unit's own pool).
    system
        Done by a system, not a person: no queue, ``org:resource`` is this name.
    calendar_days
        For system steps: a fixed period in calendar days (e.g. a legal 30-day period).
    delay, delay_sigma
        Median working minutes the work lies in the inbox before it joins the queue.
    transit_days
        Calendar days before the work arrives at all (mail transit, applicant's answer).
    release
        ``(weekday, "HH:MM")``: the work is only released at this weekly slot (batching);
        weekday ``None``: every working day at that hour.
    """

    activity: str
    unit: str
    minutes: float = 30.0
    sigma: float = 0.5
    pool: str | None = None
    system: str | None = None
    calendar_days: float = 0.0
    delay: float = 240.0
    delay_sigma: float = 0.8
    transit_days: float = 0.0
    release: tuple[int | None, str] | None = None


@dataclass(frozen=True, eq=False)
class Seq:
    nodes: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Xor:
    """One of ``branches`` (``None``: nothing), chosen with ``weights``.

    ``by`` names a case attribute; ``weights_by`` maps its values to their own weights.
    """

    branches: tuple[Node | None, ...]
    weights: tuple[float, ...]
    by: str | None = None
    weights_by: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Loop:
    """``body``, then with probability ``p``: ``back`` and ``again`` (default: ``body``), at most ``max_loops`` times."""

    body: Node
    back: Node | None
    p: float
    max_loops: int = 1
    by: str | None = None
    p_by: Mapping[str, float] = field(default_factory=dict)
    again: Node | None = None


@dataclass(frozen=True, eq=False)
class Shuffle:
    nodes: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Par:
    nodes: tuple[Step | Chain, ...]


@dataclass(frozen=True, eq=False)
class Chain:
    steps: tuple[Step, ...]
    gap: float = 3.0  # median working minutes between the steps


@dataclass(frozen=True, eq=False)
class Repeat:
    node: Node
    rounds: tuple[int, int] = (1, 3)


_UNSET: Any = object()


@dataclass(frozen=True, eq=False)
class When:
    """``node`` in a share of cases when ``kind`` is active, ``otherwise`` in the others.

    ``absent`` is what every case does when ``kind`` is not active. Either defaults to
    the other (and both to nothing): ``When("batching", batched_step, absent=plain_step)``
    does the plain step in the cases outside ``share``. ``kind`` is a redundancy kind or
    ``"decoy"`` (active when ``decoys=True``).
    """

    kind: str
    node: Node | None
    share: float = 1.0
    otherwise: Any = _UNSET
    absent: Any = _UNSET

    @property
    def absent_node(self) -> Node | None:
        if self.absent is not _UNSET:
            return self.absent
        return None if self.otherwise is _UNSET else self.otherwise

    @property
    def otherwise_node(self) -> Node | None:
        return self.absent_node if self.otherwise is _UNSET else self.otherwise


Node = Step | Seq | Xor | Loop | Shuffle | Par | Chain | Repeat | When


@dataclass(frozen=True)
class Pool:
    """Resources of a unit (``per_commune``: one such pool in every commune)."""

    size: int
    per_commune: bool = False
    bottleneck_size: int | None = None  # size when "bottleneck" is injected
    commune_sizes: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Attribute:
    """A case attribute: a column of the log, drawn once per case."""

    name: str
    values: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class TruthSpec:
    """A ground-truth entry; present when ``when`` is an active kind, ``"decoy"`` or ``"always"``."""

    truth: GroundTruth
    when: str


@dataclass(frozen=True)
class Deadline:
    """A time limit the procedure is bound by, documented (the truth of :func:`procmine.time_limits`).

    The fields mean what they mean in :class:`procmine.TimeLimit`; ``basis`` says which law
    or service promise the limit models. Descriptive only: the simulation does not aim at
    the limit, so the share of cases within it is what the simulated load makes of it.

    Examples
    --------
    >>> Deadline("Entscheid", "Gesuch eingereicht", "Bauentscheid", 3, "months").unit
    'months'
    """

    name: str
    start: str
    end: str
    limit: int
    unit: str = "days"
    standstill: bool = False
    basis: str = ""


@dataclass(frozen=True, eq=False)
class ProcedureSpec:
    """A whole procedure: routing tree, pools, attributes, arrivals and ground truth.

    ``contacts`` documents which steps deal with the applicant (the truth of
    :func:`procmine.client_view`), ``limits`` the time limits it is bound by (the truth of
    :func:`procmine.time_limits`). ``columns`` maps the canonical column names to the headers of the exported CSV
    (a canton's system export), ``commune`` names the attribute whose value selects the
    per-commune pools, ``cases_per_day`` is the mean number of new cases per working day.
    """

    name: str
    language: str
    root: Node
    pools: Mapping[str, Pool]
    attributes: tuple[Attribute, ...]
    commune: str
    cases_per_day: float
    case_prefix: str
    resource_prefix: str
    columns: Mapping[str, str]
    truth: tuple[TruthSpec, ...] = ()
    spring_peak: float = 0.35
    #: the contacts with the applicant, documented: activity -> kind (``request``,
    #: ``notice``, ``payment``, ``hearing``, ``inbound``; see :mod:`procmine.client`).
    #: Descriptive only: the generator does not read it.
    contacts: Mapping[str, str] = field(default_factory=dict)
    #: the time limits the procedure is bound by, documented (see :class:`Deadline`).
    #: Descriptive only: the generator does not read them.
    limits: tuple[Deadline, ...] = ()

    def activities(self) -> list[str]:
        """Every activity the spec can produce, in tree order, without duplicates."""
        seen: dict[str, None] = {}
        for node in iter_nodes(self.root):
            if isinstance(node, Step):
                seen.setdefault(node.activity, None)
        return list(seen)


def children(node: Node | None) -> tuple[Node, ...]:
    """The direct child nodes of ``node`` (``None`` entries removed)."""
    if node is None or isinstance(node, Step):
        return ()
    if isinstance(node, (Seq, Shuffle, Par)):
        out: tuple[Any, ...] = node.nodes
    elif isinstance(node, Xor):
        out = node.branches
    elif isinstance(node, Loop):
        out = (node.body, node.back, node.again)
    elif isinstance(node, Chain):
        out = node.steps
    elif isinstance(node, Repeat):
        out = (node.node,)
    elif isinstance(node, When):
        out = (node.node, node.otherwise_node, node.absent_node)
    else:  # pragma: no cover - guarded by the type
        raise TypeError(f"not a routing node: {node!r}")
    return tuple(c for c in out if c is not None)


def iter_nodes(root: Node) -> list[Node]:
    """All nodes of the tree in pre-order (a node reached twice is listed once)."""
    out: list[Node] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(reversed(children(node)))
    return out
