"""Token-less answers kept in memory, exact because every change of the read model drops them.

Pure bookkeeping, no I/O: the change feed (change_feed.py) calls the invalidate methods for
every change it sees, and the gRPC edge looks answers up and stores what it read from MongoDB.

Races: a fill reads MongoDB, and the change it missed may be seen between that read and the
store. So a fill takes the epoch first (`begin`); every invalidation moves the epoch and is
remembered as (epoch, key) for a while; a store is refused if its key (or everything) was
invalidated since its epoch, or if the memory no longer reaches back that far.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, TypeAlias, TypeVar

V = TypeVar("V")

# How many invalidations are remembered for fills in flight; a fill that took longer than this
# many invalidations to come back is not stored.
RECENT_INVALIDATIONS: Final = 4096

OrderKey: TypeAlias = tuple[str, str]
PageKey: TypeAlias = tuple[str, str, int, str]
_Key: TypeAlias = OrderKey | PageKey


@dataclass(frozen=True, slots=True)
class CachedOrder(Generic[V]):
    message: V
    customer_id: str
    revision: int
    projected_at: datetime | None


@dataclass(frozen=True, slots=True)
class CachedPage(Generic[V]):
    messages: tuple[V, ...]
    next_page_token: str


@dataclass(slots=True)
class CacheCounters:
    hits: int = 0
    misses: int = 0
    stores: int = 0
    refused_stores: int = 0
    invalidations: int = 0
    clears: int = 0


class AnswerCache(Generic[V]):
    """An LRU of order summaries and customer order pages sharing one budget of summaries.

    An order counts one against `max_entries`, a page as many as it holds (at least one), so
    the budget bounds the memory whatever the page sizes asked for.
    """

    def __init__(self, max_entries: int, *, remembered: int = RECENT_INVALIDATIONS) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[_Key, CachedOrder[V] | CachedPage[V]] = OrderedDict()
        self._pages_of: dict[str, set[PageKey]] = {}
        self._held = 0
        self._epoch = 0
        # Stores with an epoch below this are refused: everything was invalidated since.
        self._floor = 0
        self._recent: deque[tuple[int, str, str]] = deque(maxlen=remembered)
        self._serving = False
        self._version: int | None = None
        self.counters = CacheCounters()

    @property
    def serving(self) -> bool:
        return self._serving

    @property
    def capacity(self) -> int:
        return self._max_entries

    def knows_customer_of(self, order_id: str) -> bool:
        return isinstance(self._entries.get(("o", order_id)), CachedOrder)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def held(self) -> int:
        """Order summaries held, counted as against the budget."""
        return self._held

    @property
    def version(self) -> int | None:
        """The read-model version whose changes are followed (None while not serving)."""
        return self._version if self._serving else None

    def enable(self, version: int) -> None:
        """Serve from here on; only call once the change feed on `version` is open."""
        if self._max_entries > 0:
            self.clear()
            self._version = version
            self._serving = True

    def disable(self) -> None:
        """Stop serving and forget everything: changes may go unseen from now on."""
        self._serving = False
        self.clear()

    def begin(self) -> int | None:
        """The epoch a fill must hand back to `store_*`; None when the cache is not serving."""
        return self._epoch if self._serving else None

    def order(self, order_id: str) -> CachedOrder[V] | None:
        found = self._hit(("o", order_id))
        return found if isinstance(found, CachedOrder) else None

    def page(self, customer_id: str, page_size: int, page_token: str) -> CachedPage[V] | None:
        found = self._hit(("p", customer_id, page_size, page_token))
        return found if isinstance(found, CachedPage) else None

    def store_order(self, epoch: int, order_id: str, entry: CachedOrder[V]) -> bool:
        if not self._may_store(epoch, ("o", order_id)):
            return False
        key: OrderKey = ("o", order_id)
        cached = self._entries.get(key)
        if isinstance(cached, CachedOrder) and cached.revision > entry.revision:
            self.counters.refused_stores += 1
            return False
        self._put(key, entry)
        return True

    def store_page(
        self, epoch: int, customer_id: str, page_size: int, page_token: str, entry: CachedPage[V]
    ) -> bool:
        if not self._may_store(epoch, ("c", customer_id)):
            return False
        key: PageKey = ("p", customer_id, page_size, page_token)
        self._pages_of.setdefault(customer_id, set()).add(key)
        self._put(key, entry)
        return True

    def invalidate_order(self, order_id: str, customer_ids: set[str]) -> None:
        """An order changed: drop it and every page of its customer (old and new, if moved)."""
        self._epoch += 1
        self.counters.invalidations += 1
        cached = self._remove(("o", order_id))
        if isinstance(cached, CachedOrder):
            customer_ids = customer_ids | {cached.customer_id}
        self._recent.append((self._epoch, "o", order_id))
        for customer_id in customer_ids:
            self._recent.append((self._epoch, "c", customer_id))
            for key in self._pages_of.pop(customer_id, set()):
                self._remove(key)

    def clear(self) -> None:
        """Forget every answer and refuse every fill that began before now."""
        self._epoch += 1
        self._floor = self._epoch
        self.counters.clears += 1
        self._entries.clear()
        self._held = 0
        self._pages_of.clear()
        self._recent.clear()

    def _hit(self, key: _Key) -> CachedOrder[V] | CachedPage[V] | None:
        if not self._serving:
            return None
        found = self._entries.get(key)
        if found is None:
            self.counters.misses += 1
            return None
        self._entries.move_to_end(key)
        self.counters.hits += 1
        return found

    def _may_store(self, epoch: int, *keys: tuple[str, str]) -> bool:
        allowed = self._serving and epoch >= self._floor and self._remembers_since(epoch)
        if allowed:
            for seen, kind, name in reversed(self._recent):
                if seen <= epoch:
                    break
                if (kind, name) in keys:
                    allowed = False
                    break
        if not allowed:
            self.counters.refused_stores += 1
        return allowed

    def _remembers_since(self, epoch: int) -> bool:
        # A clear empties the memory and moves the floor, so until the deque is full it holds
        # every invalidation since the floor; once full, only an entry at or before `epoch`
        # proves that none after it was pushed out (one epoch may span several entries).
        if epoch == self._epoch or len(self._recent) < (self._recent.maxlen or 0):
            return True
        return self._recent[0][0] <= epoch

    def _put(self, key: _Key, entry: CachedOrder[V] | CachedPage[V]) -> None:
        self.counters.stores += 1
        self._remove(key)
        self._entries[key] = entry
        self._held += _weight(entry)
        while self._held > self._max_entries:
            evicted = next(iter(self._entries))
            self._remove(evicted)
            if len(evicted) == 4:
                self._forget_page(evicted)

    def _remove(self, key: _Key) -> CachedOrder[V] | CachedPage[V] | None:
        removed = self._entries.pop(key, None)
        if removed is not None:
            self._held -= _weight(removed)
        return removed

    def _forget_page(self, key: PageKey) -> None:
        pages = self._pages_of.get(key[1])
        if pages is not None:
            pages.discard(key)
            if not pages:
                del self._pages_of[key[1]]


def _weight(entry: CachedOrder[V] | CachedPage[V]) -> int:
    return max(1, len(entry.messages)) if isinstance(entry, CachedPage) else 1
