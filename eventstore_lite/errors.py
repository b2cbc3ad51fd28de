"""Storage-level failures; the gRPC layer maps each one to the status the real server gives."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every refusal the storage makes."""


class StreamNotFound(StorageError):  # noqa: N818
    def __init__(self, stream_name: str) -> None:
        super().__init__(f"Event stream '{stream_name}' is not found.")
        self.stream_name = stream_name


class StreamDeleted(StorageError):  # noqa: N818
    """The stream was tombstoned: it can never be read or written again."""

    def __init__(self, stream_name: str) -> None:
        super().__init__(f"Event stream '{stream_name}' is deleted.")
        self.stream_name = stream_name


class WrongExpectedRevision(StorageError):  # noqa: N818
    """`actual` is the stream's last revision, or -1 when the stream has no events."""

    def __init__(self, stream_name: str, expected: int, actual: int) -> None:
        super().__init__(
            f"WrongExpectedVersion. Stream: {stream_name}, "
            f"Expected version: {expected}, Actual version: {actual}"
        )
        self.stream_name = stream_name
        self.expected = expected
        self.actual = actual


class AppendTooLarge(StorageError):  # noqa: N818
    def __init__(self, size: int, max_size: int) -> None:
        super().__init__(f"Maximum Append Size of {max_size} Exceeded.")
        self.size = size
        self.max_size = max_size
