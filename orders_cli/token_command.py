"""`orders token`: a bearer token signed with the development stack's key, printed alone on
stdout so that other tools can take it: ``buf curl -H "Authorization: Bearer $(orders token)"``."""

from __future__ import annotations

import argparse
import os

from rich.console import Console

from orders_cli.client_security import dev_security
from orders_cli.dev_keys import ALL_SCOPES
from orders_cli.exit_codes import ExitCode


def print_token(args: argparse.Namespace, errors: Console) -> int:
    security = dev_security(os.environ)
    if not security.exists():
        errors.print(
            f"no development keys in {security.folder}: start the stack first (make dev), or"
            " set ORDERS_DEV_DATA_DIR to its data folder",
            markup=False,
        )
        return ExitCode.USAGE
    scopes = args.scope or list(ALL_SCOPES)
    print(
        security.token(
            scopes, subject=args.subject, customer_id=args.customer, ttl_seconds=args.ttl
        )
    )
    return ExitCode.OK
