"""Analytics documents as readers see them: every shard's part summed; and what folding a
shard's part into the unsharded document adds to it (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders_contracts.stored_sums import exact_sum
from projector.analytics import logical_id

Doc = dict[str, Any]


def _add(total: Doc, part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, Mapping):
            _add(total.setdefault(key, {}), value)
        elif key in total and _is_count(value) and _is_count(total[key]):
            total[key] = exact_sum(total[key]) + exact_sum(value)
        elif key not in total:
            total[key] = exact_sum(value) if _is_count(value) else value


def _is_count(value: object) -> bool:
    try:
        exact_sum(value)
    except ValueError:
        return False
    return True


def merged_shards(docs: Mapping[str, Mapping[str, Any]]) -> dict[str, Doc]:
    """One document per status or day and currency, under its unsharded id, every count and
    sum added exactly over the shards (as ints). The other fields (day, currency, status) are
    the unsharded document's where it exists, else the first shard's by id."""
    merged: dict[str, Doc] = {}
    # The unsharded id sorts before its shards' ids, which extend it.
    for doc_id in sorted(docs):
        total = merged.setdefault(logical_id(doc_id), {})
        _add(total, {**docs[doc_id], "_id": logical_id(doc_id)})
    return merged


def folded_part(part: Mapping[str, Any]) -> tuple[Doc, dict[str, int]]:
    """A shard's part as an upsert of the unsharded document: the fields a new one starts with
    (day, currency, status) and the ``$inc`` of every count and sum, nested ones by their dotted
    path (``by_status.PLACED``), as exact ints. Adding it and deleting the part leaves the sum
    of the bucket's parts as it was (``merged_shards``)."""
    keys: Doc = {}
    counts: dict[str, int] = {}

    def walk(doc: Mapping[str, Any], prefix: str) -> None:
        for key, value in doc.items():
            path = f"{prefix}{key}"
            if path == "_id":
                continue
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            elif _is_count(value):
                counts[path] = exact_sum(value)
            else:
                keys[path] = value

    walk(part, "")
    return keys, counts
