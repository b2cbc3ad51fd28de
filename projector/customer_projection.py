"""Customer documents: the customer's own events, and what their orders contribute (pure).

Lifetime values are Python ints here, exact however many orders add up; the store edge keeps
them as Decimal128 (``orders_contracts.stored_sums``).
"""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from orders_contracts.events import CustomerForgotten, CustomerRegistered
from orders_contracts.read_models import Contribution, CustomerDoc
from projector.envelope import Envelope
from projector.order_projection import ProjectionError
from projector.timestamps import to_millis


def empty_customer(customer_id: str) -> CustomerDoc:
    """A customer known only from an order so far (its registration not projected yet)."""
    return CustomerDoc(
        id=customer_id,
        customer_id=customer_id,
        registered=False,
        name="",
        email=None,
        registered_at=None,
        order_count=0,
        lifetime_value={},
        cancelled_count=0,
        last_order_at=None,
        last_order_id=None,
        revision=-1,
        commit_position=0,
    )


def apply_customer_event(doc: CustomerDoc, envelope: Envelope, customer_id: str) -> CustomerDoc:
    """The customer after one more event of its own stream (the next revision)."""
    if envelope.revision != doc.revision + 1:
        raise ProjectionError(
            f"{envelope.stream_name}: revision {envelope.revision} after {doc.revision}"
        )
    changed = replace(doc, revision=envelope.revision, commit_position=envelope.commit_position)
    event = envelope.event
    if event is None:
        return changed
    if isinstance(event, CustomerForgotten) and event.customer_id == customer_id:
        # The sealed values no longer open anyway (the key is gone); emptying them leaves the
        # read model nothing at all of the customer's, and says so.
        return replace(changed, forgotten=True, name="", email=None)
    if not isinstance(event, CustomerRegistered) or event.customer_id != customer_id:
        raise ProjectionError(
            f"{envelope.stream_name}@{envelope.revision}: unexpected {envelope.event_type}"
        )
    if doc.forgotten:
        return replace(changed, registered=True, registered_at=to_millis(event.registered_at))
    return replace(
        changed,
        registered=True,
        name=event.name,
        email=event.email,
        registered_at=to_millis(event.registered_at),
    )


def _booked(contribution: Contribution | None) -> int:
    if contribution is None or contribution.status == "CANCELLED":
        return 0
    return contribution.amount_minor


def _is_later(at: datetime, order_id: str, doc: CustomerDoc) -> bool:
    last_at, last_id = doc.last_order_at, doc.last_order_id
    if last_at is None or last_id is None:
        return True
    return (at, order_id) > (last_at, last_id)


def apply_order_transition(
    doc: CustomerDoc,
    *,
    order_id: str,
    created_at: datetime,
    customer_name: str,
    old: Contribution | None,
    new: Contribution,
) -> CustomerDoc:
    """The customer's counters after one order went from contributing ``old`` to ``new``."""
    currency = new.currency
    lifetime = dict(doc.lifetime_value)
    lifetime[currency] = lifetime.get(currency, 0) + _booked(new) - _booked(old)
    was_cancelled = old is not None and old.status == "CANCELLED"
    is_cancelled = new.status == "CANCELLED"
    changed = replace(
        doc,
        order_count=doc.order_count + (1 if old is None else 0),
        lifetime_value=lifetime,
        cancelled_count=doc.cancelled_count + int(is_cancelled) - int(was_cancelled),
    )
    if _is_later(created_at, order_id, doc):
        changed = replace(
            changed,
            last_order_at=created_at,
            last_order_id=order_id,
            name=changed.name if doc.registered or doc.forgotten else customer_name,
        )
    return changed
