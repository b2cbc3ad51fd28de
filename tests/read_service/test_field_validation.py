"""Fields that only exist on the wire are checked before use: bad ones are INVALID_ARGUMENT."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from orders.v1 import consistency_pb2
from orders.v1 import query_service_pb2 as pb
from tests.read_service.read_harness import ReadService
from tests.rich_errors import RichError, rich_error

YEAR_10000 = 253_402_300_800
BEFORE_YEAR_1 = -62_135_596_801


async def refused(call: object) -> RichError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return rich_error(caught.value)


def assert_invalid(error: RichError, *fields: str) -> None:
    assert (error.code, error.reason, error.domain) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        "orders.v1",
    )
    assert error.fields == list(fields)


async def test_timestamps_outside_years_1_to_9999_or_with_impossible_nanos_are_refused(
    read_service: ReadService,
) -> None:
    listing = await refused(
        read_service.stub.ListOrders(
            pb.ListOrdersRequest(
                created_after=Timestamp(seconds=YEAR_10000),
                created_before=Timestamp(seconds=0, nanos=-1),
            )
        )
    )
    stats = await refused(
        read_service.stub.GetOrderStats(
            pb.GetOrderStatsRequest(
                created_after=Timestamp(seconds=BEFORE_YEAR_1),
                created_before=Timestamp(seconds=0, nanos=1_000_000_000),
            )
        )
    )

    assert_invalid(listing, "created_after", "created_before")
    assert_invalid(stats, "created_after", "created_before")


async def test_the_extreme_timestamps_the_contract_allows_are_accepted(
    read_service: ReadService,
) -> None:
    response = await read_service.stub.ListOrders(
        pb.ListOrdersRequest(
            created_after=Timestamp(seconds=BEFORE_YEAR_1 + 1),
            created_before=Timestamp(seconds=YEAR_10000 - 1, nanos=999_999_999),
        )
    )

    assert list(response.orders) == []


async def test_a_staleness_policy_the_contract_does_not_define_is_refused(
    read_service: ReadService,
) -> None:
    undefined = consistency_pb2.StalenessPolicy.ValueType(7)
    error = await refused(
        read_service.stub.GetOrderSummary(
            pb.GetOrderSummaryRequest(
                order_id="o-1", consistency=consistency_pb2.ReadConsistency(policy=undefined)
            )
        )
    )

    assert_invalid(error, "consistency.policy")


async def test_a_token_revision_or_position_beyond_any_stream_is_refused(
    read_service: ReadService,
) -> None:
    token = consistency_pb2.ConsistencyToken(
        stream="order-o-1", revision=2**64 - 1, commit_position=2**63
    )
    error = await refused(
        read_service.stub.GetCustomer(
            pb.GetCustomerRequest(
                customer_id="c-1",
                consistency=consistency_pb2.ReadConsistency(
                    min_token=token, policy=consistency_pb2.STALENESS_POLICY_ALLOW_STALE
                ),
            )
        )
    )

    assert_invalid(error, "consistency.min_token.revision", "consistency.min_token.commit_position")


async def test_every_bad_field_of_analytics_is_listed_together_with_wire_problems(
    read_service: ReadService,
) -> None:
    error = await refused(
        read_service.stub.GetSalesAnalytics(
            pb.GetSalesAnalyticsRequest(
                currency_code="euro",
                consistency=consistency_pb2.ReadConsistency(
                    min_token=consistency_pb2.ConsistencyToken(stream="order-x", revision=2**63),
                    policy=consistency_pb2.StalenessPolicy.ValueType(-3),
                ),
            )
        )
    )

    assert_invalid(
        error,
        "start_date",
        "end_date",
        "currency_code",
        "consistency.min_token.revision",
        "consistency.policy",
    )
