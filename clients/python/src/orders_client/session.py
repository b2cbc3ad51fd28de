"""Causally consistent sessions: each query waits for the session's newest write, like MongoDB's
causally consistent sessions, so reading your own writes needs no token plumbing."""

from __future__ import annotations

from orders.v1 import consistency_pb2
from orders_client.commands import Commands
from orders_client.queries import Queries

Token = consistency_pb2.ConsistencyToken


class Session:
    """`session.commands` remembers the newest consistency token of their responses;
    `session.queries` send it with the session's policy (WAIT by default: the read service
    answers once its projection has reached that write, or fails ConsistencyNotReached)."""

    def __init__(
        self,
        commands: Commands,
        queries: Queries,
        *,
        policy: consistency_pb2.StalenessPolicy.ValueType = consistency_pb2.STALENESS_POLICY_WAIT,
        token: Token | None = None,
    ) -> None:
        self.policy = policy
        self._token: Token | None = None
        if token is not None:
            self.advance(token)
        self.commands = commands.observed_by(self.advance)
        self.queries = queries.consistent_with(self.read_consistency)

    @property
    def token(self) -> Token | None:
        """The newest write this session has seen (a copy)."""
        return None if self._token is None else _copied(self._token)

    def advance(self, token: Token) -> None:
        """Remembers token if it is newer than the session's (a replayed command's is older);
        hand it another session's or process's token to read their writes too."""
        if not token.stream:
            return
        if self._token is None or token.commit_position > self._token.commit_position:
            self._token = _copied(token)

    def read_consistency(self) -> consistency_pb2.ReadConsistency | None:
        if self._token is None:
            return None
        return consistency_pb2.ReadConsistency(min_token=self._token, policy=self.policy)


def _copied(token: Token) -> Token:
    copy = Token()
    copy.CopyFrom(token)
    return copy
