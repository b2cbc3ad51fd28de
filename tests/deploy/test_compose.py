"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The Compose schema is vendored from the check-jsonschema package (PyPI), which ships the
compose-spec project's schema (Apache-2.0, licence beside it), so no test reaches the web.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")
# Python package of each service -> its compose service.
SERVICES = {
    "write_service": "write-service",
    "projector": "projector",
    "read_service": "read-service",
}
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))


def _variables_read_by(package: str) -> set[str]:
    """Every string in the package's settings module that is spelt like a variable name."""
    tree = ast.parse((ROOT / package / "settings.py").read_text())
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ENV_NAME.match(node.value)
    }


def test_the_compose_file_follows_the_compose_specification() -> None:
    errors = [error.message for error in _validator().iter_errors(_compose())]
    assert errors == []


def test_the_schema_check_rejects_a_misspelt_key() -> None:
    broken = copy.deepcopy(_compose())
    broken["services"]["projector"]["depends_onn"] = broken["services"]["projector"]["depends_on"]
    assert not _validator().is_valid(broken)


@pytest.mark.parametrize(("package", "service"), sorted(SERVICES.items()))
def test_every_variable_a_service_reads_is_set_for_it(package: str, service: str) -> None:
    read = _variables_read_by(package)
    assert read, f"found no environment variables in {package}/settings.py"
    environment = _compose()["services"][service]["environment"]
    # A secret is set through its file form (NAME_FILE), which the settings read in its place.
    given = set(environment) | {name.removesuffix("_FILE") for name in environment}
    assert sorted(read - given) == []


@pytest.mark.parametrize("service", sorted(SERVICES.values()))
def test_each_service_runs_a_module_that_exists(service: str) -> None:
    command = _compose()["services"][service]["command"]
    assert command[:2] == ["python", "-m"]
    assert (ROOT / command[2] / "__main__.py").is_file()


def test_services_start_only_once_the_stores_are_healthy() -> None:
    services = _compose()["services"]
    assert services["write-service"]["depends_on"]["kurrentdb"]["condition"] == "service_healthy"
    for service in ("projector", "read-service"):
        assert services[service]["depends_on"]["mongodb"]["condition"] == "service_healthy"
    for store in ("kurrentdb", "mongodb"):
        assert services[store]["healthcheck"]["test"]
        assert services[store]["volumes"]


def test_mongodb_runs_as_a_replica_set_that_the_services_name() -> None:
    services = _compose()["services"]
    assert "--replSet" in services["mongodb"]["command"]
    assert "rs.initiate" in " ".join(services["mongodb"]["healthcheck"]["test"])
    for service in ("projector", "read-service"):
        assert "replicaSet=rs0" in services[service]["environment"]["MONGO_URI"]


def test_the_projector_can_be_scaled_out() -> None:
    projector = _compose()["services"]["projector"]
    assert "container_name" not in projector
    assert "ports" not in projector


def _stages(dockerfile: str) -> list[tuple[str, str, list[str]]]:
    """(image, stage name, instructions) per FROM, with continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    stages: list[tuple[str, str, list[str]]] = []
    for line in joined.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0].upper() == "FROM":
            stages.append((words[1], words[3] if len(words) > 3 else "", []))
        else:
            stages[-1][2].append(line.strip())
    return stages


def test_the_dockerfile_builds_in_one_stage_and_runs_slim_and_non_root_in_another() -> None:
    stages = _stages((ROOT / "Dockerfile").read_text())
    assert len(stages) >= 2
    assert all(image == "python:3.11-slim" for image, _, _ in stages)
    build_name, runtime = stages[0][1], stages[-1][2]
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(f"from={build_name}" in line for line in runtime)
    assert not any(line.upper().startswith("COPY . ") for _, _, lines in stages for line in lines)


def test_the_dockerfile_copies_every_package_of_the_wheel() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    build_stage = _stages((ROOT / "Dockerfile").read_text())[0][2]
    copied = {line.split()[1] for line in build_stage if line.upper().startswith("COPY ")}
    missing = [package for package in packages if not any(package.startswith(c) for c in copied)]
    assert missing == []
