"""What every fuzzed answer must satisfy, how many examples to run, and how a failure reads."""

from __future__ import annotations

import os

import grpc
from google.protobuf import text_format
from google.protobuf.message import Message
from hypothesis import HealthCheck, Phase, settings

from tests.fuzz.raw_rpc import Answer, Rpc

# About 200 examples for each of the suite's ~50 tests: over 10,000 calls in a normal test run.
# `make fuzz` raises it (FUZZ_MAX_EXAMPLES=2000: about 100,000 calls).
DEFAULT_MAX_EXAMPLES = 200
FORBIDDEN = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)


def fuzz_settings() -> settings:
    return settings(
        max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES") or DEFAULT_MAX_EXAMPLES),
        deadline=None,
        # The servers live as long as the module: examples share them on purpose.
        suppress_health_check=list(HealthCheck),
        database=None,
        # No explain phase: it traces every line the in-process servers run, which makes a
        # failing test take minutes; the shrunk request is explanation enough.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        print_blob=True,
    )


def shown(request: Message | bytes, limit: int = 600) -> str:
    """The request on one line, cut short: enough to send it again by hand."""
    if isinstance(request, bytes):
        text = f"bytes.fromhex({request[:limit].hex()!r})"
        return text + (f" (+{len(request) - limit} bytes)" if len(request) > limit else "")
    text = text_format.MessageToString(request, as_one_line=True, as_utf8=True)
    return text[:limit] + (f" ... ({len(text)} chars)" if len(text) > limit else "")


def assert_not_unknown_or_internal(rpc: Rpc, answer: Answer, request: Message | bytes) -> None:
    assert answer.code not in FORBIDDEN, (
        f"{rpc.name} answered {answer.label} ({answer.details[:300]!r}) to {shown(request)}"
    )
