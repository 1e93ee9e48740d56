"""Bounded connections for `weekbot serve`: a deadline for request headers, a connection cap.

aiohttp reads headers with no deadline of its own: a client that sends one byte a second holds
its socket (and a slot) for as long as it likes. Its keep-alive timer only runs between requests
and, before 3.10, not before the first one. So every connection is wrapped here:

- at ``connection_made`` a timer is armed; it is disarmed when the request reaches the
  application (the server's request factory runs only once the headers are complete). A
  connection whose headers have not arrived when it fires is closed, with one INFO line.
- for further requests on a kept-alive connection the deadline is aiohttp's keep-alive timer, set
  to the same limit (``keepalive_timeout``): it starts when the previous response is done and
  closes the connection if no complete request has arrived by then, whatever partial bytes came.
- beyond ``max_connections`` open at once, a new connection is closed as soon as it is accepted,
  so the sockets and file descriptors the process holds stay bounded.

Slow bodies are the callback route's business: it reads them under a deadline (bot.web.app.read_body).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from contextlib import AsyncExitStack
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from bot.config import ServerConfig

log = logging.getLogger(__name__)


class ConnectionGuard:
    """The protocol factory for ``loop.create_server``: aiohttp's handlers, each wrapped."""

    def __init__(self, server: web.Server, header_timeout: float, max_connections: int) -> None:
        self.server = server
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.open: dict[RequestHandler, GuardedConnection] = {}
        self._at_limit = False
        make_request = server.request_factory

        def request_reached_app(message: Any, payload: Any, protocol: RequestHandler, *rest: Any) -> web.BaseRequest:
            connection = self.open.get(protocol)
            if connection is not None:
                connection.headers_complete()
            return make_request(message, payload, protocol, *rest)

        # Handlers copy the factory when they are made, so this must happen before the first one.
        server.request_factory = request_reached_app

    def __call__(self) -> GuardedConnection:
        return GuardedConnection(self, self.server())

    def admit(self, connection: GuardedConnection) -> bool:
        if len(self.open) >= self.max_connections:
            if not self._at_limit:  # one line per episode, not one per refused connection
                log.warning("connection limit (%d) reached: closing new connections", self.max_connections)
                self._at_limit = True
            return False
        self.open[connection.handler] = connection
        return True

    def release(self, connection: GuardedConnection) -> None:
        if self.open.pop(connection.handler, None) is not None and len(self.open) < self.max_connections:
            self._at_limit = False


class GuardedConnection(asyncio.Protocol):
    """Forwards the transport's events to aiohttp's RequestHandler, with the header deadline."""

    def __init__(self, guard: ConnectionGuard, handler: RequestHandler) -> None:
        self.guard = guard
        self.handler = handler
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, but not necessarily an asyncio.Transport subclass (uvloop's is not).
        self.transport = cast(asyncio.Transport, transport)
        if not self.guard.admit(self):
            self.transport.abort()
            return
        self.admitted = True
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self.guard.header_timeout, self._headers_too_slow)
        self.handler.connection_made(transport)

    def headers_complete(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = None
        peer = self.transport.get_extra_info("peername") if self.transport else None
        log.info("closed connection from %s: no complete request within %g s", peer, self.guard.header_timeout)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.headers_complete()
        if self.admitted:
            self.guard.release(self)
            self.handler.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.handler.data_received(data)

    def eof_received(self) -> None:
        # aiohttp's handler returns None: the transport closes itself on EOF.
        self.handler.eof_received()

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through a ConnectionGuard."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard, *, sock: socket.socket | None = None
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._guard = guard
        self._sock = sock  # a listening socket shared with sibling processes (bot.server.supervisor)

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        if self._sock is not None:
            self._server = await loop.create_server(self._guard, sock=self._sock)
        else:
            self._server = await loop.create_server(self._guard, self._host, self._port)


async def start_site(
    app: web.Application,
    host: str,
    port: int,
    stack: AsyncExitStack,
    limits: ServerConfig | None = None,
    *,
    sock: socket.socket | None = None,
) -> str:
    """Serve ``app`` on host:port (or on the listening ``sock`` it was handed) with bounded
    connections (bot.web.connections; ``limits`` defaults to [server]'s defaults) until ``stack``
    closes; returns its URL."""
    limits = limits or ServerConfig()
    # The keep-alive timer is the header deadline of a kept-alive connection's next request; a body
    # the app did not read (refused early, or too slow: 408) is drained for at most the body
    # deadline before the connection is closed.
    runner = web.AppRunner(
        app,
        access_log=None,
        keepalive_timeout=limits.header_timeout_seconds,
        lingering_time=limits.body_timeout_seconds,
    )
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    assert runner.server is not None
    guard = ConnectionGuard(runner.server, limits.header_timeout_seconds, limits.max_connections)
    site = GuardedSite(runner, host, port, guard, sock=sock)
    await site.start()
    bound_port = runner.addresses[0][1]
    return f"http://{host}:{bound_port}"
