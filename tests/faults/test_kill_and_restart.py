"""kill -9 and restart, in turn, of the event store, SecantusDB, one of two projector replicas,
the write service and the read service, under a mixed load of well-behaved callers."""

from __future__ import annotations

from tests.faults.scenario import FaultRun
from tests.projector.projector_harness import Dump


def test_every_killed_part_serves_again_after_its_restart(fault_run: FaultRun) -> None:
    assert not fault_run.stalled, fault_run.stalled
    never = [f"{r.part} (round {r.round})" for r in fault_run.recoveries if r.seconds is None]
    assert not never, f"never served again after a restart: {never}"


def test_no_caller_ever_saw_unknown_or_internal(fault_run: FaultRun) -> None:
    seen = fault_run.ledger.codes()
    forbidden = {code: seen[code] for code in ("UNKNOWN", "INTERNAL") if seen[code]}
    assert not forbidden, f"attempts by status: {dict(seen)}; details: {fault_run.ledger.details}"


def test_every_call_of_the_well_behaved_callers_succeeded_in_the_end(fault_run: FaultRun) -> None:
    """Retried with the same idempotency key on UNAVAILABLE and DEADLINE_EXCEEDED, every command
    and query gets its answer once the part it needs is back."""
    assert not fault_run.ledger.refused, (
        f"calls that ended in an error: {dict(fault_run.ledger.refused)}; "
        f"details: {fault_run.ledger.details}"
    )


def test_every_acknowledged_command_is_stored_exactly_once(fault_run: FaultRun) -> None:
    audit = fault_run.audit
    assert audit.acknowledged, "the load acknowledged no command"
    wrong = {
        f"{stream} (command {command})": audit.stored[command]
        for command, stream in audit.acknowledged.items()
        if audit.stored[command] != 1
    }
    assert not wrong, f"events stored per acknowledged command, expected 1 each: {wrong}"
    repeated = {command: count for command, count in audit.stored.items() if count > 1}
    assert not repeated, f"commands stored more than once: {repeated}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:160] + "..."


def differences(live: Dump, replay: Dump, limit: int = 10) -> list[str]:
    found = []
    for model, expected in replay.items():
        actual = {doc["_id"]: doc for doc in live.get(model, [])}
        wanted = {doc["_id"]: doc for doc in expected}
        for key in sorted(actual.keys() ^ wanted.keys(), key=str):
            where = "only in the live read model" if key in actual else "missing from it"
            found.append(f"{model}/{key}: {where}")
        for key in sorted(actual.keys() & wanted.keys(), key=str):
            fields = sorted(
                name
                for name in actual[key].keys() | wanted[key].keys()
                if actual[key].get(name) != wanted[key].get(name)
            )
            if fields:
                found.append(
                    f"{model}/{key}: "
                    + ", ".join(
                        f"{f}={_short(actual[key].get(f))} (replay {_short(wanted[key].get(f))})"
                        for f in fields
                    )
                )
    return found[:limit]


def test_the_read_models_equal_a_clean_replay_field_by_field(fault_run: FaultRun) -> None:
    audit = fault_run.audit
    assert audit.replay["order_summaries"], "the replay holds no order"
    found = differences(audit.live, audit.replay)
    assert audit.live == audit.replay, "\n".join([*found, f"projector status: {audit.progress}"])


def test_projector_verify_finds_the_read_models_clean(fault_run: FaultRun) -> None:
    verification = fault_run.audit.verification
    if "invalid choice: 'verify'" in verification.output:
        raise AssertionError(
            f"`{verification.command}` does not exist in this projector yet (the `verify` "
            f"helper adds it): exit code {verification.exit_code}"
        )
    assert verification.exit_code == 0, (
        f"`{verification.command}` exited with {verification.exit_code}:\n"
        f"{verification.output[-3000:]}"
    )


def test_no_part_ended_on_its_own_while_others_were_killed(fault_run: FaultRun) -> None:
    assert not fault_run.unexpected_exits, "\n\n".join(fault_run.unexpected_exits)
