"""The soak's memory rows: the load generator's row is its own process, not the servers it
started (which have their own rows); a server's row counts the children it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from bench.soak_samples import resident_bytes

pytestmark = pytest.mark.servers

HOG_MIB = 128
# Allocates and touches HOG_MIB, says so, then waits until killed.
HOG = f"import sys; b = bytearray({HOG_MIB} << 20); print('ready', flush=True); sys.stdin.read()"


@pytest.fixture
def shell_with_memory_hog() -> Iterator[psutil.Process]:
    """A shell (a few MiB) whose child holds HOG_MIB; `; exit` keeps the shell from exec-ing."""
    command = f'"{sys.executable}" -c "{HOG}"; exit'
    shell = subprocess.Popen(
        ["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert shell.stdout is not None
        assert shell.stdout.readline().strip() == "ready"
        yield psutil.Process(shell.pid)
    finally:
        for child in psutil.Process(shell.pid).children(recursive=True):
            child.kill()
        shell.kill()
        shell.wait()


def test_the_load_generator_row_leaves_out_the_servers_it_started(
    shell_with_memory_hog: psutil.Process,
) -> None:
    own = psutil.Process(os.getpid())

    sampled = resident_bytes(own)

    assert shell_with_memory_hog in own.children()
    # Its own memory only: far from its own plus the child's.
    assert sampled < own.memory_info().rss + (HOG_MIB << 20) // 2


def test_a_server_row_counts_the_children_it_started(
    shell_with_memory_hog: psutil.Process,
) -> None:
    sampled = resident_bytes(shell_with_memory_hog)

    assert shell_with_memory_hog.memory_info().rss < (HOG_MIB << 20) // 4
    assert sampled >= HOG_MIB << 20
