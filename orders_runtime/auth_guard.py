"""The guard layer of the services' interceptor chain: a bearer token verified into a principal,
the RPC's scope required of it, a customer-bound token held to its customer, and the principal
made known to the code serving the call (``orders_runtime.principal``).

Health and reflection stay open (``auth_policy.OPEN_SERVICES``). Refusals are exceptions the
chain's error status answers (``orders_runtime.auth_errors``); why a token was refused is
logged, never the token itself.
"""

from __future__ import annotations

from typing import Any

import structlog
from google.protobuf.message import Message

from orders_runtime.auth_errors import (
    CustomerMismatchError,
    ScopeInsufficientError,
    UnauthenticatedError,
)
from orders_runtime.auth_policy import (
    OPEN_SERVICES,
    CustomerOf,
    customer_rule,
    required_scope,
    service_of,
)
from orders_runtime.auth_tokens import TokenVerifier
from orders_runtime.call_chain import Call, Context, Handle
from orders_runtime.principal import Principal, acting_as


class AuthGuard:
    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier
        self._log = structlog.get_logger("orders_runtime.auth_guard")

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            if service_of(call.method) in OPEN_SERVICES:
                return await inner(request, context, call)
            principal = await self._authenticated(context)
            self._authorize(principal, call.method, request)
            with acting_as(principal):
                response = await inner(request, context, call)
            rule = customer_rule(call.method)
            if principal.customer_id and rule is not None:
                _held_to_customer(principal, rule.response, response)
            return response

        return handle

    async def _authenticated(self, context: Context) -> Principal:
        values = [
            value
            for key, value in context.invocation_metadata() or ()
            if key == "authorization" and isinstance(value, str)
        ]
        if not values:
            raise UnauthenticatedError("missing")
        scheme, _, token = values[0].partition(" ")
        if len(values) > 1 or scheme.lower() != "bearer" or not token.strip():
            self._log.info("token refused", problem="not one 'Bearer <token>' header")
            raise UnauthenticatedError("invalid")
        try:
            return await self._verifier.principal(token.strip())
        except UnauthenticatedError as refused:
            self._log.info("token refused", problem=refused.problem, detail=refused.detail)
            raise

    def _authorize(self, principal: Principal, method: str, request: Any) -> None:
        scope = required_scope(method)
        if scope not in principal.scopes:
            raise ScopeInsufficientError(scope)
        if not principal.customer_id:
            return
        rule = customer_rule(method)
        if rule is None:
            raise CustomerMismatchError()
        _held_to_customer(principal, rule.request, request)


def _held_to_customer(principal: Principal, customer_of: CustomerOf | None, message: Any) -> None:
    # A request that did not decode is no Message: the layer inside refuses it as a bad request.
    if customer_of is None or not isinstance(message, Message):
        return
    if customer_of(message) != principal.customer_id:
        raise CustomerMismatchError()
