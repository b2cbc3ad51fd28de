"""The Order aggregate: a state machine from placed to paid, shipped and delivered, or cancelled.

Placing an order needs one fact from another aggregate: whether the customer exists, and its
name (``OrderPlaced`` carries a snapshot of it). The core never reads a stream, so that fact
comes in as an argument: the command handler folds the customer's stream into a
``CustomerState`` and passes it to ``decide_order``. The order stream's append is still the
only write, guarded by its own expected revision; customers are never deleted or renamed, so a
customer seen registered stays registered and the snapshot cannot go stale in a way that
matters to the decision.

Free orders: a total of 0 (all lines priced 0: a 100% voucher, a gift) is a real order with
the same lifecycle as any other. It is placed like any other, and paid like any other: with
exactly its total, 0, so that it can be shipped; paying it anything else is refused, as paying
0 for an order that costs something is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, assert_never

from orders_contracts.events import (
    OrderCancelled,
    OrderDelivered,
    OrderEvent,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    PaymentProcessed,
)
from write_service.domain.commands import (
    CancelOrder,
    DeliverOrder,
    OrderCommand,
    PlaceOrder,
    ProcessPayment,
    ShipOrder,
)
from write_service.domain.customer import CustomerState
from write_service.domain.refusal import DomainError, Refusal
from write_service.domain.status import Status


@dataclass(frozen=True, slots=True)
class OrderState:
    """What decisions need of an order: where it is in its lifecycle and what it costs."""

    status: Status = Status.NOT_PLACED
    total_minor: int = 0
    currency: str = ""
    # Whether a payment was taken: a cancelled order that was paid is owed a refund.
    paid: bool = False
    # Whose order it is: a token bound to a customer may only act on that customer's orders.
    customer_id: str = ""


NO_ORDER: Final = OrderState()


def evolve_order(state: OrderState, event: OrderEvent) -> OrderState:
    match event:
        case OrderPlaced(total_minor=total, currency=currency, customer_id=customer_id):
            return OrderState(Status.PLACED, total, currency, customer_id=customer_id)
        case PaymentProcessed():
            return replace(state, status=Status.PAID, paid=True)
        case OrderShipped():
            return replace(state, status=Status.SHIPPED)
        case OrderDelivered():
            return replace(state, status=Status.DELIVERED)
        case OrderCancelled():
            return replace(state, status=Status.CANCELLED)
        case _:
            assert_never(event)


def decide_order(
    command: OrderCommand, state: OrderState, customer: CustomerState
) -> list[OrderEvent]:
    """Decide on an order command; ``customer`` is only read by PlaceOrder."""
    match command:
        case PlaceOrder():
            return [_place(command, state, customer)]
        case ProcessPayment():
            return [_pay(command, state)]
        case ShipOrder():
            return [_ship(command, state)]
        case DeliverOrder():
            return [_deliver(command, state)]
        case CancelOrder():
            return [_cancel(command, state)]
        case _:
            assert_never(command)


def _place(command: PlaceOrder, state: OrderState, customer: CustomerState) -> OrderPlaced:
    if state.status is not Status.NOT_PLACED:
        raise DomainError(
            Refusal.ORDER_ALREADY_EXISTS, f"order {command.order_id} already exists", "order_id"
        )
    if not customer.registered:
        raise DomainError(
            Refusal.CUSTOMER_NOT_FOUND,
            f"customer {command.customer_id} is not registered",
            "customer_id",
        )
    lines = tuple(
        OrderLine(line.sku, line.quantity, line.unit_price_minor) for line in command.lines
    )
    return OrderPlaced(
        order_id=command.order_id,
        customer_id=command.customer_id,
        customer_name=customer.name,
        lines=lines,
        currency=command.currency,
        total_minor=sum(line.quantity * line.unit_price_minor for line in lines),
        placed_at=command.at,
    )


def _pay(command: ProcessPayment, state: OrderState) -> PaymentProcessed:
    _refuse_unless_ready(state, command.order_id, Status.PAID)
    if command.currency != state.currency:
        raise DomainError(
            Refusal.PAYMENT_CURRENCY_MISMATCH,
            f"payment is in {command.currency} but the order is in {state.currency}",
            "amount",
        )
    if command.amount_minor != state.total_minor:
        raise DomainError(
            Refusal.PAYMENT_AMOUNT_MISMATCH,
            f"payment of {command.amount_minor} does not equal the order total of "
            f"{state.total_minor}",
            "amount",
        )
    return PaymentProcessed(
        order_id=command.order_id,
        payment_id=command.payment_id,
        amount_minor=command.amount_minor,
        currency=command.currency,
        method=command.method,
        processed_at=command.at,
    )


def _ship(command: ShipOrder, state: OrderState) -> OrderShipped:
    _refuse_unless_ready(state, command.order_id, Status.SHIPPED)
    return OrderShipped(
        order_id=command.order_id,
        carrier=command.carrier,
        tracking_number=command.tracking_number,
        shipped_at=command.at,
    )


def _deliver(command: DeliverOrder, state: OrderState) -> OrderDelivered:
    _refuse_unless_ready(state, command.order_id, Status.DELIVERED)
    return OrderDelivered(order_id=command.order_id, delivered_at=command.at)


def _cancel(command: CancelOrder, state: OrderState) -> OrderCancelled:
    _refuse_unless_ready(state, command.order_id, Status.CANCELLED)
    return OrderCancelled(order_id=command.order_id, reason=command.reason, cancelled_at=command.at)


# For each status a command leads to: why an order in a status that does not allow the step is
# refused. A status not listed allows it; an order never placed is refused as not found.
_NOT_READY: Final[dict[Status, dict[Status, Refusal]]] = {
    Status.PAID: {
        Status.PAID: Refusal.ORDER_ALREADY_PAID,
        Status.SHIPPED: Refusal.ORDER_ALREADY_PAID,
        Status.DELIVERED: Refusal.ORDER_ALREADY_PAID,
        Status.CANCELLED: Refusal.ORDER_CANCELLED,
    },
    Status.SHIPPED: {
        Status.PLACED: Refusal.ORDER_NOT_PAID,
        Status.SHIPPED: Refusal.ORDER_ALREADY_SHIPPED,
        Status.DELIVERED: Refusal.ORDER_ALREADY_DELIVERED,
        Status.CANCELLED: Refusal.ORDER_CANCELLED,
    },
    Status.DELIVERED: {
        Status.PLACED: Refusal.ORDER_NOT_SHIPPED,
        Status.PAID: Refusal.ORDER_NOT_SHIPPED,
        Status.DELIVERED: Refusal.ORDER_ALREADY_DELIVERED,
        Status.CANCELLED: Refusal.ORDER_CANCELLED,
    },
    Status.CANCELLED: {
        Status.SHIPPED: Refusal.ORDER_ALREADY_SHIPPED,
        Status.DELIVERED: Refusal.ORDER_ALREADY_DELIVERED,
        Status.CANCELLED: Refusal.ORDER_CANCELLED,
    },
}


def _refuse_unless_ready(state: OrderState, order_id: str, requested: Status) -> None:
    if state.status is Status.NOT_PLACED:
        raise DomainError(Refusal.ORDER_NOT_FOUND, f"order {order_id} does not exist", "order_id")
    reason = _NOT_READY[requested].get(state.status)
    if reason is not None:
        raise DomainError(
            reason,
            f"order {order_id} is {state.status.value} and cannot be {requested.value}",
            "order_id",
            transition=(state.status, requested),
        )
