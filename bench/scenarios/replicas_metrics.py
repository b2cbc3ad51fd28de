"""What a live projector replica exports about its work, scraped from its metrics endpoint."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

SCRAPE_TIMEOUT_SECONDS = 5.0
# Every read model is written by the same batch transaction; one of them counts the events.
COUNTED_MODEL = "order_summaries"


@dataclass(frozen=True)
class ReplicaCounts:
    applied: float = 0.0
    write_conflicts: float = 0.0
    replans: float = 0.0
    batches: float = 0.0

    def __add__(self, other: ReplicaCounts) -> ReplicaCounts:
        return ReplicaCounts(
            self.applied + other.applied,
            self.write_conflicts + other.write_conflicts,
            self.replans + other.replans,
            self.batches + other.batches,
        )


def scrape(port: int) -> ReplicaCounts | None:
    """The replica's counters, or None while its endpoint does not answer (blocking)."""
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT_SECONDS) as response:
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    applied = conflicts = replans = batches = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "orders_projector_events_applied_total":
                if sample.labels.get("read_model") == COUNTED_MODEL:
                    applied += sample.value
            elif sample.name == "orders_projector_contention_total":
                kind = sample.labels.get("kind")
                if kind == "write_conflict":
                    conflicts += sample.value
                elif kind == "replanned":
                    replans += sample.value
            elif sample.name == "orders_projector_batch_size_count":
                batches += sample.value
    return ReplicaCounts(applied, conflicts, replans, batches)
