"""The campaign's group robot (群机器人): chosen pushes also go to the group chat through the outbox,
once per push per robot even across a restart, within the robot's 20 messages a minute; the
sandbox's webhook/send answers as WeCom's (45009 beyond the limit); `plan` and `check` say so."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.preflight.offline import go_live_problems
from bot.wechat_api import RetryPolicy, WeChatAPIError
from bot.wechat_api.group_robot import GroupRobotClient
from bot.workers.push import make_firing, make_sender
from scheduler.clock import TZ
from scheduler.delivery import GROUP_ROBOT, robot_id
from scheduler.plan import PushKind, build_plan
from storage.outbox import OutboxMessage, put
from tests.conftest import EXAMPLE
from tests.harness import Harness, make_settings
from tests.test_photo_intake import photo_bytes

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

KEY = "693a91f6-7aaa-4bc4-97a0-0ec2bcfa5aaa"
EVENING = datetime(2026, 4, 20, 21, 10, tzinfo=TZ)
LIAISON = "li-shangwu"


def robot_settings(tmp_path: Path):
    return make_settings(tmp_path, WEEKBOT_GROUP_ROBOT_KEY=KEY)


def group_rows(bot: Harness) -> list[OutboxMessage]:
    return [row for row in bot.rows(OutboxMessage) if row.channel == GROUP_ROBOT]


async def test_the_evening_digest_reaches_the_group_once_across_a_restart(tmp_path: Path) -> None:
    settings = robot_settings(tmp_path)
    digest = next(p for p in build_plan(settings) if p.kind == PushKind.DIGEST and p.at == EVENING)
    async with Harness(settings) as first:
        first.platform.robot_keys.add(KEY)
        await first.bound(LIAISON, "市商务局")
        await first.say(LIAISON, "今天上午在新华路商圈开展集中宣传，发放资料200份，咨询40人次")
        await first.send_photo(LIAISON, photo_bytes(1, first.clock.now()))
        assert await first.background.media.run_until_idle() == 1
        first.clock.set(EVENING)
        assert await make_firing(first.runtime).fire(digest, EVENING)  # queued; the process dies before sending
        assert first.platform.robot_messages == []
    platform, clock = first.platform, first.clock
    async with Harness(settings, clock, platform) as second:
        assert await make_firing(second.runtime).fire(digest, EVENING) is None  # fired before
        assert await make_sender(second.runtime, second.background).drain_due() > 0
    async with Harness(settings, clock, platform) as third:
        assert await make_sender(third.runtime, third.background).drain_due() == 0  # all sent
        rows = group_rows(third)
    markdown, image = platform.robot_messages
    assert markdown.msgtype == "markdown" and markdown.content.startswith("今日汇总（4月20日）")
    assert "市商务局" in markdown.content
    # The contact's copy names units without a liaison; the group's leaves contact-only lines out.
    contact_copy = next(m for m in platform.messages if m.touser == ("tianlin",) and m.msgtype == "text")
    assert "未绑定联络员" in contact_copy.content and "未绑定联络员" not in markdown.content
    assert image.msgtype == "image" and image.image and image.content == hashlib.md5(image.image).hexdigest()
    assert sorted(row.key for row in rows) == [
        f"digest:2026-04-20:group_robot:{robot_id(KEY)}",
        f"digest:2026-04-20:image:group_robot:{robot_id(KEY)}",
    ]
    assert all(row.status == "sent" for row in rows)
    assert KEY not in str([(row.key, row.recipient, row.extra) for row in rows])  # the key is a secret


async def test_21_messages_in_a_minute_the_21st_waits_none_lost(tmp_path: Path) -> None:
    async with Harness(robot_settings(tmp_path)) as bot:
        now = bot.clock.now()

        def queue(session) -> None:
            for n in range(21):
                put(
                    session,
                    key=f"test:{n}:group_robot",
                    kind="digest",
                    channel=GROUP_ROBOT,
                    recipient=robot_id(KEY),
                    text=f"第{n}条",
                    now=now,
                )

        bot.runtime.db.call(queue)
        sender = make_sender(bot.runtime, bot.background)
        assert await sender.drain_due() == 20
        assert len(bot.platform.robot_messages) == 20
        waiting = [row for row in group_rows(bot) if row.status == "pending"]
        assert len(waiting) == 1 and waiting[0].attempts == 0 and waiting[0].next_attempt_at > now
        bot.clock.advance(timedelta(seconds=61))
        assert await sender.drain_due() == 1
        assert sorted(m.content for m in bot.platform.robot_messages) == sorted(f"第{n}条" for n in range(21))
        assert all(row.status == "sent" for row in group_rows(bot))


async def test_the_robots_45009_is_retried_not_failed(tmp_path: Path) -> None:
    async with Harness(robot_settings(tmp_path)) as bot:
        # Someone else's script used the robot's minute: the platform refuses, the row waits.
        outside = GroupRobotClient(bot.background.http, bot.settings.group_robot.api_base, KEY, RetryPolicy())
        for n in range(20):
            await outside.send_markdown(f"别处的消息{n}")
        with pytest.raises(WeChatAPIError) as refused:
            await outside.send_markdown("第21条")
        assert refused.value.errcode == 45009
        bot.runtime.db.call(
            lambda s: put(
                s,
                key="k",
                kind="digest",
                channel=GROUP_ROBOT,
                recipient=robot_id(KEY),
                text="汇总",
                now=bot.clock.now(),
            )
        )
        sender = make_sender(bot.runtime, bot.background)
        await sender.drain_due()
        (row,) = group_rows(bot)
        assert (row.status, row.errcode) == ("pending", 45009)
        bot.clock.advance(timedelta(minutes=2))
        await sender.drain_due()
        (row,) = group_rows(bot)
        assert row.status == "sent" and bot.platform.robot_messages[-1].content == "汇总"


async def test_rows_for_a_replaced_key_fail_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    async with Harness(robot_settings(tmp_path)) as bot:
        bot.platform.robot_keys.add("00000000-0000-0000-0000-000000000000")  # not ours
        old = robot_id("11111111-1111-1111-1111-111111111111")
        bot.runtime.db.call(
            lambda s: put(
                s, key="old", kind="digest", channel=GROUP_ROBOT, recipient=old, text="旧", now=bot.clock.now()
            )
        )
        bot.runtime.db.call(
            lambda s: put(
                s,
                key="new",
                kind="digest",
                channel=GROUP_ROBOT,
                recipient=robot_id(KEY),
                text="新",
                now=bot.clock.now(),
            )
        )
        await make_sender(bot.runtime, bot.background).drain_due()
        by_key = {row.key: row for row in group_rows(bot)}
        assert by_key["old"].status == "failed" and "key changed" in (by_key["old"].error or "")
        assert (by_key["new"].status, by_key["new"].errcode) == ("failed", 93000)
        assert bot.platform.robot_messages == []


def test_plan_marks_the_pushes_that_also_go_to_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    monkeypatch.setenv("WEEKBOT_GROUP_ROBOT_KEY", KEY)
    assert main(["plan", "--config", str(EXAMPLE)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    marked = {line["kind"] for line in lines if line.get("group_robot")}
    assert marked == {"digest", "final_rollup"}
    monkeypatch.delenv("WEEKBOT_GROUP_ROBOT_KEY")
    assert main(["plan", "--config", str(EXAMPLE)]) == 0
    assert "group_robot" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "advice"),
    [
        (KEY, None),
        (f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}", "key= 后面的那一段"),
        ("693a91f6", "不像群机器人的 key"),
    ],
)
def test_check_reports_a_key_that_looks_wrong(tmp_path: Path, key: str, advice: str | None) -> None:
    problems = [
        p for p in go_live_problems(make_settings(tmp_path, WEEKBOT_GROUP_ROBOT_KEY=key)) if "group_robot" in str(p)
    ]
    assert [advice in str(p) for p in problems] == ([] if advice is None else [True])
