"""Who may call what: the scope each RPC needs, and what a token bound to one customer may do.

Scopes go by service: commands need ``orders:write``, queries ``orders:read``, everything else
(operator RPCs, and any service this table does not know) ``orders:admin``. A token bound to a
customer may call an RPC only if the table says how to tell the RPC's customer: from the
request, from the response (an order read by id), or from the stored order, which the service
itself checks (commands on an order: the write service's command handler). Any other RPC spans
customers and is refused to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

SCOPE_WRITE: Final = "orders:write"
SCOPE_READ: Final = "orders:read"
SCOPE_ADMIN: Final = "orders:admin"

_SERVICE_SCOPES: Final = {
    "orders.v1.CommandService": SCOPE_WRITE,
    "orders.v1.QueryService": SCOPE_READ,
}

# RPCs that need more than their service's scope. Forgetting a customer destroys data for
# good: an operator's act, never a customer-bound token's (it spans the customer's orders).
_METHOD_SCOPES: Final = {
    "/orders.v1.CommandService/ForgetCustomer": SCOPE_ADMIN,
}

# Served without a token: probes must work before anyone has one, and the schema is public.
OPEN_SERVICES: Final = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)

CustomerOf = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class CustomerRule:
    # The customer the request names; None: the request does not say.
    request: CustomerOf | None = None
    # The customer of the answer; None: nothing to check in it.
    response: CustomerOf | None = None


def _request_customer(request: Any) -> str:
    return str(request.customer_id)


# The service checks the stored order's customer itself.
SERVICE_CHECKS: Final = CustomerRule()

_CUSTOMER_RULES: Final[dict[str, CustomerRule]] = {
    "/orders.v1.CommandService/RegisterCustomer": CustomerRule(request=_request_customer),
    "/orders.v1.CommandService/PlaceOrder": CustomerRule(request=_request_customer),
    "/orders.v1.CommandService/ProcessPayment": SERVICE_CHECKS,
    "/orders.v1.CommandService/ShipOrder": SERVICE_CHECKS,
    "/orders.v1.CommandService/DeliverOrder": SERVICE_CHECKS,
    "/orders.v1.CommandService/CancelOrder": SERVICE_CHECKS,
    "/orders.v1.QueryService/GetCustomer": CustomerRule(request=_request_customer),
    "/orders.v1.QueryService/ListCustomerOrders": CustomerRule(request=_request_customer),
    # Only with the token's own customer named: without one it spans every customer.
    "/orders.v1.QueryService/GetOrderStats": CustomerRule(request=_request_customer),
    "/orders.v1.QueryService/GetOrderSummary": CustomerRule(
        response=lambda response: str(response.order.customer_id)
    ),
    "/orders.v1.QueryService/GetOrderDetails": CustomerRule(
        response=lambda response: str(response.order.summary.customer_id)
    ),
    # A stream's messages pass no guard: the read service checks the order's customer itself.
    "/orders.v1.QueryService/WatchOrder": SERVICE_CHECKS,
    "/orders.v1.QueryService/WatchCustomerOrders": CustomerRule(request=_request_customer),
}


def service_of(method: str) -> str:
    """``orders.v1.QueryService`` of ``/orders.v1.QueryService/GetOrderDetails``."""
    return method.lstrip("/").partition("/")[0]


def required_scope(method: str) -> str:
    return _METHOD_SCOPES.get(method) or _SERVICE_SCOPES.get(service_of(method), SCOPE_ADMIN)


def customer_rule(method: str) -> CustomerRule | None:
    """How a customer-bound token's customer is checked; None: such tokens are refused."""
    return _CUSTOMER_RULES.get(method)
