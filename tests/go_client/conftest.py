"""The `orders dev` stack of the CLI tests, for the Go client."""

from tests.cli.conftest import dev_stack

__all__ = ["dev_stack"]
