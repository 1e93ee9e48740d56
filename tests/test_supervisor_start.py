"""A worker of `serve --workers N` loads the app while its parent migrates the database, and
opens the database only once the parent says the schema is ready (bot.server.supervisor)."""

from __future__ import annotations

import os
import threading

import pytest

from bot.server.supervisor import wait_until_ready


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
