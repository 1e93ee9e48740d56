"""A worker of `serve --workers N` loads the app while its parent migrates the database, and
opens the database only once the parent says the schema is ready (bot.server.supervisor)."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from bot.server.supervisor import hold_port, listen_beside, wait_until_ready


def test_a_worker_waits_until_the_parent_closes_the_ready_pipe() -> None:
    ready_fd, schema_ready = os.pipe()
    waiting = threading.Thread(target=wait_until_ready, args=(os.getppid(), ready_fd))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive()  # the schema is not ready yet: still waiting
    os.close(schema_ready)
    waiting.join(10)
    assert not waiting.is_alive()


def test_a_worker_whose_parent_is_gone_does_not_go_on() -> None:
    # A parent that fails (or dies) closes the pipe as well: the worker must not then open a
    # database nobody migrated.
    ready_fd, schema_ready = os.pipe()
    os.close(schema_ready)
    with pytest.raises(SystemExit, match="is gone"):
        wait_until_ready(os.getppid() + 1_000_000, ready_fd)


def test_new_connections_spread_over_the_workers_listening_sockets() -> None:
    """Each worker listens on a socket of its own beside the parent's port (SO_REUSEPORT): the
    kernel hashes the connections of a burst over them, rather than the first worker awake taking
    them all off one shared socket. The parent's socket, only holding the port, gets none."""
    with hold_port("127.0.0.1", 0) as held:
        first, second = listen_beside(held), listen_beside(held)
        clients = [socket.create_connection(held.getsockname()) for _ in range(32)]
        try:
            for listener in (first, second):
                listener.setblocking(False)
            accepted = {first: 0, second: 0}
            for listener in accepted:
                while True:
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:
                        break
                    conn.close()
                    accepted[listener] += 1
            assert sum(accepted.values()) == 32
            assert min(accepted.values()) > 0  # all on one: 2 in 2**32
        finally:
            for client in clients:
                client.close()
            first.close()
            second.close()
