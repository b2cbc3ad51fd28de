"""Translation between protobuf messages and the core's commands: no rules, only mapping.

Ids the request leaves empty are assigned here, derived from the idempotency key so that a
retry names the same stream.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from orders.v1 import command_service_pb2 as pb
from orders.v1 import consistency_pb2, types_pb2
from write_service.command_handler import Outcome
from write_service.domain.commands import (
    CancelOrder,
    DeliverOrder,
    ForgetCustomer,
    Line,
    PlaceOrder,
    ProcessPayment,
    RegisterCustomer,
    ShipOrder,
)
from write_service.domain.decider import State
from write_service.domain.order import OrderState
from write_service.domain.status import Status
from write_service.idempotency import assigned_id

ORDER_STATUS: Final[dict[Status, types_pb2.OrderStatus.ValueType]] = {
    Status.NOT_PLACED: types_pb2.ORDER_STATUS_UNSPECIFIED,
    Status.PLACED: types_pb2.ORDER_STATUS_PLACED,
    Status.PAID: types_pb2.ORDER_STATUS_PAID,
    Status.SHIPPED: types_pb2.ORDER_STATUS_SHIPPED,
    Status.DELIVERED: types_pb2.ORDER_STATUS_DELIVERED,
    Status.CANCELLED: types_pb2.ORDER_STATUS_CANCELLED,
}


def register_customer(
    request: pb.RegisterCustomerRequest, key: str, now: datetime
) -> RegisterCustomer:
    return RegisterCustomer(
        customer_id=request.customer_id or assigned_id("customer", key),
        name=request.name,
        email=request.email,
        at=now,
    )


def forget_customer(request: pb.ForgetCustomerRequest, key: str, now: datetime) -> ForgetCustomer:
    return ForgetCustomer(customer_id=request.customer_id, at=now)


def place_order(request: pb.PlaceOrderRequest, key: str, now: datetime) -> PlaceOrder:
    lines = tuple(
        Line(
            sku=line.sku,
            quantity=line.quantity,
            unit_price_minor=line.unit_price.amount_minor,
            currency=line.unit_price.currency_code,
        )
        for line in request.lines
    )
    return PlaceOrder(
        order_id=request.order_id or assigned_id("order", key),
        customer_id=request.customer_id,
        lines=lines,
        currency=lines[0].currency if lines else "",
        at=now,
    )


def process_payment(request: pb.ProcessPaymentRequest, key: str, now: datetime) -> ProcessPayment:
    return ProcessPayment(
        order_id=request.order_id,
        payment_id=request.payment_id or assigned_id("payment", key),
        amount_minor=request.amount.amount_minor,
        currency=request.amount.currency_code,
        method=request.method,
        at=now,
    )


def ship_order(request: pb.ShipOrderRequest, key: str, now: datetime) -> ShipOrder:
    return ShipOrder(request.order_id, request.carrier, request.tracking_number, now)


def deliver_order(request: pb.DeliverOrderRequest, key: str, now: datetime) -> DeliverOrder:
    return DeliverOrder(request.order_id, now)


def cancel_order(request: pb.CancelOrderRequest, key: str, now: datetime) -> CancelOrder:
    return CancelOrder(request.order_id, request.reason, now)


def token(outcome: Outcome) -> consistency_pb2.ConsistencyToken:
    return consistency_pb2.ConsistencyToken(
        stream=outcome.stream, revision=outcome.revision, commit_position=outcome.commit_position
    )


def customer_registered(command: RegisterCustomer, outcome: Outcome) -> pb.RegisterCustomerResponse:
    return pb.RegisterCustomerResponse(
        customer_id=command.customer_id, consistency_token=token(outcome)
    )


def customer_forgotten(command: ForgetCustomer, outcome: Outcome) -> pb.ForgetCustomerResponse:
    return pb.ForgetCustomerResponse(
        customer_id=command.customer_id, consistency_token=token(outcome)
    )


def order_placed(command: PlaceOrder, outcome: Outcome) -> pb.PlaceOrderResponse:
    order = _order(outcome.state)
    return pb.PlaceOrderResponse(
        order_id=command.order_id,
        status=ORDER_STATUS[order.status],
        total=types_pb2.Money(
            currency_code=order.currency,
            amount_minor=order.total_minor,
            amount_minor_decimal=str(order.total_minor),
        ),
        consistency_token=token(outcome),
    )


def payment_processed(command: ProcessPayment, outcome: Outcome) -> pb.ProcessPaymentResponse:
    # The stored event, not the request, names the payment: a replay returns the original id.
    payment_id = getattr(outcome.events[0], "payment_id", command.payment_id)
    return pb.ProcessPaymentResponse(
        order_id=command.order_id,
        payment_id=payment_id,
        status=ORDER_STATUS[_order(outcome.state).status],
        consistency_token=token(outcome),
    )


def order_shipped(command: ShipOrder, outcome: Outcome) -> pb.ShipOrderResponse:
    return pb.ShipOrderResponse(
        order_id=command.order_id,
        status=ORDER_STATUS[_order(outcome.state).status],
        consistency_token=token(outcome),
    )


def order_delivered(command: DeliverOrder, outcome: Outcome) -> pb.DeliverOrderResponse:
    return pb.DeliverOrderResponse(
        order_id=command.order_id,
        status=ORDER_STATUS[_order(outcome.state).status],
        consistency_token=token(outcome),
    )


def order_cancelled(command: CancelOrder, outcome: Outcome) -> pb.CancelOrderResponse:
    order = _order(outcome.state)
    return pb.CancelOrderResponse(
        order_id=command.order_id,
        status=ORDER_STATUS[order.status],
        payment_status=(
            types_pb2.PAYMENT_STATUS_REFUNDED if order.paid else types_pb2.PAYMENT_STATUS_UNPAID
        ),
        consistency_token=token(outcome),
    )


def _order(state: State) -> OrderState:
    assert isinstance(state, OrderState)
    return state
