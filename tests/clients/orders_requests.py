"""Request messages the client tests send, built with the library's money helper."""

from __future__ import annotations

from orders.v1 import command_service_pb2 as cmd
from orders.v1 import types_pb2
from orders_client import to_money


def registration(name: str = "Ada Lovelace", customer_id: str = "") -> cmd.RegisterCustomerRequest:
    return cmd.RegisterCustomerRequest(
        customer_id=customer_id, name=name, email=f"{name.split()[0].lower()}@example.com"
    )


def order(customer_id: str, price: str = "12.50", currency: str = "EUR") -> cmd.PlaceOrderRequest:
    return cmd.PlaceOrderRequest(
        customer_id=customer_id,
        lines=[types_pb2.OrderLine(sku="BOOK-1", quantity=2, unit_price=to_money(price, currency))],
    )
