"""Consumer strategies as plain data: who gets the next message."""

from __future__ import annotations

from eventstore_lite.persistent.consumers import Consumer, strategy_named


def _consumers(*limits: int) -> list[Consumer]:
    return [Consumer(limit, f"peer-{i}", f"conn-{i}", False) for i, limit in enumerate(limits)]


def test_dispatch_to_single_fills_the_first_consumer_before_the_next() -> None:
    first, second = consumers = _consumers(2, 2)
    strategy = strategy_named("DispatchToSingle")
    chosen = []
    for _ in range(4):
        consumer = strategy.choose(consumers, "s")
        assert consumer is not None
        consumer.in_flight += 1
        chosen.append(consumer)
    assert chosen == [first, first, second, second]
    assert strategy.choose(consumers, "s") is None


def test_round_robin_takes_turns_and_skips_a_full_consumer() -> None:
    first, second, third = consumers = _consumers(5, 1, 5)
    strategy = strategy_named("RoundRobin")
    chosen = []
    for _ in range(5):
        consumer = strategy.choose(consumers, "s")
        assert consumer is not None
        consumer.in_flight += 1
        chosen.append(consumer)
    assert chosen == [first, second, third, first, third]


def test_pinned_keeps_a_stream_on_one_consumer_and_holds_it_back_when_that_one_is_full() -> None:
    consumers = _consumers(1, 1)
    strategy = strategy_named("Pinned")
    owner = strategy.choose(consumers, "order-1")
    assert owner is not None
    assert all(strategy.choose(consumers, "order-1") is owner for _ in range(3))
    owner.in_flight = 1
    assert strategy.choose(consumers, "order-1") is None
    assert not strategy.none_means_full
