"""`weekbot serve --workers N`: N serving processes on one port, one data directory, one database.

The parent holds the data directory (bot.server.datalock) and binds the listening socket (and,
with the sandbox on, the sandbox platform's); then it starts N workers, each a fresh `weekbot serve`
(not a fork: no event loop or database connection is inherited) handed the sockets, the data
directory's lock and the read end of a "ready" pipe as open files. While the workers load the app
(most of a start-up: the imports), the parent creates or upgrades the database once and starts
the sandbox platform; then it closes the pipe's write end, and each worker, waiting on the read
end, goes on to open the database and serve. So the schema is never migrated by two processes at
once, and the workers' imports do not wait for the migration. Each worker serves HTTP; the one
that wins the leader lock (bot.server.leader) also runs the scheduler and the workers.

One port, a listening socket per worker (SO_REUSEPORT): the kernel hashes each new connection to
one of them, so keep-alive clients spread evenly. With one socket shared by all, a burst of new
connections went to whichever worker woke first (asyncio accepts up to 100 in a row): 32 bench
clients all on one worker, the other idle. The parent's socket only holds the port (bound, never
listening, so it gets no connections); until a worker listens, connections are refused.

The parent loads only what that takes (the config, the database layer, the sandbox platform):
not the web app, the parser or the channels, which live in the workers.

SIGTERM or SIGINT to the parent stops the workers (SIGTERM, each finishes what it is sending) and
then the parent. A worker that dies otherwise is started again, after a pause that doubles while
it keeps dying young. A worker dies with its parent (PR_SET_PDEATHSIG): a killed parent leaves no
orphans holding the port and the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass

from bot.config import Settings
from bot.database import open_database
from bot.server.datalock import hold_data_dir, shares_data_dir
from scheduler.clock import Clock

log = logging.getLogger(__name__)

BACKLOG = 512
STOP_TIMEOUT_SECONDS = 30.0  # a worker's push worker may take 15 s to finish a send
FIRST_RESTART_DELAY = 0.5
LONGEST_RESTART_DELAY = 30.0
HEALTHY_AFTER_SECONDS = 60.0  # a worker that lived this long starts again without delay
PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0))


def listen(host: str, port: int) -> socket.socket:
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


def hold_port(host: str, port: int) -> socket.socket:
    """The port the workers will listen on (port 0: a free one), bound with SO_REUSEPORT so each
    worker can bind its own socket to it; not listening, so the kernel gives it no connections."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def listen_beside(held: socket.socket) -> socket.socket:
    """A worker's own listening socket on the port ``held`` (the parent's, inherited) holds."""
    sock = socket.socket(held.family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(held.getsockname())
    sock.listen(BACKLOG)
    return sock


@dataclass
class Worker:
    number: int
    argv: list[str]
    pass_fds: tuple[int, ...]

    async def keep_running(self, stop: asyncio.Event) -> None:
        delay = FIRST_RESTART_DELAY
        while not stop.is_set():
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(*self.argv, pass_fds=self.pass_fds)
            log.info("worker %d started (pid %d)", self.number, process.pid)
            exited = asyncio.create_task(process.wait())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set():
                await self._stop(process, exited)
                return
            if time.monotonic() - started > HEALTHY_AFTER_SECONDS:
                delay = FIRST_RESTART_DELAY
            log.warning(
                "worker %d (pid %d) exited with %s; starting it again in %g s",
                self.number,
                process.pid,
                exited.result(),
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, LONGEST_RESTART_DELAY)

    async def _stop(self, process: asyncio.subprocess.Process, exited: asyncio.Task[int]) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(exited), STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("worker %d (pid %d) did not stop in time: killed", self.number, process.pid)
            process.kill()
            await exited


def worker_argv(config: str | None, listener: socket.socket, ready_fd: int, platform_url: str | None) -> list[str]:
    argv = [sys.executable, "-m", "bot.cli", "serve", "--worker-of", str(os.getpid())]
    argv += ["--listen-fd", str(listener.fileno()), "--ready-fd", str(ready_fd)]
    if config is not None:
        argv += ["--config", config]
    if platform_url is not None:
        argv += ["--platform-url", platform_url]
    return argv


async def supervise(settings: Settings, clock: Clock, host: str, port: int, workers: int, config: str | None) -> None:
    async with AsyncExitStack() as stack:
        lock_fd = stack.enter_context(hold_data_dir(settings.data_dir, "serve", shared=shares_data_dir(settings)))
        listener = stack.enter_context(hold_port(host, port))
        platform_sock, platform_url = None, None
        if settings.sandbox.enabled:
            platform_sock = stack.enter_context(listen(settings.sandbox.host, settings.sandbox.port))
            platform_url = f"http://{settings.sandbox.host}:{platform_sock.getsockname()[1]}"
        ready_fd, schema_ready = os.pipe()
        stack.callback(os.close, ready_fd)
        argv = worker_argv(config, listener, ready_fd, platform_url)
        pool = [Worker(number, argv, (listener.fileno(), lock_fd, ready_fd)) for number in range(1, workers + 1)]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        running = [asyncio.create_task(worker.keep_running(stop), name=f"worker-{worker.number}") for worker in pool]
        try:
            # Create or upgrade the schema once, while the workers load the app and before they open it;
            # on a thread, so this loop meanwhile starts them.
            await asyncio.to_thread(lambda: open_database(settings, clock).close())
            if platform_sock is not None:
                from bot.server.sandbox_site import start_sandbox  # the sandbox only: its imports are not free

                await start_sandbox(settings, clock, stack, sock=platform_sock)
        finally:
            os.close(schema_ready)  # the workers go on (or, when this failed, die with this process)
        url = f"http://{host}:{listener.getsockname()[1]}"
        log.info("weekbot listening on %s with %d worker processes", url, workers)
        print(f"weekbot: serving on {url} ({workers} worker processes)", flush=True)
        await asyncio.gather(*running)


def become_worker(parent: int, port_fd: int) -> socket.socket:
    """In a worker: die with the parent, and listen on the port its socket (handed down) holds."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        raise SystemExit(f"weekbot serve worker: parent {parent} is gone")
    with socket.socket(fileno=port_fd) as held:
        return listen_beside(held)


def wait_until_ready(parent: int, ready_fd: int) -> None:
    """In a worker, its app loaded: wait until the parent has the database migrated (it closes the
    pipe's write end), then check the parent is still there (a parent that failed closes it too)."""
    while os.read(ready_fd, 512):
        pass
    os.close(ready_fd)
    if os.getppid() != parent:
        raise SystemExit(f"weekbot serve worker: parent {parent} is gone")
