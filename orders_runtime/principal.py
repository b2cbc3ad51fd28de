"""Who is calling: the authenticated principal of the current call, for the code that records
who did what (event metadata) and for checks deeper than the guard can make."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a verified token names. Ids only: never names or e-mail addresses."""

    # The token's "sub" claim.
    subject: str
    # The OAuth client ("client_id", else "azp"); empty if the token names none.
    client_id: str
    scopes: frozenset[str]
    # Set when the token is bound to one customer: it may only act on that customer's orders.
    customer_id: str = ""


# Each gRPC call runs in its own task, so a value set by the guard is seen by that call only.
_CURRENT: ContextVar[Principal | None] = ContextVar("orders_principal", default=None)


def current_principal() -> Principal | None:
    """The principal of the call being served; None when authentication is off."""
    return _CURRENT.get()


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    reset = _CURRENT.set(principal)
    try:
        yield
    finally:
        _CURRENT.reset(reset)
