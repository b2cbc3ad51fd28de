"""What a settings field expects, in words, for the error message: the description of its
`Meta` when it has one, else words derived from its type and constraints. A field that
narrows a described kind (a `Port` of at most 1024) gives its own description too."""

from __future__ import annotations

from typing import Any

from msgspec import inspect


def expectation(hint: Any) -> str:
    info = inspect.type_info(hint)
    if isinstance(info, inspect.Metadata):
        description = (info.extra_json_schema or {}).get("description")
        if isinstance(description, str):
            return description
        info = info.type
    match info:
        case inspect.BoolType():
            return "true or false"
        case inspect.IntType():
            return "a whole number" + _range(info.ge, info.gt, info.le, info.lt)
        case inspect.FloatType():
            return "a number" + _range(info.ge, info.gt, info.le, info.lt)
        case inspect.StrType(pattern=str(pattern)):
            return f"a text matching {pattern}"
        case inspect.StrType(min_length=int(shortest)) if shortest > 0:
            return "a non-empty text"
        case inspect.LiteralType():
            return "one of " + ", ".join(str(value) for value in info.values)
        case _:
            return "a valid value"


def _range(ge: float | None, gt: float | None, le: float | None, lt: float | None) -> str:
    if ge is not None and le is not None:
        return f" from {_number(ge)} to {_number(le)}"
    lower = f"{_number(ge)} or more" if ge is not None else None
    if gt is not None:
        lower = f"above {_number(gt)}"
    upper = f"at most {_number(le)}" if le is not None else None
    if lt is not None:
        upper = f"below {_number(lt)}"
    words = " and ".join(part for part in (lower, upper) if part is not None)
    return f", {words}" if words else ""


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"
