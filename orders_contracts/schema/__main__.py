"""Write the events' JSON Schema file, or with --check fail if the committed one is stale."""

from __future__ import annotations

import argparse
import sys

from orders_contracts.schema import EVENTS_SCHEMA_PATH, render_events_schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orders_contracts.schema", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from the event types"
    )
    args = parser.parse_args(argv)
    rendered = render_events_schema()
    if args.check:
        path = EVENTS_SCHEMA_PATH
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != rendered:
            print(f"{EVENTS_SCHEMA_PATH} is stale: run 'python -m orders_contracts.schema'")
            return 1
        return 0
    EVENTS_SCHEMA_PATH.write_text(rendered, encoding="utf-8")
    print(f"wrote {EVENTS_SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
