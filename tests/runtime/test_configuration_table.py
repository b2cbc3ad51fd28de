"""The README's configuration table stays true: each process's section lists only variables
that process reads, every variable read is listed, and each documented default is the one
the settings class has (fed through the same loader)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from eventstore_lite.settings import ServerSettings
from orders_cli.stack_settings import StackSettings
from orders_runtime.settings import settings_from, variable_names
from projector.settings import Settings as ProjectorSettings
from read_service.settings import Settings as ReadSettings
from write_service.settings import Settings as WriteSettings

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS: dict[str, Any] = {
    "write service": WriteSettings,
    "projector": ProjectorSettings,
    "read service": ReadSettings,
    "embedded event store": ServerSettings,
    "local stack": StackSettings,
}
SECTION = re.compile(r"^\| \*\*(?P<name>[^*]+)\*\*")
ROW = re.compile(r"^\| (?P<names>`[A-Z_0-9]+`(?:, `[A-Z_0-9]+`)*) \| (?P<default>[^|]*) \|")


def _documented() -> dict[str, list[tuple[list[str], str]]]:
    """Rows of the configuration table by section: (variables, default as written)."""
    text = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[tuple[list[str], str]]] = {}
    section = ""
    for line in text.splitlines():
        if heading := SECTION.match(line):
            section = heading["name"]
        elif row := ROW.match(line):
            names = re.findall(r"`([A-Z_0-9]+)`", row["names"])
            rows.setdefault(section, []).append((names, row["default"].strip()))
    return rows


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_a_section_lists_only_variables_its_process_reads(section: str) -> None:
    read = set(variable_names(SECTIONS[section]).values())
    listed = {name for names, _ in _documented()[section] for name in names}
    assert sorted(listed - read) == []


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_variable_a_process_reads_is_documented(section: str) -> None:
    documented = {name for rows in _documented().values() for names, _ in rows for name in names}
    read = set(variable_names(SECTIONS[section]).values())
    assert sorted(read - documented) == []


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_each_documented_default_is_the_default_of_the_settings(section: str) -> None:
    cls = SECTIONS[section]
    field_of = {variable: name for name, variable in variable_names(cls).items()}
    defaults = {f.name: f.default for f in fields(cls)}
    checked = 0
    for names, written in _documented()[section]:
        default = re.fullmatch(r"`([^`]+)`", written)
        if len(names) != 1 or default is None:
            continue
        # The loader needs the required variables too; the event store's data folder is one.
        environment = {"EVENTSTORE_LITE_DATA": "/data", names[0]: default[1]}
        loaded = settings_from(cls, environment)
        field = field_of[names[0]]
        assert getattr(loaded, field) == defaults[field], names[0]
        checked += 1
    assert checked >= 3
