"""Page tokens are authenticated: a forged, altered or foreign token is INVALID_ARGUMENT."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime

import grpc
import msgspec
import pytest
from pymongo import AsyncMongoClient

from orders.v1 import query_service_pb2 as pb
from orders_runtime.settings import SettingsError, settings_from
from read_service.page_token import Cursor, encode_page_token, filter_digest
from read_service.page_token_seal import PageTokenSeal
from read_service.settings import Settings
from tests.read_service.order_history import place_customer_orders
from tests.read_service.read_harness import ReadService, running_read_service, settings_for
from tests.rich_errors import RichError, rich_error

KEY = "k" * 32
Doc = dict[str, object]


async def refused(call: object) -> RichError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return rich_error(caught.value)


async def first_page(service: ReadService) -> str:
    place_customer_orders(service.history, "c-1", 15, "a")
    await service.project_pending()
    page = await service.stub.ListCustomerOrders(pb.ListCustomerOrdersRequest(customer_id="c-1"))
    assert page.next_page_token
    return page.next_page_token


async def page_token_refusal(service: ReadService, token: str) -> tuple[grpc.StatusCode, str]:
    error = await refused(
        service.stub.ListCustomerOrders(
            pb.ListCustomerOrdersRequest(customer_id="c-1", page_token=token)
        )
    )
    return error.code, error.violations["page_token"]


def altered(token: str, at: int) -> str:
    replacement = "A" if token[at] != "A" else "B"
    return token[:at] + replacement + token[at + 1 :]


async def test_forged_and_altered_page_tokens_are_refused_on_the_page_token_field(
    read_service: ReadService,
) -> None:
    token = await first_page(read_service)
    cursor = Cursor(datetime(2030, 1, 1, tzinfo=UTC), "a-99")
    # Exactly what the query core would write for this filter, but not issued by the service.
    forged = encode_page_token(cursor, filter_digest("ListCustomerOrders", "c-1"))
    payload, _, mac = token.rpartition(".")

    refusals = [
        await page_token_refusal(read_service, bad)
        for bad in (forged, altered(token, 5), altered(token, len(token) - 2), payload, f"{mac}")
    ]

    assert [code for code, _ in refusals] == [grpc.StatusCode.INVALID_ARGUMENT] * 5
    assert all("issued" in description for _, description in refusals)


async def test_a_token_signed_with_the_key_but_carrying_an_impossible_cursor_is_refused(
    mongo_client: AsyncMongoClient[Doc],
    projector_client: AsyncMongoClient[Doc],
    mongo_db_name: str,
) -> None:
    settings = replace(settings_for(mongo_db_name), page_token_key=KEY)
    digest = filter_digest("ListCustomerOrders", "c-1")
    payloads = [
        {"v": 1, "f": digest, "t": 2**62, "o": "a-1"},
        {"v": 1, "f": digest, "t": 0, "o": "not an id!"},
        {"v": 1, "f": digest, "t": "soon", "o": "a-1"},
    ]
    seal = PageTokenSeal.from_setting(KEY)
    async with running_read_service(mongo_client, projector_client, settings) as service:
        refusals = [
            await page_token_refusal(service, seal.seal(_unpadded(msgspec.json.encode(payload))))
            for payload in payloads
        ]
    await mongo_client.drop_database(mongo_db_name)

    assert refusals == [(grpc.StatusCode.INVALID_ARGUMENT, "the page token is malformed")] * 3


async def test_replicas_sharing_the_key_accept_each_others_tokens_and_others_refuse_them(
    mongo_client: AsyncMongoClient[Doc],
    projector_client: AsyncMongoClient[Doc],
    mongo_db_name: str,
) -> None:
    shared = replace(settings_for(mongo_db_name), page_token_key=KEY)
    async with (
        running_read_service(mongo_client, projector_client, shared) as issuer,
        running_read_service(mongo_client, projector_client, shared) as replica,
        running_read_service(mongo_client, projector_client, settings_for(mongo_db_name)) as other,
    ):
        token = await first_page(issuer)
        second = await replica.stub.ListCustomerOrders(
            pb.ListCustomerOrdersRequest(customer_id="c-1", page_token=token)
        )
        refusal = await page_token_refusal(other, token)
    await mongo_client.drop_database(mongo_db_name)

    assert len(second.orders) == 5
    assert refusal[0] == grpc.StatusCode.INVALID_ARGUMENT


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def test_a_page_token_key_shorter_than_32_characters_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingsError, match="READ_PAGE_TOKEN_KEY") as caught:
        settings_from(Settings, {"READ_PAGE_TOKEN_KEY": "short-secret"})

    assert "short-secret" not in str(caught.value)
    assert KEY not in repr(settings_from(Settings, {"READ_PAGE_TOKEN_KEY": KEY}))
