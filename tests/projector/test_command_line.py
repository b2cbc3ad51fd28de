"""`python -m projector`: settings from the environment, JSON logs, SIGTERM, status, rebuild."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from tests.projector.projector_history import Recorded
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def environment(eventstore_uri: str, mongo_uri: str, database: str) -> dict[str, str]:
    return {
        **os.environ,
        "EVENTSTORE_URI": eventstore_uri,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": database,
        "PROJECTOR_GROUP": "command-line",
        "LOG_LEVEL": "INFO",
    }


async def projector(env: dict[str, str], *args: str) -> str:
    """Run one command to its end; its standard output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "projector",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


@pytest.mark.timeout(120)
async def test_the_projector_process_projects_stops_on_sigterm_and_reports_status(
    history_uri: str, mongo_uri: str, mongo_db_name: str, history: list[Recorded]
) -> None:
    env = environment(history_uri, mongo_uri, mongo_db_name)
    orders = len({r.stream for r in history if r.stream.startswith("order-")})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "projector", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_uri)
    try:
        summaries = mongo[mongo_db_name]["order_summaries_v1"]

        async def all_orders() -> bool:
            return await summaries.count_documents({}) == orders

        await wait_until(all_orders, "every order projected by the process")
    finally:
        await mongo.close()
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0
    lines = stderr.decode().splitlines()
    events = [json.loads(line)["event"] for line in lines if line.startswith("{")]
    assert "projector started" in events
    assert "projector stopped" in events

    report = json.loads(await projector(env, "status"))
    assert report["pointer"]["version"] == 1
    assert {s["_id"] for s in report["status"]} >= {"order_summaries", "customers"}

    rebuilt = await projector(env, "rebuild")
    assert json.loads(rebuilt.strip().splitlines()[-1]) == {"active_version": 2}
