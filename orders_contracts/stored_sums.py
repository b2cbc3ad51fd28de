"""Money sums at the MongoDB edge: Python ints in every fold, ``Decimal128`` in the store.

Why, and the bound within which they are exact: "Money and why no sum overflows" in
``read_models``. The projector converts the documents and ``$inc`` deltas it writes with
``to_store`` and the documents it reads back with ``from_store``; the read service reads with
``SUMS_AS_INTS``, so every sum reaches its Structs as an int. Writer and readers share this one
module, so they cannot disagree on the stored form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bson.codec_options import TypeDecoder, TypeRegistry
from bson.decimal128 import Decimal128
from msgspec import Struct

from orders_contracts.read_models import CUSTOMERS, SALES_BY_DAY, SALES_BY_STATUS, to_document

SUM_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    SALES_BY_STATUS: frozenset({"revenue_minor"}),
    SALES_BY_DAY: frozenset({"revenue_minor", "cancelled_minor"}),
}
"""Per read model: its top-level fields that hold a money sum. A customer's sums are the values
of ``lifetime_value``; the other read models hold single amounts, which fit int64."""


class InexactSumError(ValueError):
    """A stored sum is not an exact integer: it went past ``Decimal128``'s 34 digits (far beyond
    the bound in ``read_models``), or it was not written by the projector."""


def stored_sum(amount: int) -> Decimal128:
    """``amount`` exactly. Past 34 digits it raises ``decimal.Inexact`` instead of rounding
    (``Decimal128`` converts under a context that traps it)."""
    return Decimal128(str(amount))


def exact_sum(value: object) -> int:
    """A stored sum as an int: ``Decimal128``, or int64 in a read model written before sums
    were ``Decimal128``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal128):
        exact = value.to_decimal()
        # Sums of integers keep exponent 0 while exact; rounding past 34 digits raises the
        # exponent, and NaN and infinity have none.
        if exact.as_tuple().exponent == 0:
            return int(exact)
    raise InexactSumError(f"not an exact money sum: {value!r}")


def to_store(base: str, doc: Struct | Mapping[str, Any]) -> dict[str, Any]:
    """A read-model document (or an analytics document's ``$inc`` deltas) of read model
    ``base`` as written to MongoDB: its sums as ``Decimal128``, everything else as it is."""
    stored = to_document(doc) if isinstance(doc, Struct) else dict(doc)
    if base == CUSTOMERS:
        lifetime: Mapping[str, int] = stored["lifetime_value"]
        stored["lifetime_value"] = {key: stored_sum(value) for key, value in lifetime.items()}
    for field in SUM_FIELDS.get(base, ()):
        if field in stored:
            stored[field] = stored_sum(stored[field])
    return stored


def from_store(base: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A read-model document of read model ``base`` as read from MongoDB, with its sums as
    ints, as the projector's fold holds them (int64 sums of older read models accepted)."""
    folded = dict(doc)
    if base == CUSTOMERS:
        lifetime: Mapping[str, object] = doc["lifetime_value"]
        folded["lifetime_value"] = {key: exact_sum(value) for key, value in lifetime.items()}
    for field in SUM_FIELDS.get(base, ()):
        if field in doc:
            folded[field] = exact_sum(doc[field])
    return folded


class _ExactSums(TypeDecoder):
    bson_type = Decimal128

    def transform_bson(self, value: Any) -> int:
        return exact_sum(value)


SUMS_AS_INTS: Final = TypeRegistry([_ExactSums()])
"""The type registry of a reader's codec options: every ``Decimal128`` decoded as an exact int
(the read models hold no other ``Decimal128`` than money sums). msgspec cannot decode a
``Decimal128`` into an ``int`` field (a ``dec_hook`` is asked only for custom types), so the
driver does it."""
