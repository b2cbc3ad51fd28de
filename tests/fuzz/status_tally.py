"""How the fuzzed servers answered: calls counted per target, kind of request and status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class StatusTally:
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def __repr__(self) -> str:
        return f"StatusTally({self.total} calls)"

    def add(self, target: str, kind: str, status: str) -> None:
        self.counts[(target, kind, status)] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def table(self) -> list[str]:
        """One row per target and kind of request, one column per status seen."""
        statuses = sorted({status for _, _, status in self.counts})
        rows = sorted({(target, kind) for target, kind, _ in self.counts})
        first = max([len("target"), *(len(f"{t} ({k})") for t, k in rows)])
        widths = [max(len(status), 6) for status in statuses]
        header = "target".ljust(first) + "".join(
            f"  {s:>{w}}" for s, w in zip(statuses, widths, strict=True)
        )
        lines = [header + "   total", "-" * (len(header) + 8)]
        for target, kind in rows:
            cells = [self.counts[(target, kind, status)] for status in statuses]
            lines.append(
                f"{target} ({kind})".ljust(first)
                + "".join(f"  {c:>{w}}" for c, w in zip(cells, widths, strict=True))
                + f"  {sum(cells):>6}"
            )
        by_status = Counter[str]()
        for (_, _, status), count in self.counts.items():
            by_status[status] += count
        lines.append(
            "all".ljust(first)
            + "".join(f"  {by_status[s]:>{w}}" for s, w in zip(statuses, widths, strict=True))
            + f"  {self.total:>6}"
        )
        return lines
