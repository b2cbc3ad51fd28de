"""The chain's metrics layer: every call counted and timed by service, method and final code.

It sits in the observers slot (``orders_runtime.interceptors``): outside the error status, so it
sees the code the caller gets, as the request log does. The labelled children are kept per
(method, code), so a call costs two dictionary look-ups and two increments, not the library's
label validation.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram

from orders_runtime.metrics import LATENCY_BUCKETS
from orders_runtime.request_log import code_after

if TYPE_CHECKING:
    from prometheus_client.metrics import Counter as CounterChild
    from prometheus_client.metrics import Histogram as HistogramChild

    from orders_runtime.call_chain import Call, Context, Handle


class RpcMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("service", "method", "code")
        self._calls = Counter(
            "orders_rpc_calls",
            "gRPC calls served, by service, method and the status code the caller got",
            labels,
            registry=registry,
        )
        self._seconds = Histogram(
            "orders_rpc_duration_seconds",
            "Time to serve a gRPC call, from the chain's first layer to its status",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[str, grpc.StatusCode], tuple[CounterChild, HistogramChild]] = {}

    def wrap(self, inner: Handle) -> Handle:
        async def handle(request: Any, context: Context, call: Call) -> Any:
            started = time.perf_counter()
            try:
                response = await inner(request, context, call)
            except BaseException as error:
                self._observe(call, code_after(call, error), started)
                raise
            self._observe(call, context.code() or grpc.StatusCode.OK, started)
            return response

        return handle

    def _observe(self, call: Call, code: grpc.StatusCode, started: float) -> None:
        elapsed = time.perf_counter() - started
        key = (call.method, code)
        children = self._children.get(key)
        if children is None:
            service = call.method.split("/", 2)[1]
            labels = (service, call.rpc, code.name)
            children = self._calls.labels(*labels), self._seconds.labels(*labels)
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)
