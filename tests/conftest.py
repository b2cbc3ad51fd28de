"""Shared fixtures: the real embedded servers, each started on a free port.

The event store is `eventstore_lite` (our KurrentDB-protocol server); MongoDB's stand-in is
SecantusDB, run as its own process because it is GPL-2.0 and must never be imported.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
import structlog

from eventstore_lite.testing import EventStoreProcess, run_eventstore
from orders_runtime.correlation import add_call_labels
from tests.cli.dev_process import READY_LINE, DevPorts, DevStack, start_dev, stop_quietly
from tests.mongo_process import MongoProcess
from tests.security.secure_stack import SecureStack, start_secure_stack, stop

UNIT = "unit"
SERVERS = "servers"
SLOW = "slow"
SERIAL = "serial"
# Fixtures that start a server process, directly or through the fixtures they take.
SERVER_FIXTURES = frozenset(
    {
        "eventstore_uri",
        "fresh_eventstore_uri",
        "mongo_uri",
        "history_uri",
        "eventstore",
        "fresh_eventstore",
        "own_mongo",
        "dev_stack",
        "command_target",
        "query_target",
        "eventstore_target",
        "fault_run",
        "secure_stack",
        "stack",
        "prometheus",
        "workload_done",
        "secure_eventstore_uri",
        "secure_mongo_uri",
        "secure_stores",
        "status_stack",
    }
)

# `make test` runs the tests on two pytest-xdist workers, a module's tests on one worker (so a
# module-scoped server starts once; a session-scoped one once per worker that needs it), and
# then, without workers, the `serial` tests: those of the modules that take one of these fixtures
# or are marked `serial` themselves. The fault run measures recovery times and loads the
# machine, and fills a summary printed at the end of the run, which only the process that ran it
# can print. (The fuzzing's summary travels from the workers: tests/fuzz/tally_report.py.)
SERIAL_FIXTURES = frozenset({"fault_run"})

# The modules that took longest in a measured `make test` (tens of seconds each, slowest first).
# `make test` hands modules to its workers in collection order (`--no-loadscope-reorder`), so
# these go first: one of them handed out last would end the run alone on one worker while the
# other sat idle. A stale entry costs time, never correctness; a missing file is skipped.
LONGEST_MODULES = (
    "tests/scale/test_replicas_share_the_work.py",
    "tests/fuzz/test_eventstore_fuzz.py",
    "tests/watch/test_watch_across_projector_restart.py",
    "tests/cli/test_dev_stack.py",
    "tests/scale/test_orphan_shards_fold.py",
    "tests/read_service/test_money_sums_in_the_read_models.py",
    "tests/fuzz/test_query_service_fuzz.py",
    "tests/contracts/test_clients_from_protos_alone.py",
    "tests/projector/test_projector_mongodb_outage.py",
    "tests/projector/test_verify_live.py",
    "tests/projector/test_money_folds_exact.py",
    "tests/fuzz/test_command_service_fuzz.py",
    "tests/shredding/test_forget_customer.py",
    "tests/operations/test_command_trace.py",
    "tests/pipeline/test_leader_change.py",
    "tests/security/test_typescript_client_over_tls.py",
    "tests/runtime/test_process_settings.py",
    "tests/shredding/test_personal_data_migration.py",
    "tests/projector/test_fault_injection.py",
    "tests/go_client/test_go_client.py",
)

# Loaded here, in the one conftest every process reads: the pytest-xdist controller collects
# nothing, so it never reads tests/fuzz/conftest.py, yet it is the one that prints the summary.
pytest_plugins = ["tests.fuzz.tally_report"]


def _dump_tasks(signum: int, frame: FrameType | None) -> None:
    """`kill -USR1 <pytest pid>` prints what every task of the running event loop awaits: a
    hung asyncio test shows only an idle selector in a thread dump."""
    try:
        tasks = asyncio.all_tasks(asyncio.get_running_loop())
    except RuntimeError:  # no loop running in the main thread right now
        tasks = set()
    for task in tasks:
        task.print_stack(file=sys.stderr)


def _plain_tracebacks() -> None:
    """structlog's defaults for the test process, but tracebacks rendered plainly: rich's, with
    every frame's locals, took seconds each on a loaded machine, and the few hundred refused calls
    of one read-service test then took 13 minutes to log (the rare hang of the suite)."""
    structlog.configure(
        processors=[
            add_call_labels,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.dev.set_exc_info,
            structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
            structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
        ]
    )


def _cache_bytecode() -> None:
    """Bytecode caches for the session and the processes it starts, as Python writes them by
    default, even where PYTHONDONTWRITEBYTECODE is set (as in the project's containers): without
    them every pytest process rewrote and compiled each test module anew (3 of the 7 CPU-seconds
    its collection takes), and every server process compiled our modules at each start. They go
    to __pycache__ folders, which git ignores."""
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_configure(config: pytest.Config) -> None:
    signal.signal(signal.SIGUSR1, _dump_tasks)
    _cache_bytecode()
    _plain_tracebacks()
    # Services started by tests (and the `orders` CLI run in this process) go without TLS and
    # bearer tokens unless a test sets them up: tests/security does, with ORDERS_AUTH=on.
    os.environ["ORDERS_AUTH"] = "off"
    config.addinivalue_line("markers", f"{UNIT}: needs no server process (`make test-unit`)")
    config.addinivalue_line("markers", f"{SERVERS}: starts server processes in its own body")
    config.addinivalue_line("markers", f"{SLOW}: takes seconds without any server")
    config.addinivalue_line(
        "markers",
        f"{SERIAL}: `make test` runs it after the parallel part, without workers (it measures, "
        "loads the machine, prints a summary at the end or writes files another module uses)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the unit tests: those that take no fixture starting a server, start none themselves
    (marked `servers`) and are not `slow`. `make test-unit` runs them alone, in seconds. Mark
    `serial` every test of a module where one test is, or takes a fixture of SERIAL_FIXTURES.
    Put the LONGEST_MODULES first, each module's tests still together and in their order."""
    first = {module: rank for rank, module in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: first.get(_module(item), len(first)))
    serial_modules = {
        _module(item)
        for item in items
        if item.get_closest_marker(SERIAL)
        or not SERIAL_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
    }
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        opted_out = any(item.get_closest_marker(name) for name in (SERVERS, SLOW))
        if fixtures.isdisjoint(SERVER_FIXTURES) and not opted_out:
            item.add_marker(UNIT)
        if _module(item) in serial_modules:
            item.add_marker(SERIAL)


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


@pytest.fixture(scope="session")
def eventstore_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_eventstore(tmp_path_factory.mktemp("eventstore")) as uri:
        yield uri


@pytest.fixture
def fresh_eventstore_uri(tmp_path: Path) -> Iterator[str]:
    with run_eventstore(tmp_path / "eventstore") as uri:
        yield uri


@pytest.fixture
def fresh_eventstore(tmp_path: Path) -> Iterator[EventStoreProcess]:
    """An event store of the test's own, which it may kill, stop and start again."""
    process = EventStoreProcess(tmp_path / "eventstore")
    process.start()
    yield process
    process.terminate()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process = MongoProcess(tmp_path_factory.mktemp("secantus"))
    process.start()
    try:
        yield process.uri
    finally:
        process.stop()


@pytest.fixture
def mongo_db_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


# The two development stacks are defined here, once: a fixture re-exported by another folder's
# conftest is a second fixture with a cache of its own, so each folder that imported one started
# a whole stack (six processes, idling on until the session ends) next to the first.


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """One `orders dev` stack on free ports, shared by the CLI, status and client tests."""
    stack = start_dev(DevPorts.pick(), tmp_path_factory.mktemp("devdata"))
    try:
        stack.wait_for_line(READY_LINE, timeout=120)
        yield stack
    finally:
        stop_quietly(stack)


@pytest.fixture(scope="session")
def secure_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    """One development stack with TLS and bearer tokens on, shared by the tests of security,
    of the client library's authentication errors and of the watch streams' authorization."""
    stack = start_secure_stack(tmp_path_factory.mktemp("secure-devdata"), timeout=120)
    try:
        yield stack
    finally:
        stop(stack)
