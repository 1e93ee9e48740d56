"""How a serving process tunes the interpreter: the collector kept off the heap start-up built
(bot.server.serve), the GIL switched less often (bot.cli.service)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from bot.cli.service import SERVING_SWITCH_INTERVAL_SECONDS, run_serving
from bot.server.serve import YOUNG_COLLECTION_THRESHOLD, freeze_startup_heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()  # back to the oldest generation: this test process collects them as before
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_startup_objects_are_frozen_and_young_collections_rarer() -> None:
    built_at_startup = [{"kept": n} for n in range(1000)]
    older = gc.get_threshold()[1:]
    freeze_startup_heap()
    assert gc.get_freeze_count() >= len(built_at_startup)
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *older)
    # Garbage made while serving is still collected, cycles included.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_a_serving_process_runs_its_loop_with_the_longer_switch_interval() -> None:
    seen: list[float] = []

    async def serving() -> None:
        seen.append(sys.getswitchinterval())

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # CPython's default, whatever an earlier in-process serve left
    try:
        run_serving(serving())
    finally:
        sys.setswitchinterval(before)
    assert seen == [SERVING_SWITCH_INTERVAL_SECONDS] != [0.005]
