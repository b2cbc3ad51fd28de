"""The development stack with TLS and bearer tokens on, for the watch streams' authorization."""

from tests.security.conftest import secure_stack

__all__ = ["secure_stack"]
