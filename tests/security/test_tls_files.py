"""The server factory's TLS, in process: mutual TLS accepted and refused, and renewed
certificate files served to new connections without a restart."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from orders_cli.dev_certs import Authority, issue, new_authority, write_private
from orders_runtime.grpc_server import add_health, build_grpc_server
from orders_runtime.tls import TlsFiles


@dataclass
class Pki:
    folder: Path
    authority: Authority

    def server_files(self, client_ca: Authority | None = None) -> TlsFiles:
        cert, key = issue(self.authority, "orders-test-server", server=True)
        (self.folder / "server.pem").write_bytes(cert)
        write_private(self.folder / "server.key", key)
        ca_file = None
        if client_ca is not None:
            ca_file = self.folder / "clients-ca.pem"
            ca_file.write_bytes(client_ca.cert_pem)
        return TlsFiles(self.folder / "server.pem", self.folder / "server.key", ca_file)


@asynccontextmanager
async def serving(files: TlsFiles) -> AsyncIterator[int]:
    server, port = build_grpc_server("127.0.0.1:0", tls=files)
    add_health(server)
    await server.start()
    try:
        yield port
    finally:
        await server.stop(None)


async def health(port: int, credentials: grpc.ChannelCredentials) -> None:
    """Raises the call's error if the TLS handshake or the call fails."""
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
        await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10
        )


def client(trusted: Authority, identity: tuple[bytes, bytes] | None) -> grpc.ChannelCredentials:
    cert, key = identity if identity else (None, None)
    return grpc.ssl_channel_credentials(trusted.cert_pem, private_key=key, certificate_chain=cert)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path, new_authority("orders test CA"))


async def test_mutual_tls_accepts_a_client_certificate_of_the_client_ca(pki: Pki) -> None:
    clients_ca = new_authority("clients CA")
    async with serving(pki.server_files(client_ca=clients_ca)) as port:
        await health(port, client(pki.authority, issue(clients_ca, "billing", server=False)))


async def test_mutual_tls_refuses_a_client_without_a_certificate(pki: Pki) -> None:
    async with serving(pki.server_files(client_ca=new_authority("clients CA"))) as port:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health(port, client(pki.authority, None))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_refuses_a_certificate_of_another_ca(pki: Pki) -> None:
    stranger = new_authority("somebody else's CA")
    async with serving(pki.server_files(client_ca=new_authority("clients CA"))) as port:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health(port, client(pki.authority, issue(stranger, "intruder", server=False)))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_renewed_certificate_files_are_served_to_new_connections(pki: Pki) -> None:
    files = pki.server_files()
    async with serving(files) as port:
        await health(port, client(pki.authority, None))
        renewed = new_authority("renewed CA")
        cert, key = issue(renewed, "orders-test-server", server=True)
        files.key.write_bytes(key)
        files.cert.write_bytes(cert)
        # Some file systems keep a modification time per second: make the change visible.
        stat = files.cert.stat()
        os.utime(files.cert, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        await health(port, client(renewed, None))
        with pytest.raises(grpc.aio.AioRpcError):
            await health(port, client(pki.authority, None))
