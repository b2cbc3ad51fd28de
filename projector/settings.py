"""Projector settings, read once from the environment by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from projector.batch_writer import DOCUMENT_CACHE_SIZE
from projector.consumer import BatchSettings
from projector.subscription_group import GroupSettings


@dataclass(frozen=True)
class Settings:
    eventstore_uri: str
    mongo_uri: str
    mongo_database: str
    group: GroupSettings
    batch: BatchSettings
    document_cache_size: int
    log_level: str
    stall_seconds: float = 30.0
    """Events waiting and none arriving this long: the subscription is stalled and reconnected."""
    health_host: str = "127.0.0.1"
    health_port: int = 0
    """The standard gRPC health service; 0 leaves it off."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            eventstore_uri=env.get("EVENTSTORE_URI", "kurrentdb://127.0.0.1:2113?tls=false"),
            mongo_uri=env.get("MONGO_URI", "mongodb://127.0.0.1:27017/?directConnection=true"),
            mongo_database=env.get("MONGO_DATABASE", "orders"),
            group=GroupSettings(
                name=env.get("PROJECTOR_GROUP", "orders-projector"),
                max_retry_count=int(env.get("PROJECTOR_MAX_RETRY_COUNT", "5")),
                message_timeout=float(env.get("PROJECTOR_MESSAGE_TIMEOUT", "30")),
            ),
            batch=BatchSettings(
                max_size=int(env.get("PROJECTOR_BATCH_SIZE", "500")),
                max_wait=float(env.get("PROJECTOR_BATCH_MAX_WAIT_MS", "50")) / 1000,
            ),
            document_cache_size=int(
                env.get("PROJECTOR_DOCUMENT_CACHE_SIZE", str(DOCUMENT_CACHE_SIZE))
            ),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            stall_seconds=float(env.get("PROJECTOR_STALL_SECONDS") or "30"),
            health_host=env.get("PROJECTOR_HEALTH_HOST") or "127.0.0.1",
            health_port=int(env.get("PROJECTOR_HEALTH_PORT") or "0"),
        )
