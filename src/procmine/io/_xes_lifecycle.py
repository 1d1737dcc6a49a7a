"""Former home of lifecycle pairing, now format-neutral in :mod:`procmine.io._lifecycle`.

Kept so that ``from procmine.io._xes_lifecycle import match_fifo, pair_lifecycle`` works.
"""

from __future__ import annotations

from ._lifecycle import MERGED, match_fifo, pair_lifecycle

__all__ = ["MERGED", "match_fifo", "pair_lifecycle"]
