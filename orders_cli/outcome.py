"""What a subcommand produced: data for --json and tables for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import RenderableType


@dataclass(frozen=True, slots=True)
class Outcome:
    data: dict[str, Any]
    views: list[RenderableType] = field(default_factory=list)


def as_dict(message: Message) -> dict[str, Any]:
    """The proto3 JSON form with snake_case names and every field shown."""
    converted: dict[str, Any] = json_format.MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    return converted
