"""The app menu as data: `weekbot menu show`, `menu install` against the sandbox (both channels),
the limits checked at config load, and clicks through the encrypted webhook answering as the typed
commands do."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import ConfigError, load_config
from bot.preflight.menu import install_menu, menu_json
from storage.models import InboundMessage
from tests.conftest import EXAMPLE
from tests.harness import Harness, make_settings

LIAISON = "li-shangwu"


def test_menu_show_prints_the_menu_create_body(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["menu", "show", "--config", str(EXAMPLE)]) == 0
    menu = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in menu["button"]] == ["报送说明", "我的记录", "更多"]
    assert menu["button"][1] == {"type": "click", "name": "我的记录", "key": "MY_RECORDS"}
    more = menu["button"][2]
    assert set(more) == {"name", "sub_button"}
    assert {"type": "click", "name": "网页后台", "key": "DESK"} in more["sub_button"]


def _config_with_menu(tmp_path: Path, buttons: list[dict[str, object]]) -> Path:
    """The example config with its [menu] replaced (written as TOML by hand: no writer in the stdlib)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text[: text.index("[[menu.buttons]]")] + text[text.index("# ---- the campaign's WeCom group chat") :]
    lines = []
    for button in buttons:
        lines.append("[[menu.buttons]]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in button.items()]
    path = tmp_path / "config.toml"
    path.write_text(text + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    tomllib.loads(path.read_text(encoding="utf-8"))
    return path


@pytest.mark.parametrize(
    ("buttons", "message"),
    [
        ([{"name": f"按钮{n}", "key": f"K{n}", "command": "帮助"} for n in range(4)], "at most 3 top-level"),
        ([{"name": "知识产权宣传周", "key": "K", "command": "帮助"}], "longer than 16 bytes"),
        ([{"name": "帮助", "key": "K"}], "needs key and command"),
        (
            [{"name": "帮助", "key": "K", "command": "帮助"}, {"name": "我的", "key": "K", "command": "我的"}],
            "duplicate",
        ),
        ([{"name": "帮助", "key": "bad key", "command": "帮助"}], "menu.buttons.0.key"),
    ],
)
def test_a_menu_outside_wechats_limits_does_not_load(tmp_path: Path, buttons: list, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_config_with_menu(tmp_path, buttons), env={})


def test_sub_button_limits(tmp_path: Path) -> None:
    path = _config_with_menu(tmp_path, [{"name": "更多"}])
    subs = "".join(
        f'\n[[menu.buttons.sub_buttons]]\nname = "第{n}项"\nkey = "S{n}"\ncommand = "帮助"\n' for n in range(6)
    )
    path.write_text(path.read_text(encoding="utf-8") + subs, encoding="utf-8")
    with pytest.raises(ConfigError, match="at most 5 sub_buttons"):
        load_config(path, env={})


def test_menu_install_through_the_cli_against_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["menu", "install", "--config", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "企业微信应用（AgentId 1000002）菜单已更新" in out
    assert "公众号菜单已更新" in out


@pytest.mark.usefixtures("backend")
async def test_menu_install_posts_the_menu_to_both_channels(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        done, problems = await install_menu(bot.settings)
        assert problems == [] and len(done) == 2
        assert bot.platform.menus == {"wecom": menu_json(bot.settings), "mp": menu_json(bot.settings)}
        assert bot.platform.calls_to("menu/create") == 2


@pytest.mark.usefixtures("backend")
async def test_menu_install_explains_a_refusal_in_chinese(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        bot.platform.wecom_ip_trusted = False
        done, problems = await install_menu(bot.settings)
        assert done == ["公众号菜单已更新（约 5 分钟内对关注者生效）"]
        assert "wecom" not in bot.platform.menus
        assert len(problems) == 1 and "menu/create 返回 60020" in str(problems[0])
        assert "企业可信IP" in str(problems[0])


@pytest.mark.usefixtures("backend")
async def test_menu_clicks_answer_as_the_typed_commands(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        await bot.bound(LIAISON, "市商务局")
        await bot.say(LIAISON, "今天上午在新华路商圈开展集中宣传，发放资料200份，咨询40人次")
        bot.clock.advance(timedelta(minutes=1))
        typed = await bot.say(LIAISON, "我的")
        bot.clock.advance(timedelta(minutes=1))
        clicked = await bot.wecom(LIAISON).click("MY_RECORDS", bot.clock.now())
        assert clicked == typed and clicked and "新华路商圈" in clicked

        guide = await bot.wecom(LIAISON).click("REPORT_GUIDE", bot.clock.now())
        assert guide and "报送说明" in guide and "市商务局" not in guide
        # The contact person's items: a liaison is told whom they are for, the contact gets them.
        refused = await bot.wecom(LIAISON).click("CONTACT_PROGRESS", bot.clock.now())
        assert refused == "“今日进度（联系人）”供联系人田林使用。发送“帮助”可查看您能用的指令。"
        await bot.say("tianlin", "帮助")  # first contact binds the configured userid (and asks a name)
        progress_typed = await bot.say("tianlin", "进度")
        bot.clock.advance(timedelta(seconds=2))
        assert await bot.wecom("tianlin").click("CONTACT_PROGRESS", bot.clock.now()) == progress_typed
        stale = await bot.wecom(LIAISON).click("REMOVED_LAST_YEAR", bot.clock.now())
        assert stale and "停用" in stale


@pytest.mark.usefixtures("backend")
async def test_a_retried_click_is_stored_once_and_two_taps_in_one_second_are_two(tmp_path: Path) -> None:
    async with Harness(make_settings(tmp_path)) as bot:
        await bot.bound(LIAISON, "市商务局")
        user, now = bot.wecom(LIAISON), bot.clock.now()
        first = await user.click("HELP", now)
        assert await user.click("HELP", now) == first  # WeChat's retry: the stored reply
        assert await user.click("MY_RECORDS", now) != first  # another button in the same second
        clicks = [row for row in bot.rows(InboundMessage) if row.msg_type == "event"]
        assert len(clicks) == 2 and all(row.handled_at is not None for row in clicks)
