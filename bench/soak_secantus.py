"""Why the soak's projector talks to SecantusDB without retryable writes, and the measurement
that shows it (`python -m bench.soak_secantus`).

The projector records its progress after every batch with one write outside the batch's
transaction (`projector/progress.py`). With retryable writes (the driver's default), SecantusDB
keeps the reply of every such write for 30 minutes, at most 10,000 of them, so that a retry of
the same write replays the reply. Every later retryable write scans all kept replies, and once
there are 10,000 it also sorts them all to drop the oldest, twice per write (lookup and record),
in pure Python under the lock every transaction statement, commit and abort of the server takes.
Measured with SecantusDB's own registry: 0.02 ms per write with 1,000 replies kept, 0.4 ms
with 9,000, then 20 to 50 ms from 10,000 on (a loaded two-core machine); through the server,
the median write went from 41 ms to 129 ms at the 10,000th. At 96 commands/s, with a batch
closing every 50 ms or so (PROJECTOR_BATCH_MAX_WAIT_MS), the projector writes an estimated 15
to 25 progress records a second, so it reaches 10,000 some 7 to 11 minutes after it starts;
the soak's spike began about 7 minutes after (minute 6 of the soak). SecantusDB, one Python
process already near a third of what it sustains, then also sorts on every batch, the
projector falls seconds behind and waiting queries give up with DEADLINE_EXCEEDED, until
bigger batches (fewer progress writes) let it catch up: the two minutes of the spike.

MongoDB itself keeps these records in a table and has no such cost; this is SecantusDB's, so
the soak works around it in how it connects the projector. The progress write's `$inc` counts
are then at-least-once under a network retry, as they already are under the projector's own
retries; the read models are untouched (their writes are transactional and revision-guarded).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pymongo import MongoClient
from pymongo.collection import Collection

from bench.processes import secantus

# SecantusDB's cap on kept retryable-write replies (secantus/transactions.py), from which
# every retryable write sorts them all.
RETRYABLE_RECORD_CAP: Final = 10_000


def without_retryable_writes(uri: str) -> str:
    """The connection string with the driver's retryable writes turned off."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "retrywrites"]
    query.append(("retryWrites", "false"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _time_writes(uri: str, writes: int, report_every: int) -> list[float]:
    """Median milliseconds of one small update, per `report_every` writes."""
    medians = []
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri, serverSelectionTimeoutMS=30_000) as client:
        status: Collection[dict[str, Any]] = client.soak_probe.status
        taken: list[float] = []
        for number in range(1, writes + 1):
            started = time.perf_counter()
            status.update_one({"_id": "progress"}, {"$set": {"n": number}}, upsert=True)
            taken.append(time.perf_counter() - started)
            if number % report_every == 0:
                medians.append(statistics.median(taken) * 1000)
                print(f"{number:6d} writes: median {medians[-1]:6.1f} ms", flush=True)
                taken = []
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=RETRYABLE_RECORD_CAP + 3_000)
    parser.add_argument("--every", type=int, default=1_000)
    arguments = parser.parse_args()
    for retryable in (True, False):
        with (
            tempfile.TemporaryDirectory(prefix="soak-secantus-") as data,
            secantus(Path(data)) as store,
        ):
            uri = store.address if retryable else without_retryable_writes(store.address)
            print(f"retryable writes {'on' if retryable else 'off'}: {uri}", flush=True)
            _time_writes(uri, arguments.writes, arguments.every)


if __name__ == "__main__":
    main()
