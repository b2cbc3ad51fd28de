"""Users and passwords, checked on every call as a secure KurrentDB node checks them.

The official clients send ``authorization: Basic base64(user:password)`` on every call, and only
over TLS. KurrentDB answers a call whose credentials do not match UNAUTHENTICATED
("Unauthenticated"), and a call without credentials as the anonymous user, whom a secure node
(23.10 on) lets touch no stream: PERMISSION_DENIED ("Access Denied", trailing metadata
``exception: access-denied``). The client raises ``UnauthenticatedError`` and
``AccessDeniedError`` for these. This server has no ACLs: every known user may do everything.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, NoReturn, TypeAlias

import grpc

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Context = grpc.aio.ServicerContext[Any, Any]

# KurrentDB's default administrator, and its password until an operator changes it.
DEFAULT_ADMIN: Final = "admin"
DEFAULT_ADMIN_PASSWORD: Final = "changeit"


def parse_users(text: str) -> dict[str, str]:
    """Users from ``name:password`` lines (blank lines ignored); ValueError names the bad line
    by number, never by its content, since it holds a password."""
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, password = line.strip().partition(":")
        if not (colon and name and password):
            raise ValueError(f"users: line {number} is not name:password")
        if name in users:
            raise ValueError(f"users: line {number} names user {name!r} a second time")
        users[name] = password
    return users


def authenticated(users: Mapping[str, str], authorization: str | None) -> bool:
    """Whether an ``authorization`` header names a known user with the right password."""
    if authorization is None:
        return False
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    name, colon, password = decoded.partition(":")
    expected = users.get(name)
    if not colon or expected is None:
        return False
    return hmac.compare_digest(password.encode(), expected.encode())


class BasicAuthentication(grpc.aio.ServerInterceptor):
    """Lets a call through only with a known user's credentials."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = dict(users)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        header = _header(handler_call_details.invocation_metadata, "authorization")
        if header is None:
            return _refusing(handler, _deny_anonymous)
        if not authenticated(self._users, header):
            return _refusing(handler, _refuse_credentials)
        return handler


def _header(metadata: Any, key: str) -> str | None:
    for name, value in metadata or ():
        if name == key:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


async def _refuse_credentials(context: Context) -> NoReturn:
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Unauthenticated")


async def _deny_anonymous(context: Context) -> NoReturn:
    await context.abort(
        grpc.StatusCode.PERMISSION_DENIED,
        "Access Denied",
        trailing_metadata=(("exception", "access-denied"),),
    )


def _refusing(handler: Handler, refuse: Callable[[Context], Awaitable[NoReturn]]) -> Handler:
    """A handler of the same kind and (de)serializers that answers with ``refuse``."""
    found: Any = handler

    async def refused(request: object, context: Context) -> NoReturn:
        await refuse(context)

    kinds = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    make: Any = kinds[(found.request_streaming, found.response_streaming)]
    replaced: Handler = make(
        refused,
        request_deserializer=found.request_deserializer,
        response_serializer=found.response_serializer,
    )
    return replaced
