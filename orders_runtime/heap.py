"""The garbage collector set for a long-running server, once it has started.

CPython's cyclic collector runs a young collection every 700 net allocations of container
objects, and each full collection walks every object alive, the 65,000 that importing a
service's libraries makes among them. A server that has started allocates mostly objects that
live for one call and that reference counting frees (messages, coroutines, dicts), so what the
collector walks again and again is start-up's. Once a server has started, then: what exists is
collected once and frozen out of the collector's reach (``gc.freeze``: it lives as long as the
process anyway), and young collections run every ``YOUNG_COLLECTION_EVERY`` allocations.
Measured with ``bench/`` (commands scenario, the same write service with and without, in
alternating slices): about 2% more commands per second.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_COLLECTION_EVERY: Final = 20_000


def settle_heap() -> None:
    """Call once, when the process has started (its imports done, its server up)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
