"""The TypeScript client (clients/typescript) generated from protos/ and compiled once per test run.

Three modules run what it builds. `buf generate` wipes src/gen and tsc rewrites dist, so two
builds at once would break each other and a build would break a run reading dist: the first
module to ask builds under an exclusive lock and records the run's id; the others, on any
pytest-xdist worker, find the id and use that build as it is.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[1] / "clients" / "typescript"
BIN = CLIENT / "node_modules" / ".bin"
# Both under folders git ignores, and both thrown away with them.
_LOCK = CLIENT / "node_modules" / ".tests-build.lock"
_BUILT_BY = CLIENT / "dist" / ".built-by-test-run"


def built_typescript_client(testrun_uid: str) -> Path:
    """clients/typescript, its code generated and compiled in this test run; fails the test
    when the toolchain is missing."""
    if not (BIN / "buf").exists() or shutil.which("node") is None:
        pytest.fail("the TypeScript toolchain is missing: run `make clients` (needs node and npm)")
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _built_by() != testrun_uid:
            _BUILT_BY.unlink(missing_ok=True)
            env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
            for argv in (
                [str(BIN / "buf"), "generate", "--template", "buf.gen.yaml", "../../protos"],
                [str(BIN / "tsc"), "-p", "tsconfig.json"],
            ):
                built = subprocess.run(
                    argv, cwd=CLIENT, env=env, capture_output=True, text=True, timeout=180
                )
                assert built.returncode == 0, f"{argv} failed:\n{built.stdout}\n{built.stderr}"
            _BUILT_BY.write_text(testrun_uid)
    return CLIENT


def _built_by() -> str:
    try:
        return _BUILT_BY.read_text()
    except OSError:
        return ""
