"""The answer cache's bookkeeping on its own: epochs, invalidations, LRU and revisions."""

from __future__ import annotations

from datetime import UTC, datetime

from read_service.answer_cache import AnswerCache, CachedOrder, CachedPage

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def order(message: str, customer_id: str = "c-1", revision: int = 0) -> CachedOrder[str]:
    return CachedOrder(message=message, customer_id=customer_id, revision=revision, projected_at=AT)


def page(*messages: str) -> CachedPage[str]:
    return CachedPage(messages=messages, next_page_token="")


def serving_cache(max_entries: int = 10, remembered: int = 64) -> AnswerCache[str]:
    cache: AnswerCache[str] = AnswerCache(max_entries, remembered=remembered)
    cache.enable(version=1)
    return cache


def test_a_stored_order_is_found_and_counted_as_a_hit() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None

    assert cache.store_order(epoch, "o-1", order("first"))

    found = cache.order("o-1")
    assert found is not None
    assert found.message == "first"
    assert cache.order("o-2") is None
    assert (cache.counters.hits, cache.counters.misses) == (1, 1)


def test_a_fill_is_refused_when_its_order_was_invalidated_after_the_epoch_was_taken() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None

    cache.invalidate_order("o-1", {"c-1"})

    assert not cache.store_order(epoch, "o-1", order("read before the change"))
    assert cache.order("o-1") is None


def test_a_fill_of_another_order_is_kept_despite_an_invalidation_since_its_epoch() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None

    cache.invalidate_order("o-1", {"c-1"})

    assert cache.store_order(epoch, "o-2", order("untouched", customer_id="c-2"))
    assert cache.order("o-2") is not None


def test_a_page_fill_is_refused_when_an_order_of_its_customer_changed_since_its_epoch() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None

    cache.invalidate_order("o-9", {"c-1"})

    assert not cache.store_page(epoch, "c-1", 10, "", page("o-1"))
    assert cache.store_page(epoch, "c-2", 10, "", page("o-5"))
    assert cache.page("c-1", 10, "") is None
    assert cache.page("c-2", 10, "") is not None


def test_a_fill_is_refused_once_the_remembered_invalidations_no_longer_reach_its_epoch() -> None:
    cache = serving_cache(remembered=4)
    epoch = cache.begin()
    assert epoch is not None

    # Each invalidation of an order with one customer remembers two keys: four of them push
    # every trace of the first two out of a memory of four.
    for number in range(4):
        cache.invalidate_order(f"o-{number}", {f"c-{number}"})

    assert not cache.store_order(epoch, "o-100", order("unrelated", customer_id="c-100"))
    fresh = cache.begin()
    assert fresh is not None
    assert cache.store_order(fresh, "o-100", order("unrelated", customer_id="c-100"))


def test_a_change_to_an_order_drops_it_and_every_page_of_its_customer() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None
    cache.store_order(epoch, "o-1", order("o-1", customer_id="c-1"))
    cache.store_page(epoch, "c-1", 10, "", page("o-1"))
    cache.store_page(epoch, "c-1", 5, "token", page("o-1"))
    cache.store_page(epoch, "c-2", 10, "", page("o-7"))

    cache.invalidate_order("o-1", set())

    assert cache.order("o-1") is None
    assert cache.page("c-1", 10, "") is None
    assert cache.page("c-1", 5, "token") is None
    assert cache.page("c-2", 10, "") is not None
    assert cache.counters.invalidations == 1


def test_a_lower_revision_never_replaces_a_higher_one() -> None:
    cache = serving_cache()
    first = cache.begin()
    assert first is not None
    cache.store_order(first, "o-1", order("paid", revision=3))
    later = cache.begin()
    assert later is not None

    assert not cache.store_order(later, "o-1", order("placed", revision=1))
    assert cache.store_order(later, "o-1", order("shipped", revision=4))

    found = cache.order("o-1")
    assert found is not None
    assert (found.message, found.revision) == ("shipped", 4)


def test_the_least_recently_used_entry_is_evicted_when_the_budget_is_spent() -> None:
    cache = serving_cache(max_entries=2)
    epoch = cache.begin()
    assert epoch is not None
    cache.store_order(epoch, "o-1", order("o-1"))
    cache.store_page(epoch, "c-1", 10, "", page("o-1"))
    assert cache.order("o-1") is not None  # now the page is the least recently used

    cache.store_order(epoch, "o-2", order("o-2"))

    assert len(cache) == 2
    assert cache.page("c-1", 10, "") is None
    assert cache.order("o-1") is not None
    assert cache.order("o-2") is not None


def test_a_page_counts_against_the_budget_as_many_summaries_as_it_holds() -> None:
    cache = serving_cache(max_entries=4)
    epoch = cache.begin()
    assert epoch is not None
    cache.store_order(epoch, "o-1", order("o-1"))
    cache.store_order(epoch, "o-2", order("o-2"))

    cache.store_page(epoch, "c-1", 10, "", page("o-1", "o-2", "o-3"))

    assert cache.held == 4
    assert cache.order("o-1") is None
    assert cache.order("o-2") is not None
    assert cache.page("c-1", 10, "") is not None


def test_a_clear_empties_the_cache_and_refuses_fills_that_began_before_it() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None
    cache.store_order(epoch, "o-1", order("o-1"))

    cache.clear()

    assert cache.order("o-1") is None
    assert not cache.store_order(epoch, "o-2", order("o-2"))


def test_a_disabled_cache_serves_nothing_and_accepts_no_fill() -> None:
    cache = serving_cache()
    epoch = cache.begin()
    assert epoch is not None
    cache.store_order(epoch, "o-1", order("o-1"))

    cache.disable()

    assert not cache.serving
    assert cache.begin() is None
    assert cache.order("o-1") is None
    assert not cache.store_order(epoch, "o-1", order("o-1"))
    cache.enable(version=2)
    assert cache.order("o-1") is None
    assert cache.version == 2


def test_a_cache_of_no_entries_never_serves() -> None:
    cache: AnswerCache[str] = AnswerCache(0)

    cache.enable(version=1)

    assert not cache.serving
    assert cache.begin() is None
