"""Refusals of the persistent-subscription service; the gRPC layer maps each to a status."""

from __future__ import annotations


class GroupNotFoundError(Exception):
    pass


class GroupAlreadyExistsError(Exception):
    pass


class GroupFailedError(Exception):
    """The real server's "failed" answer (INTERNAL), carrying its reason."""


class MaxSubscribersReachedError(Exception):
    pass
