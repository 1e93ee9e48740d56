"""The serving process's start-up objects are left out of the garbage collector's full collections."""

from __future__ import annotations

import gc
from pathlib import Path

from bot.runtime import Runtime
from scheduler.clock import SystemClock
from tests.harness import make_settings


def test_a_runtime_freezes_what_start_up_made_and_close_hands_it_back(tmp_path: Path) -> None:
    gc.unfreeze()
    runtime = Runtime.create(make_settings(tmp_path), SystemClock())
    try:
        # The engine, the router, the config: frozen, so a full collection does not walk them.
        assert gc.get_freeze_count() > 0
    finally:
        runtime.close()
    assert gc.get_freeze_count() == 0  # collectable again (a test's runtime must not leak)
