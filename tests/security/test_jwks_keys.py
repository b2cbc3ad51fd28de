"""Token keys from a JWKS file or URL: cached, fetched again for a key id not seen before (an
issuer's rotation) but not more often than allowed, and fetched again once they are old."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from orders_cli.dev_keys import jwks_of
from orders_runtime.auth_keys import JwksKeys, NoSuchKeyError


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def kid_of(key: ec.EllipticCurvePrivateKey) -> str:
    published: Any = jwks_of([key])["keys"]
    return str(published[0]["kid"])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return tmp_path / "jwks.json"


def publish(path: Path, *keys: ec.EllipticCurvePrivateKey) -> None:
    path.write_text(json.dumps(jwks_of(keys)))


async def test_a_key_published_after_the_start_is_found_by_its_id(keys_file: Path) -> None:
    first, rotated = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    publish(keys_file, first)
    clock = Clock()
    keys = JwksKeys(keys_file, min_refresh_seconds=10, clock=clock)
    await keys.load()
    publish(keys_file, first, rotated)
    clock.now += 10
    assert (await keys.key(kid_of(rotated))).key_id == kid_of(rotated)


async def test_unknown_key_ids_fetch_at_most_every_min_refresh_seconds(keys_file: Path) -> None:
    first, rotated = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    publish(keys_file, first)
    clock = Clock()
    keys = JwksKeys(keys_file, min_refresh_seconds=10, clock=clock)
    await keys.load()
    publish(keys_file, first, rotated)
    clock.now += 3
    with pytest.raises(NoSuchKeyError):
        await keys.key(kid_of(rotated))


async def test_keys_are_fetched_again_once_old(keys_file: Path) -> None:
    first, second = new_key(), new_key()
    publish(keys_file, first)
    clock = Clock()
    keys = JwksKeys(keys_file, refresh_seconds=300, min_refresh_seconds=10, clock=clock)
    await keys.load()
    publish(keys_file, second)
    clock.now += 301
    await keys.key(kid_of(second))
    # The old key was withdrawn by the issuer: it is gone from the cache too.
    with pytest.raises(NoSuchKeyError):
        await keys.key(kid_of(first))


async def test_an_unreadable_source_keeps_the_cached_keys(keys_file: Path) -> None:
    key = new_key()
    publish(keys_file, key)
    clock = Clock()
    keys = JwksKeys(keys_file, refresh_seconds=300, clock=clock)
    await keys.load()
    keys_file.unlink()  # noqa: ASYNC240 (a test's own file, gone at once)
    clock.now += 301
    assert (await keys.key(kid_of(key))).key_id == kid_of(key)


@pytest.fixture
def jwks_server(keys_file: Path) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = keys_file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_keys_are_fetched_from_a_url(keys_file: Path, jwks_server: str) -> None:
    key = new_key()
    publish(keys_file, key)
    keys = JwksKeys(jwks_server)
    assert (await keys.key(kid_of(key))).key_id == kid_of(key)
