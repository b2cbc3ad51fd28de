"""Typed settings from the environment: one dataclass field per variable, every bad variable
named in one message, `NAME_FILE` read in place of `NAME`, secret values never shown.

A settings class is a frozen dataclass whose fields are annotated with the variable they come
from and the kind of value they take (see `orders_runtime.setting_types`)::

    port: Annotated[Port, Variable("WRITE_SERVICE_PORT")] = 50051

An unset or empty variable leaves the field's default; a field without a default is required.
`msgspec` converts and checks each value against the `Meta` constraints of its annotation.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import msgspec

from orders_runtime.expectations import expectation

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

S = TypeVar("S", bound="DataclassInstance")

# Exit code of a process whose environment is invalid, as for a command-line usage error.
EXIT_INVALID_SETTINGS = 2


@dataclass(frozen=True, slots=True)
class Variable:
    """The environment variable a field is read from. A secret's value is never shown."""

    name: str
    secret: bool = False

    @property
    def file_variable(self) -> str:
        return f"{self.name}_FILE"


@dataclass(frozen=True, slots=True)
class Before:
    """A normalisation applied to the raw text before conversion (e.g. upper-casing)."""

    normalise: Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Problem:
    variable: str
    message: str


class SettingsError(ValueError):
    """One or more variables are invalid; the message lists every one, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} invalid setting{'s' if len(problems) > 1 else ''}"
        super().__init__("\n  ".join([f"{count}:", *(p.message for p in problems)]))


@dataclass(frozen=True, slots=True)
class _Raw:
    text: str
    # The file the text was read from, for the message.
    file: str | None = None


class _VariableError(Exception):
    """One variable's complaint, raised while reading it and collected with the others."""


def settings_from(cls: type[S], environ: Mapping[str, str]) -> S:
    """The settings the environment gives, or `SettingsError` naming every bad variable."""
    hints = typing.get_type_hints(cls, include_extras=True)
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        hint = hints[field.name]
        variable = _variable(cls, field.name, hint)
        try:
            raw = _raw(variable, environ)
            if raw is not None:
                values[field.name] = _convert(variable, raw, hint)
            elif _required(field):
                raise _VariableError(f"{variable.name} is not set: expected {expectation(hint)}")
        except _VariableError as refused:
            problems.append(Problem(variable.name, str(refused)))
    if problems:
        raise SettingsError(problems)
    return cls(**values)


def variable_names(cls: type[DataclassInstance]) -> dict[str, str]:
    """Each field's variable, by field name (e.g. to map command-line flags onto them)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {
        field.name: _variable(cls, field.name, hints[field.name]).name
        for field in dataclasses.fields(cls)
        if field.init
    }


def load_settings(cls: type[S], environ: Mapping[str, str], program: str | None = None) -> S:
    """For a composition root: the settings, or the one message on stderr and exit code 2."""
    try:
        return settings_from(cls, environ)
    except SettingsError as error:
        _refuse(program or cls.__module__.partition(".")[0], error)


def _refuse(program: str, error: SettingsError) -> NoReturn:
    print(f"{program}: cannot start: {error}", file=sys.stderr)
    raise SystemExit(EXIT_INVALID_SETTINGS)


def _variable(cls: type, name: str, hint: Any) -> Variable:
    variable = _marker(hint, Variable)
    if variable is None:
        raise TypeError(f"{cls.__name__}.{name} is annotated with no Variable")
    return variable


def _raw(variable: Variable, environ: Mapping[str, str]) -> _Raw | None:
    """The text of a variable or of the file its `_FILE` twin names; None when neither is set
    (an empty variable counts as unset, so an empty value in compose means the default)."""
    direct = environ.get(variable.name, "").strip()
    path = environ.get(variable.file_variable, "").strip()
    if direct and path:
        raise _VariableError(
            f"{variable.name} and {variable.file_variable} are both set: expected one of them"
        )
    if not path:
        return _Raw(direct) if direct else None
    named = f"{variable.file_variable}={path!r}"
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise _VariableError(f"{named}: cannot read the file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise _VariableError(f"{named}: the file is not UTF-8 text") from None
    if not text:
        raise _VariableError(f"{named}: the file is empty, expected the value")
    return _Raw(text, file=path)


def _convert(variable: Variable, raw: _Raw, hint: Any) -> object:
    text = raw.text
    for before in _markers(hint, Before):
        text = before.normalise(text)
    refusal = _VariableError(f"{_shown(variable, raw)}: expected {expectation(hint)}")
    try:
        value = msgspec.convert(text, hint, strict=False, dec_hook=_decode)
    except msgspec.ValidationError:
        raise refusal from None
    # Infinity and NaN pass some ranges (NaN compares false), and no setting means them.
    if isinstance(value, float) and not math.isfinite(value):
        raise refusal
    return value


def _decode(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"settings cannot hold {kind!r}")


def _shown(variable: Variable, raw: _Raw) -> str:
    """The variable as a message names it: with its value unless it is a secret."""
    if variable.secret:
        shown = f"{variable.name} (secret, value not shown)"
    else:
        shown = f"{variable.name}={raw.text!r}"
    if raw.file is not None:
        shown += f" (read from {variable.file_variable}={raw.file!r})"
    return shown


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


M = TypeVar("M")


def _markers(hint: Any, kind: type[M]) -> list[M]:
    if typing.get_origin(hint) is not typing.Annotated:
        return []
    return [extra for extra in hint.__metadata__ if isinstance(extra, kind)]


def _marker(hint: Any, kind: type[M]) -> M | None:
    found = _markers(hint, kind)
    return found[-1] if found else None
