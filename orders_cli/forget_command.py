"""`orders forget CUSTOMER_ID`: ForgetCustomer (needs orders:admin), optionally waiting until
the read side shows the customer forgotten."""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from orders.v1 import command_service_pb2, consistency_pb2, query_service_pb2
from orders_cli import views
from orders_cli.argument_types import format_token
from orders_cli.connection import Stubs
from orders_cli.outcome import Outcome, as_dict


def forget(args: argparse.Namespace, stubs: Stubs) -> Outcome:
    response = stubs.commands.ForgetCustomer(
        command_service_pb2.ForgetCustomerRequest(
            idempotency_key=args.idempotency_key or str(uuid.uuid4()),
            customer_id=args.customer,
        ),
        timeout=stubs.timeout,
    )
    token = response.consistency_token
    data = {**as_dict(response), "token": format_token(token)}
    shown: list[Any] = [f"forgot customer {response.customer_id}: its key is deleted"]
    if args.wait:
        read = stubs.queries.GetCustomer(
            query_service_pb2.GetCustomerRequest(
                customer_id=response.customer_id,
                consistency=consistency_pb2.ReadConsistency(
                    min_token=token, policy=consistency_pb2.STALENESS_POLICY_WAIT
                ),
            ),
            timeout=stubs.timeout,
        )
        data["read"] = as_dict(read)
        shown += [views.customer(read.customer), views.freshness(read.read_metadata)]
    shown.append(views.token_line(token))
    return Outcome(data, shown)
