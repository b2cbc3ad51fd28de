"""A started server's start-up objects are out of the collector's reach, and young collections
are rarer (``orders_runtime.heap``). Run in a process of its own: freezing is for good."""

from __future__ import annotations

import subprocess
import sys

from orders_runtime.heap import YOUNG_COLLECTION_EVERY

_PROBE = """
import gc
from orders_runtime.heap import settle_heap
before = gc.get_threshold()
settle_heap()
print(gc.get_freeze_count(), *before, *gc.get_threshold())
"""


def test_settling_the_heap_freezes_what_start_up_made_and_spaces_young_collections() -> None:
    printed = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, before, after = int(printed[0]), printed[1:4], printed[4:7]
    assert frozen > 1000
    assert int(after[0]) == YOUNG_COLLECTION_EVERY > int(before[0])
    # The older generations keep their pace.
    assert after[1:] == before[1:]
