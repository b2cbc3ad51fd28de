"""The write side's request limits and what the contract's annotations cannot say.

The limits are the contract's (``buf.validate`` annotations, enforced by
``write_service.contract_gate``); they are named here for the code and tests that rely on them.
Left here: the idempotency key sent as metadata. Checks that need stored state (a payment equal
to the order total) belong to the core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# The money limits. Everything downstream relies on them: a line total is at most 10^14 minor
# units, an order total (and so a payment, which must equal it) at most 10^16, which int64
# holds 922 times over. Sums over many orders (a customer's lifetime value per currency, the
# analytics per status x currency and per day x currency) are not bounded by these and are kept
# exact beyond int64 by the read models (see orders_contracts/read_models.py).
MAX_LINES: Final = 100
MAX_QUANTITY: Final = 1_000_000
# One million major units per unit price (10^8 minor units): beyond that it is a typo.
MAX_UNIT_PRICE_MINOR: Final = 100_000_000
MAX_PAYMENT_MINOR: Final = MAX_LINES * MAX_QUANTITY * MAX_UNIT_PRICE_MINOR
MAX_NAME: Final = 200
MAX_EMAIL: Final = 254
MAX_LABEL: Final = 64
MAX_REASON: Final = 500
MAX_IDEMPOTENCY_KEY: Final = 128

_PRINTABLE_ASCII: Final = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


def idempotency_key(from_field: str, from_metadata: str | None) -> str | FieldViolation:
    """The command's idempotency key ("" for none), or why the two ways of sending it clash."""
    key = from_field or from_metadata or ""
    if from_field and from_metadata and from_field != from_metadata:
        return FieldViolation(
            "idempotency_key", "differs from the idempotency-key metadata; send one or the same"
        )
    # The field's format is the contract's (ContractGate); the metadata has no annotations.
    if (
        not from_field
        and key
        and (len(key) > MAX_IDEMPOTENCY_KEY or not _PRINTABLE_ASCII.fullmatch(key))
    ):
        return FieldViolation(
            "idempotency_key",
            f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces",
        )
    return key
