"""The snapshot cache stays bounded and never goes back to an older revision of a stream."""

from __future__ import annotations

from write_service.domain.customer import CustomerState
from write_service.snapshots import Snapshot, SnapshotCache


def _snapshot(stream: str, revision: int) -> Snapshot:
    return Snapshot(stream, CustomerState(), revision)


def test_the_least_recently_used_stream_is_forgotten_first() -> None:
    cache = SnapshotCache(capacity=2)
    cache.put(_snapshot("a", 0))
    cache.put(_snapshot("b", 0))
    assert cache.get("a") is not None
    cache.put(_snapshot("c", 0))

    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is not None
    assert cache.get("c") is not None


def test_an_older_snapshot_never_replaces_a_newer_one() -> None:
    cache = SnapshotCache(capacity=10)
    cache.put(_snapshot("a", 3))
    cache.put(_snapshot("a", 1))

    cached = cache.get("a")
    assert cached is not None
    assert cached.revision == 3


def test_a_dropped_stream_is_read_again() -> None:
    cache = SnapshotCache(capacity=10)
    cache.put(_snapshot("a", 0))
    cache.drop("a")
    assert cache.get("a") is None
