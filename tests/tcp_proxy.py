"""A TCP proxy on 127.0.0.1 that a test can cut, to play a database restart without touching the database.

`cut()` closes the listening socket (new connections are refused, as by a stopped server) and aborts
every open connection in both directions (what clients see when PostgreSQL restarts); `restore()`
listens again on the same port. It runs its own asyncio loop in a daemon thread, so the test drives
it from ordinary synchronous code while the processes under test connect to `port`.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Optional


class TcpProxy:
    """127.0.0.1:`port` → `target_host`:`target_port`, with `cut()` and `restore()`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0  # connections accepted since start, for "the stack really goes through the proxy"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: Optional[asyncio.base_events.Server] = None
        self._open: set[asyncio.StreamWriter] = set()

    # synchronous API for the test -------------------------------------------------------------
    def __enter__(self) -> "TcpProxy":
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._call(self._shut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        self._call(self._shut())

    def restore(self) -> None:
        """Accept connections again on the same port."""
        self._call(self._listen())

    @property
    def open_connections(self) -> int:
        return len(self._open) // 2

    def _call(self, coro) -> None:  # type: ignore[no-untyped-def]
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    # the proxy --------------------------------------------------------------------------------
    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()  # the listening socket: connecting now gives "connection refused"
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()  # a reset, as when the database process goes away
        self._open.clear()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted in the instant of a cut
            client_writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.accepted += 1
        self._open.update((client_writer, upstream_writer))
        await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))
        for writer in (client_writer, upstream_writer):
            self._open.discard(writer)
            writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()  # one side is gone: so is the other (PostgreSQL's protocol has no half-open use)
