"""Stored documents against expected ones, field by field (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import bson
from bson.codec_options import CodecOptions
from bson.decimal128 import Decimal128
from msgspec import Struct

from orders_contracts.read_models import (
    CUSTOMERS,
    ORDER_DETAILS,
    ORDER_SUMMARIES,
    SALES_BY_DAY,
    SALES_BY_STATUS,
    to_document,
)
from projector.memory_model import MemoryModel
from projector.verify_snapshot import COUNTERS, Doc, StoredModel, without_wall_clock

Problem = Literal["different", "missing", "unexpected"]


@dataclass(frozen=True)
class Divergence:
    collection: str
    doc_id: str
    problem: Problem
    fields: tuple[str, ...]
    """Top-level fields that differ (every field of a missing or unexpected document)."""
    expected: Doc | None
    actual: Doc | None


def expected_collections(model: MemoryModel) -> dict[str, Mapping[str, Any]]:
    return {
        ORDER_SUMMARIES: _documents(model.summaries),
        ORDER_DETAILS: _documents(model.details),
        CUSTOMERS: _documents(model.customers),
        SALES_BY_STATUS: model.sales_by_status,
        SALES_BY_DAY: model.sales_by_day,
    }


def _documents(docs: Mapping[str, Struct]) -> dict[str, Doc]:
    return {doc_id: to_document(doc) for doc_id, doc in docs.items()}


def plain(value: Any) -> Any:
    """Numbers compared by value whatever their BSON type (a counter may be stored wider than
    it was computed)."""
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def as_stored(doc: Mapping[str, Any], options: CodecOptions[Doc]) -> Doc:
    """The document as it reads back from the store (tuples become lists, times lose zones)."""
    return bson.decode(bson.encode(without_wall_clock(dict(doc))), codec_options=options)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def numeric_leaves(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Counter fields as the projector's $inc deltas name them ("by_status.PAID")."""
    leaves: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, Mapping):
            leaves |= numeric_leaves(value, f"{prefix}{key}.")
        elif is_number(plain(value)):
            leaves[f"{prefix}{key}"] = plain(value)
    return leaves


def _all_zero(doc: Doc) -> bool:
    return not any(numeric_leaves(doc).values())


def _divergence(base: str, doc_id: str, want: Doc | None, got: Doc | None) -> Divergence | None:
    if want is None and got is None:
        return None
    if want is None:
        assert got is not None
        # A counter document nothing contributes to is harmless when it counts nothing.
        if base in COUNTERS and _all_zero(got):
            return None
        return Divergence(base, doc_id, "unexpected", tuple(got), None, got)
    if got is None:
        return Divergence(base, doc_id, "missing", tuple(want), want, None)
    differing = tuple(
        key
        for key in [*want, *(k for k in got if k not in want)]
        if plain(want.get(key)) != plain(got.get(key)) or (key in want) != (key in got)
    )
    return Divergence(base, doc_id, "different", differing, want, got) if differing else None


def compare(
    stored: StoredModel, expected: MemoryModel, options: CodecOptions[Doc]
) -> list[Divergence]:
    """Every document that differs, by collection and id."""
    found: list[Divergence] = []
    for base, wanted in expected_collections(expected).items():
        actual = stored.docs(base)
        for doc_id in sorted(set(wanted) | set(actual)):
            want = wanted.get(doc_id)
            divergence = _divergence(
                base, doc_id, None if want is None else as_stored(want, options), actual.get(doc_id)
            )
            if divergence is not None:
                found.append(divergence)
    return found
