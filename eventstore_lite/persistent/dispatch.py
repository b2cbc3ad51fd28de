"""Handing buffered messages to consumers, in order, as their strategy and room allow."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from eventstore_lite.persistent.consumers import Consumer, Strategy
from eventstore_lite.persistent.messages import Message


def _has_room(consumers: list[Consumer]) -> bool:
    return any(c.in_flight < c.max_in_flight for c in consumers)


def hand_out(
    queue: deque[Message],
    consumers: list[Consumer],
    strategy: Strategy,
    send: Callable[[Message, Consumer], None],
) -> bool:
    """Send messages from the front of `queue`; False once every consumer is full.

    A pinning strategy may refuse a message while others still have room: that message
    keeps its place and later ones (of other streams) go ahead of it."""
    if strategy.none_means_full:
        while queue:
            consumer = strategy.choose(consumers, queue[0].partition)
            if consumer is None:
                return False
            send(queue.popleft(), consumer)
        return True
    held: list[Message] = []
    while queue and _has_room(consumers):
        message = queue.popleft()
        consumer = strategy.choose(consumers, message.partition)
        if consumer is None:
            held.append(message)
        else:
            send(message, consumer)
    queue.extendleft(reversed(held))
    return _has_room(consumers)
