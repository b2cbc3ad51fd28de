"""The status view: read models, replicas and parked events as rich tables (pure rendering)."""

from __future__ import annotations

from datetime import UTC

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from orders.v1 import admin_pb2 as pb
from orders_cli.status_snapshot import Snapshot

_STATE_STYLE = {
    "running": "green",
    "paused": "yellow",
    "rebuilding": "cyan",
    "lagging": "yellow",
    "starting": "dim",
    "stalled": "red",
    "retrying": "red",
}


def state_text(state: pb.ReadModelState.ValueType) -> Text:
    name = pb.ReadModelState.Name(state).removeprefix("READ_MODEL_STATE_").lower()
    return Text(name, style=_STATE_STYLE.get(name, ""))


def _lag_events(model: pb.ReadModelStatus) -> str:
    # The service counts lag up to 1000 events: beyond, it says "at least".
    return f"{model.lag_events}+" if model.lag_events >= 1000 else str(model.lag_events)


def _versions(status: pb.GetProjectionStatusResponse) -> str:
    parts = [f"active v{status.active_version}"]
    if status.building_version:
        parts.append(f"building v{status.building_version}")
    if status.previous_version:
        parts.append(f"previous v{status.previous_version}")
    return ", ".join(parts)


def _headline(status: pb.GetProjectionStatusResponse) -> Text:
    text = Text(f"Projection: {_versions(status)}; {status.parked_events} parked; ")
    if status.pause.paused:
        reason = f" ({status.pause.reason})" if status.pause.reason else ""
        text.append(f"PAUSED{reason}", style="bold yellow")
    else:
        text.append("consuming", style="green")
    return text


def read_models_table(status: pb.GetProjectionStatusResponse, rates: dict[str, float]) -> Table:
    table = Table(title="Read models", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("read model", no_wrap=True)
    table.add_column("state", no_wrap=True)
    for column in ("position", "lag ev", "lag s", "ev/s", "applied", "parked"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for model in status.read_models:
        rate = rates.get(model.name)
        table.add_row(
            model.name,
            state_text(model.state),
            str(model.commit_position),
            _lag_events(model),
            f"{model.lag_time.ToTimedelta().total_seconds():.1f}",
            "-" if rate is None else f"{rate:.0f}",
            str(model.events_applied),
            str(model.parked_events),
        )
    return table


def replicas_table(status: pb.GetProjectionStatusResponse) -> Table:
    table = Table(title="Replicas", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("replica", "state", "reason"):
        table.add_column(column)
    for replica in status.replicas:
        table.add_row(replica.replica, replica.state, replica.reason or "")
    return table


def parked_table(parked: pb.ListParkedEventsResponse) -> Table:
    shown = len(parked.parked_events)
    more = f" (first {shown} of {parked.total_size})" if parked.total_size > shown else ""
    table = Table(title=f"Parked events{more}", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("id", "type", "parked at", "replays"):
        table.add_column(column, no_wrap=True)
    table.add_column("reason", overflow="fold")
    for event in parked.parked_events:
        at = event.parked_at.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(event.id, event.event_type, at, str(event.replay_attempts), event.reason)
    return table


def status_view(snapshot: Snapshot, rates: dict[str, float]) -> Group:
    parts: list[Text | Table] = [
        _headline(snapshot.status),
        read_models_table(snapshot.status, rates),
        replicas_table(snapshot.status),
    ]
    if snapshot.parked.parked_events:
        parts.append(parked_table(snapshot.parked))
    return Group(*parts)
