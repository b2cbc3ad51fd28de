"""Where protovalidate says a rule of the contract was broken, as the field path our
`BadRequest` field violations use (``lines[1].unit_price.currency_code``)."""

from __future__ import annotations

import protovalidate


def violation_path(violation: protovalidate.Violation) -> str:
    field = violation.proto.field
    parts = []
    for element in field.elements if field is not None else []:
        subscript = element.subscript
        parts.append(element.field_name + (f"[{subscript.value}]" if subscript else ""))
    return ".".join(parts)
