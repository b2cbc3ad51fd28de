"""What a query can refuse, in the query core's own terms (the gRPC edge maps them to codes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


class QueryError(Exception):
    """Base of every refusal the query core raises on purpose."""


class InvalidArgumentError(QueryError):
    def __init__(self, violations: tuple[FieldViolation, ...]) -> None:
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
        self.violations = violations


class NotFoundError(QueryError):
    def __init__(self, kind: str, identifier: str) -> None:
        super().__init__(f"{kind} {identifier!r} not found")
        self.kind = kind
        self.identifier = identifier


class ConsistencyNotReachedError(QueryError):
    """The projection did not reach the caller's token before the deadline."""

    def __init__(
        self, stream: str, revision: int, commit_position: int, projected_commit_position: int
    ) -> None:
        super().__init__(
            f"the read models have not yet reached revision {revision} of stream {stream!r}"
        )
        self.stream = stream
        self.revision = revision
        self.commit_position = commit_position
        self.projected_commit_position = projected_commit_position
