"""The `orders` command: the local stack, the order lifecycle, queries and demo data."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console

from orders_cli.dev_stack import run_dev


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["dev"]:
        return run_dev(Console(soft_wrap=True))
    print("usage: orders dev", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
