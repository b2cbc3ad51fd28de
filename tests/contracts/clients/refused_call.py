"""Run by test_clients_from_protos_alone, only a folder generated from protos/ first on the path.

Sends a PlaceOrder the service refuses and prints, as JSON, the status code, the ErrorInfo and
the BadRequest field violations decoded from the status details, and the files the generated
modules came from (so the test can tell they are the freshly generated ones).
"""

import json
import sys

import grpc
from google.rpc import error_details_pb2, status_pb2

from orders.v1 import command_service_pb2, command_service_pb2_grpc, types_pb2


def main(address: str) -> None:
    request = command_service_pb2.PlaceOrderRequest(
        customer_id="c-1",
        lines=[
            types_pb2.OrderLine(
                sku="BOOK-1", quantity=0, unit_price=types_pb2.Money(currency_code="eur")
            )
        ],
    )
    with grpc.insecure_channel(address) as channel:
        try:
            command_service_pb2_grpc.CommandServiceStub(channel).PlaceOrder(request, timeout=60)
        except grpc.RpcError as error:
            if not isinstance(error, grpc.Call):
                raise
            call = error
        else:
            raise SystemExit("the refused PlaceOrder was accepted")
    (details,) = [
        value
        for key, value in call.trailing_metadata() or ()
        if key == "grpc-status-details-bin" and isinstance(value, bytes)
    ]
    status = status_pb2.Status.FromString(details)
    info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    for detail in status.details:
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(bad_request.DESCRIPTOR):
            detail.Unpack(bad_request)
    print(
        json.dumps(
            {
                "code": call.code().name,
                "reason": info.reason,
                "domain": info.domain,
                "violations": [v.field for v in bad_request.field_violations],
                "modules": [error_details_pb2.__file__, command_service_pb2.__file__],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
