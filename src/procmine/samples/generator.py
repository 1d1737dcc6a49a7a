"""Generate realistic administrative procedures with known redundancies and decoys.

:func:`generate` simulates cases of a procedure (a :class:`ProcedureSpec`; three are
built in, see :data:`PROCEDURES`) through office hours and FIFO resource queues, and
returns the :class:`~procmine.log.EventLog` with the list of :class:`GroundTruth`
entries describing what was injected (and which legitimate look-alikes are there).

Run ``python -m procmine.samples.generator --regenerate`` to rebuild the shipped samples
(``src/procmine/samples/data/`` and ``sample_logs/``) deterministically.

Examples
--------
>>> from procmine.samples.generator import generate
>>> log, truth = generate("permit_de", n_cases=50, seed=1)
>>> log.n_cases
50
>>> sorted({t.kind for t in truth if not t.decoy})[:3]
['automation_candidate', 'batching', 'bottleneck']
"""

from __future__ import annotations

# the simulation lives in _generate and the shipped files in _shipped (which imports
# _generate); this module gives both their public path without an import loop
from ._generate import (  # noqa: F401  (_arrivals: read by the generator's tests)
    KINDS,
    PROCEDURES,
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
    Simulated,
    Step,
    TruthSpec,
    When,
    Xor,
    _arrivals,
    generate,
    get_spec,
    simulate_frame,
)
from ._shipped import SHIPPED, regenerate_shipped

__all__ = [
    "KINDS",
    "PROCEDURES",
    "SHIPPED",
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
    "regenerate_shipped",
    "simulate_frame",
]

if __name__ == "__main__":  # pragma: no cover - command line
    from ._shipped import main

    raise SystemExit(main())
