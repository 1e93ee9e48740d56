"""The leader lock: one process (here: one Leadership per would-be process) runs the duties; when
it stops, another takes over; the data-directory lock admits shared serves and refuses the rest."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.server.datalock import DataDirBusy, hold_data_dir
from bot.server.leader import Leadership, Role


class Duties:
    def __init__(self) -> None:
        self.running = 0
        self.started = 0

    async def start(self):
        self.running += 1
        self.started += 1

        async def stop() -> None:
            self.running -= 1

        return stop


async def until(condition, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_one_leader_runs_the_duties_and_another_takes_over(tmp_path: Path) -> None:
    duties = Duties()
    roles: dict[str, Role] = {}
    first = Leadership(tmp_path, duties.start, lambda role: roles.__setitem__("first", role))
    second = Leadership(tmp_path, duties.start, lambda role: roles.__setitem__("second", role))
    first.start()
    await until(lambda: roles.get("first") == Role.LEADER)
    second.start()
    await asyncio.sleep(1.5)  # more than one claim round: the second must still follow
    assert roles["second"] == Role.FOLLOWER and duties.running == 1
    await first.stop()
    await until(lambda: roles["second"] == Role.LEADER)
    assert duties.running == 1 and duties.started == 2
    await second.stop()
    assert duties.running == 0


def test_shared_serves_admit_each_other_but_not_an_exclusive_holder(tmp_path: Path) -> None:
    with (
        hold_data_dir(tmp_path, "serve", shared=True),
        hold_data_dir(tmp_path, "serve", shared=True),
        pytest.raises(DataDirBusy),
        hold_data_dir(tmp_path, "demo"),
    ):
        pass
    with hold_data_dir(tmp_path, "serve"), pytest.raises(DataDirBusy), hold_data_dir(tmp_path, "serve", shared=True):
        pass
