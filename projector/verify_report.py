"""What ``python -m projector verify`` prints: one JSON object a line, and its exit code.

Exit codes: 0 the read models match the events; 1 some document or counter differs from what
its events say; 3 nothing differs, but some documents miss events older than ``--max-behind``
seconds (a lost write, or a stalled or parked projection). With ``--repair``, the code of the
verification after the repair.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from kurrentdbclient import AsyncKurrentDBClient
from pymongo import AsyncMongoClient

from projector.verify import Verification, repair_read_models, verify_read_models
from projector.verify_compare import Divergence
from projector.verify_repair import RepairResult

SHORT: Final = 120
CLEAN, DIVERGENT, BEHIND = 0, 1, 3


def short(value: Any) -> Any:
    """The value as JSON, or the start of its JSON text when that is long."""
    text = json.dumps(value, default=str, sort_keys=True)
    return json.loads(text) if len(text) <= SHORT else text[: SHORT - 1] + "…"


def divergence_line(d: Divergence, phase: str) -> dict[str, Any]:
    line: dict[str, Any] = {
        "kind": "divergent",
        "phase": phase,
        "collection": d.collection,
        "id": d.doc_id,
        "problem": d.problem,
    }
    if d.problem == "missing":
        line["expected"] = short(d.expected)
    elif d.problem == "unexpected":
        line["actual"] = short(d.actual)
    else:
        want, got = d.expected or {}, d.actual or {}
        line["fields"] = {
            f: {"expected": short(want.get(f)), "actual": short(got.get(f))} for f in d.fields
        }
    return line


def _streams(count: int) -> str:
    return f"{count} stream{'' if count == 1 else 's'}"


def summary_text(v: Verification) -> str:
    checked = ", ".join(f"{n} {base}" for base, n in v.checked.items())
    if v.clean:
        verdict = f"read models v{v.version} match the events"
    else:
        verdict = (
            f"read models v{v.version}: {len(v.divergences)} divergent, "
            f"{_streams(len(v.behind))} behind by more than {v.max_behind:g} s"
        )
    return f"verify: {verdict} ({checked}; {_streams(v.streams_pending)} not projected yet)"


def verification_lines(v: Verification, phase: str) -> list[dict[str, Any]]:
    lines = [divergence_line(d, phase) for d in v.divergences]
    lines += [
        {
            "kind": "behind",
            "phase": phase,
            "stream": b.stream,
            "revision": b.revision,
            "head_revision": b.head_revision,
            "seconds": round(b.seconds, 1),
        }
        for b in v.behind
    ]
    lines.append(
        {
            "kind": "summary",
            "phase": phase,
            "version": v.version,
            "clean": v.clean,
            "divergent": len(v.divergences),
            "behind": len(v.behind),
            "checked": v.checked,
            "streams_pending": v.streams_pending,
            "text": summary_text(v),
        }
    )
    return lines


def repair_line(number: int, result: RepairResult) -> dict[str, Any]:
    return {
        "kind": "repair",
        "round": number,
        "outcome": result.outcome,
        "documents": result.documents,
        "counters": result.counters,
        "skipped": result.skipped,
    }


def exit_code(v: Verification) -> int:
    if v.divergences:
        return DIVERGENT
    return BEHIND if v.behind else CLEAN


async def run_verify_command(
    eventstore: AsyncKurrentDBClient,
    mongo: AsyncMongoClient[Any],
    database: str,
    *,
    repair: bool,
    max_behind: float,
    emit: Callable[[str], None] = print,
) -> int:
    if not repair:
        verification = await verify_read_models(eventstore, mongo, database, max_behind=max_behind)
        lines = verification_lines(verification, "verify")
    else:
        report = await repair_read_models(eventstore, mongo, database, max_behind=max_behind)
        verification = report.after
        lines = verification_lines(report.before, "verify")
        if report.rounds:
            lines += [repair_line(n, r) for n, r in enumerate(report.rounds, start=1)]
            lines += verification_lines(report.after, "after_repair")
    for line in lines:
        emit(json.dumps(line, default=str, ensure_ascii=False))
    return exit_code(verification)
