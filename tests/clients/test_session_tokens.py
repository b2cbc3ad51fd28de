"""A session keeps the newest consistency token it has seen and sends it with its policy."""

from __future__ import annotations

import grpc

from orders.v1 import consistency_pb2
from orders_client import NO_RETRY, Commands, Queries, Session

Token = consistency_pb2.ConsistencyToken


def session() -> Session:
    # Never dialled: a channel connects only when a call is made.
    channel = grpc.aio.insecure_channel("127.0.0.1:1")
    return Session(Commands(channel, retry=NO_RETRY), Queries(channel, retry=NO_RETRY))


async def test_a_new_session_asks_for_no_consistency() -> None:
    assert session().read_consistency() is None


async def test_a_session_keeps_the_newest_token_and_ignores_an_older_replayed_one() -> None:
    tracked = session()
    tracked.advance(Token(stream="order-a", revision=3, commit_position=200))
    tracked.advance(Token(stream="order-b", revision=0, commit_position=100))
    tracked.advance(Token())

    consistency = tracked.read_consistency()
    assert consistency is not None
    assert consistency.min_token == Token(stream="order-a", revision=3, commit_position=200)
    assert consistency.policy == consistency_pb2.STALENESS_POLICY_WAIT


async def test_the_token_a_session_hands_out_is_a_copy() -> None:
    tracked = session()
    tracked.advance(Token(stream="order-a", revision=3, commit_position=200))
    handed = tracked.token
    assert handed is not None
    handed.commit_position = 1
    assert tracked.token == Token(stream="order-a", revision=3, commit_position=200)
