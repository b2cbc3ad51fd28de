"""A TCP forwarder between a client and a server, whose connections a test can cut silently.

``cut()`` does to every open connection what a NAT table or firewall that forgets a flow does:
the server's side is closed, the client's side stays open and hears nothing more, so the
client waits forever unless it notices by itself. Connections opened afterwards pass again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class _Link:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    pumps: list[asyncio.Task[None]] = field(default_factory=list)


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._links: list[_Link] = []
        self._silenced: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.port = 0
        self.connections = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self._target)
        self.connections += 1
        link = _Link(writer, server_writer)
        link.pumps = [
            asyncio.create_task(_pump(reader, server_writer)),
            asyncio.create_task(_pump(server_reader, writer)),
        ]
        self._links.append(link)

    def cut(self) -> None:
        for link in self._links:
            for pump in link.pumps:
                pump.cancel()
            link.server.close()
            self._silenced.append(link.client)
        self._links = []

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in self._links:
            for pump in link.pumps:
                pump.cancel()
            link.server.close()
            link.client.close()
        for writer in self._silenced:
            writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def tcp_proxy(uri: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A proxy in front of a ``kurrentdb://host:port?...`` server, and the URI through it."""
    address, _, query = uri.split("//", 1)[1].partition("?")
    host, _, port = address.rpartition(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    try:
        yield proxy, f"kurrentdb://127.0.0.1:{proxy.port}?{query}"
    finally:
        await proxy.close()
