"""Messages handed to consumers and not yet acknowledged, with the deadline of each send.

Deadlines are whole seconds of the monotonic clock: the real server checks timeouts on a
one-second tick, so an ack the client batches for a moment still beats a short timeout.
A deadline refers to its message by id and send number, so an acknowledged message is
freed at once and a deadline armed for an earlier send is ignored.
"""

from __future__ import annotations

import math
import uuid
from collections import deque

from eventstore_lite.persistent.consumers import Consumer
from eventstore_lite.persistent.messages import Message


class InFlight:
    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._messages: dict[uuid.UUID, Message] = {}
        self._deadlines: deque[tuple[int, uuid.UUID, int]] = deque()

    def __len__(self) -> int:
        return len(self._messages)

    def __contains__(self, ack_id: uuid.UUID) -> bool:
        return ack_id in self._messages

    def add(self, message: Message, consumer: Consumer, now: float) -> None:
        message.consumer = consumer
        message.deliveries += 1
        consumer.in_flight += 1
        consumer.total_items += 1
        self._messages[message.ack_id] = message
        deadline = math.ceil(now + self._timeout)
        self._deadlines.append((deadline, message.ack_id, message.deliveries))

    def take(self, ack_id: uuid.UUID) -> Message | None:
        """Remove a message (acknowledged, nacked or expired) and free its consumer's slot."""
        message = self._messages.pop(ack_id, None)
        if message is not None and message.consumer is not None:
            message.consumer.in_flight -= 1
            message.consumer = None
        return message

    def expired(self, now: float) -> list[Message]:
        found: list[Message] = []
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            _, ack_id, delivery = deadlines.popleft()
            message = self._messages.get(ack_id)
            if message is not None and message.deliveries == delivery:
                self.take(ack_id)
                found.append(message)
        return found

    def of(self, consumer: Consumer) -> list[Message]:
        """Take every message of a consumer that went away, oldest first."""
        lost = [m for m in self._messages.values() if m.consumer is consumer]
        lost.sort(key=lambda m: m.position)
        for message in lost:
            self.take(message.ack_id)
        return lost

    def next_deadline(self) -> int | None:
        return self._deadlines[0][0] if self._deadlines else None
