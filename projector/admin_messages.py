"""The admin service's answers as protobuf messages: the one place its core meets protobuf."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from orders.v1 import admin_pb2 as pb
from projector.admin_control import Pause
from projector.admin_health import ModelState, health_service
from projector.admin_status import GroupStatus, ModelStatus
from projector.parked import ParkedEvent
from projector.parked_replay import ReplayOutcome
from projector.rebuild import RebuildPhase, RebuildProgress
from projector.verify import Verification
from projector.verify_report import summary_text

STATES: Final[dict[ModelState, pb.ReadModelState.ValueType]] = {
    "running": pb.READ_MODEL_STATE_RUNNING,
    "paused": pb.READ_MODEL_STATE_PAUSED,
    "rebuilding": pb.READ_MODEL_STATE_REBUILDING,
    "stalled": pb.READ_MODEL_STATE_STALLED,
    "retrying": pb.READ_MODEL_STATE_RETRYING,
    "lagging": pb.READ_MODEL_STATE_LAGGING,
    "starting": pb.READ_MODEL_STATE_STARTING,
}

PHASES: Final[dict[RebuildPhase, pb.RebuildPhase.ValueType]] = {
    "replaying": pb.REBUILD_PHASE_REPLAYING,
    "writing": pb.REBUILD_PHASE_WRITING,
    "catching_up": pb.REBUILD_PHASE_CATCHING_UP,
    "switched": pb.REBUILD_PHASE_SWITCHED,
}


def timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def duration(seconds: float) -> Duration:
    found = Duration()
    found.FromTimedelta(timedelta(seconds=seconds))
    return found


def pause_state(pause: Pause) -> pb.PauseState:
    return pb.PauseState(
        paused=pause.paused,
        reason=pause.reason,
        changed_at=timestamp(pause.changed_at),
        paused_replicas=pause.paused_replicas,
    )


def model_status(model: ModelStatus) -> pb.ReadModelStatus:
    return pb.ReadModelStatus(
        name=model.name,
        version=model.version,
        state=STATES[model.state],
        state_reason=model.reason,
        commit_position=model.commit_position,
        head_commit_position=model.head_commit_position,
        lag_events=model.lag_events,
        lag_time=duration(model.lag_seconds),
        events_applied=model.events_applied,
        events_skipped=model.events_skipped,
        events_parked_total=model.events_parked_total,
        parked_events=model.parked_events,
        updated_at=timestamp(model.updated_at),
        health_service=health_service(model.name),
    )


def group_status(status: GroupStatus) -> pb.GetProjectionStatusResponse:
    return pb.GetProjectionStatusResponse(
        read_models=[model_status(m) for m in status.models],
        replicas=[
            pb.ReplicaStatus(
                replica=r.replica, state=r.state, reason=r.reason, seen_at=timestamp(r.seen_at)
            )
            for r in status.replicas
        ],
        pause=pause_state(status.pause),
        active_version=status.active_version,
        building_version=status.building_version or 0,
        previous_version=status.previous_version or 0,
        parked_events=status.parked_events,
        read_at=timestamp(status.read_at),
    )


def parked_event(event: ParkedEvent) -> pb.ParkedEvent:
    return pb.ParkedEvent(
        id=event.id,
        stream_name=event.stream_name,
        revision=event.revision,
        commit_position=event.commit_position,
        event_id=event.event_id,
        event_type=event.event_type,
        reason=event.reason,
        parked_at=timestamp(event.parked_at),
        retry_count=event.retry_count,
        replay_attempts=event.replay_attempts,
        last_replayed_at=timestamp(event.last_replayed_at),
    )


def replayed(outcomes: list[ReplayOutcome]) -> pb.ReplayParkedEventsResponse:
    applied = sum(o.applied for o in outcomes)
    return pb.ReplayParkedEventsResponse(
        outcomes=[
            pb.ReplayOutcome(parked_event_id=o.parked_id, applied=o.applied, reason=o.reason)
            for o in outcomes
        ],
        applied_count=applied,
        still_parked_count=len(outcomes) - applied,
    )


def rebuild_progress(progress: RebuildProgress) -> pb.StartRebuildResponse:
    return pb.StartRebuildResponse(
        phase=PHASES[progress.phase],
        version=progress.version,
        events_read=progress.events_read,
        commit_position=progress.commit_position,
        head_commit_position=progress.head_commit_position,
        events_per_second=round(progress.events_per_second),
    )


def verification(v: Verification) -> pb.VerifyReadModelsResponse:
    return pb.VerifyReadModelsResponse(
        clean=v.clean,
        version=v.version,
        divergences=[
            pb.Divergence(
                collection=d.collection,
                document_id=str(d.doc_id),
                problem=d.problem,
                fields=list(d.fields),
            )
            for d in v.divergences
        ],
        behind=[
            pb.BehindStream(
                stream_name=b.stream,
                revision=b.revision,
                head_revision=b.head_revision,
                behind=duration(b.seconds),
            )
            for b in v.behind
        ],
        checked=v.checked,
        streams_pending=v.streams_pending,
        summary=summary_text(v),
    )
