"""What the write service counts beyond its calls: commands by outcome, append conflicts."""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter

# The outcomes of a command that reached the handler; a request refused before it (a bad
# field) is only in the calls' metrics, as INVALID_ARGUMENT.
ACCEPTED: Final = "accepted"
REPLAYED: Final = "replayed"


class CommandMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # Without a registry (tests, tools) the counts are kept and exported nowhere.
        registry = registry or CollectorRegistry(auto_describe=False)
        self._commands = Counter(
            "orders_commands",
            "Commands handled, by command and outcome: accepted, replayed (a retry answered"
            " from its first run's events), refused, key_reused, aborted, unavailable,"
            " unreadable, failed",
            ("command", "outcome"),
            registry=registry,
        )
        self.conflicts = Counter(
            "orders_append_conflicts",
            "Appends refused because the stream had moved (wrong expected revision)",
            registry=registry,
        )
        self.conflict_retries = Counter(
            "orders_append_conflict_retries",
            "Commands decided again on the moved stream after a conflict",
            registry=registry,
        )
        self._by_outcome: dict[tuple[str, str], Counter] = {}

    def command(self, command: str, outcome: str) -> None:
        # The labelled child kept per (command, outcome): the library's label look-up validated
        # and locked on every command.
        counter = self._by_outcome.get((command, outcome))
        if counter is None:
            counter = self._by_outcome[command, outcome] = self._commands.labels(command, outcome)
        counter.inc()
