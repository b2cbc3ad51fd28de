"""The contract's checks of a command, as the request a client sends for it meets them.

Tests name bad commands tersely as domain commands; the gate judges requests, so each command
is sent as its request (a PlaceOrder's currency is its lines')."""

from __future__ import annotations

from functools import singledispatch

from google.protobuf.message import Message

from orders.v1 import command_service_pb2 as pb
from orders.v1 import types_pb2
from write_service.contract_gate import ContractGate
from write_service.domain.commands import (
    CancelOrder,
    Command,
    DeliverOrder,
    ForgetCustomer,
    PlaceOrder,
    ProcessPayment,
    RegisterCustomer,
    ShipOrder,
)
from write_service.validation import FieldViolation


def violations(command: Command) -> list[FieldViolation]:
    return ContractGate().violations(request_of(command))


@singledispatch
def request_of(command: Command) -> Message:
    raise TypeError(f"no request for {type(command).__name__}")


@request_of.register
def _(command: RegisterCustomer) -> Message:
    return pb.RegisterCustomerRequest(
        customer_id=command.customer_id, name=command.name, email=command.email
    )


@request_of.register
def _(command: ForgetCustomer) -> Message:
    return pb.ForgetCustomerRequest(customer_id=command.customer_id)


@request_of.register
def _(command: PlaceOrder) -> Message:
    lines = [
        types_pb2.OrderLine(
            sku=line.sku,
            quantity=line.quantity,
            unit_price=types_pb2.Money(
                amount_minor=line.unit_price_minor, currency_code=line.currency
            ),
        )
        for line in command.lines
    ]
    return pb.PlaceOrderRequest(
        order_id=command.order_id, customer_id=command.customer_id, lines=lines
    )


@request_of.register
def _(command: ProcessPayment) -> Message:
    amount = types_pb2.Money(amount_minor=command.amount_minor, currency_code=command.currency)
    return pb.ProcessPaymentRequest(
        order_id=command.order_id,
        payment_id=command.payment_id,
        amount=amount,
        method=command.method,
    )


@request_of.register
def _(command: ShipOrder) -> Message:
    return pb.ShipOrderRequest(
        order_id=command.order_id,
        carrier=command.carrier,
        tracking_number=command.tracking_number,
    )


@request_of.register
def _(command: DeliverOrder) -> Message:
    return pb.DeliverOrderRequest(order_id=command.order_id)


@request_of.register
def _(command: CancelOrder) -> Message:
    return pb.CancelOrderRequest(order_id=command.order_id, reason=command.reason)
