"""`weekbot check [--online]` and the safe start of `weekbot serve`.

The key paths run the real CLI as a subprocess; the online checks run against the sandbox platform
on loopback (in this process), switched to answer as a misconfigured WeCom / Official Account would.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.config import Settings, load_config
from bot.preflight import go_live_problems, startup_problems
from bot.preflight.offline import DEMO_INVITE_SECRET, SANDBOX_CREDENTIALS
from bot.preflight.online import online_report
from bot.sandbox.platform import make_platform_app
from bot.sandbox.state import PlatformState
from bot.wechat_api import RetryPolicy
from tests.conftest import EXAMPLE, ROOT
from tests.golive import PRODUCTION_ENV, clean_environ

WEEKBOT = [sys.executable, "-m", "bot.cli"]
FAST = RetryPolicy(max_attempts=1, timeout=5)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WEEKBOT, *args, "--config", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=clean_environ(**env),
        cwd=ROOT,
        timeout=60,
    )


def production(tmp_path: Path, **env: str) -> Settings:
    return load_config(EXAMPLE, env={**PRODUCTION_ENV, "WEEKBOT_DATA_DIR": str(tmp_path / "data"), **env})


def keys(settings: Settings) -> list[str]:
    return [problem.key for problem in go_live_problems(settings)]


# ---- the acceptance, through the CLI ----


def test_check_names_the_demo_secrets_and_public_url_with_the_sandbox_off(tmp_path: Path) -> None:
    done = run_cli("check", env={"WEEKBOT_SANDBOX": "false", "WEEKBOT_DATA_DIR": str(tmp_path)})
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for named in ("binding.invite_secret", "dashboard.session_secret", "server.public_url", "channels.wecom.secret"):
        assert any(line.startswith(named) for line in lines), (named, done.stdout)
    assert "sandbox.enabled" not in done.stdout


def test_check_passes_on_production_values_in_the_environment(tmp_path: Path) -> None:
    done = run_cli("check", env={**PRODUCTION_ENV, "WEEKBOT_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "离线检查通过" in done.stdout


def test_check_on_the_example_config_says_the_sandbox_is_on(tmp_path: Path) -> None:
    done = run_cli("check", env={"WEEKBOT_DATA_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert done.stdout.startswith("sandbox.enabled (or $WEEKBOT_SANDBOX): ")


def test_serve_refuses_to_start_on_the_demo_secrets(tmp_path: Path) -> None:
    done = run_cli("serve", "--port", "0", env={"WEEKBOT_SANDBOX": "false", "WEEKBOT_DATA_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "serving on" not in done.stdout
    assert "拒绝启动" in done.stderr
    for named in ("binding.invite_secret", "dashboard.session_secret", "server.public_url"):
        assert f"\n{named} (or $WEEKBOT_" in done.stderr, done.stderr
    assert not (tmp_path / "weekbot.db").exists()  # refused before touching the database


def test_check_reports_a_mail_setup_that_sends_the_password_in_clear(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'host = "127.0.0.1"\nport = 1025', 'host = "smtp.163.com"\nport = 25'
    )
    config.write_text(text.replace('username = ""', 'username = "cyzscq2019@163.com"'), encoding="utf-8")
    done = subprocess.run(
        [*WEEKBOT, "check", "--config", str(config)],
        capture_output=True,
        text=True,
        env=clean_environ(**PRODUCTION_ENV, WEEKBOT_DATA_DIR=str(tmp_path)),
        timeout=60,
    )
    assert done.returncode != 0
    assert "mail" in done.stderr and "clear text" in done.stderr


# ---- the sandbox is on only when asked for ----


def test_a_config_without_a_sandbox_section_is_production(tmp_path: Path) -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert raw["sandbox"]["enabled"] is True  # make demo keeps working
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("[sandbox]")
    config = tmp_path / "config.toml"
    config.write_text(text[:start] + text[text.index("[binding]") :], encoding="utf-8")
    settings = load_config(config, env={"WEEKBOT_DATA_DIR": str(tmp_path)})
    assert not settings.sandbox.enabled
    assert "binding.invite_secret" in [p.key for p in startup_problems(settings)]
    assert load_config(config, env={"WEEKBOT_SANDBOX": "true"}).sandbox.enabled


def test_serve_with_the_sandbox_on_is_not_held_back_by_the_demo_secrets(settings: Settings) -> None:
    assert settings.sandbox.enabled and startup_problems(settings) == []


# ---- each offline check ----


def test_the_demo_values_the_check_knows_are_those_of_the_example_config() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert raw["binding"]["invite_secret"] == DEMO_INVITE_SECRET
    for dotted, value in SANDBOX_CREDENTIALS.items():
        node = raw
        for part in dotted.split("."):
            node = node[part]
        assert node == value, dotted


def test_production_settings_have_no_problem(tmp_path: Path) -> None:
    assert keys(production(tmp_path)) == []


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"WEEKBOT_INVITE_SECRET": "short-secret"}, "binding.invite_secret"),
        ({"WEEKBOT_DASHBOARD_SECRET": "sandbox-secret-but-longer"}, None),
        ({"WEEKBOT_PUBLIC_URL": "http://weekbot.chaoyang.example.cn"}, "server.public_url"),
        ({"WEEKBOT_PUBLIC_URL": "https://localhost:8443"}, "server.public_url"),
        ({"WEEKBOT_PUBLIC_URL": "https://0.0.0.0"}, "server.public_url"),
        ({"WEEKBOT_MP_SECRET": "sandbox-secret"}, "channels.mp.secret"),
        ({"WEEKBOT_WECOM_AES_KEY": "n3W8kLq0ZpX2vB7cR5tY9uJ4hG6fD1sA3eM8oK2iQ+w"}, "channels.wecom.aes_key"),
        ({"WEEKBOT_MP_AES_KEY": "n3W8kLq0ZpX2vB7cR5tY9uJ4hG6fD1sA3eM8oK2i/7w"}, "channels.mp.aes_key"),
        ({"WEEKBOT_WECOM_API_BASE": "http://qyapi.weixin.qq.com"}, "channels.wecom.api_base"),
        ({"WEEKBOT_WECOM_API_BASE": "http://127.0.0.1:9000"}, None),
        ({"WEEKBOT_WECOM_AGENT_ID": "0"}, "channels.wecom.agent_id"),
    ],
)
def test_one_wrong_value_gives_one_problem_on_its_key(tmp_path: Path, env: dict[str, str], key: str | None) -> None:
    assert keys(production(tmp_path, **env)) == ([key] if key else [])


def test_the_session_secret_may_not_be_a_published_value_nor_empty(tmp_path: Path) -> None:
    settings = production(tmp_path)
    for secret in ("sandbox-secret", ""):
        dashboard = settings.dashboard.model_copy(update={"session_secret": secret})
        assert keys(settings.model_copy(update={"dashboard": dashboard})) == ["dashboard.session_secret"]


def test_missing_credentials_of_an_enabled_channel_only(tmp_path: Path) -> None:
    settings = production(tmp_path)
    channels = settings.channels
    wecom = channels.wecom.model_copy(update={"secret": "", "token": " "})
    mp = channels.mp.model_copy(update={"enabled": False, "app_id": "", "secret": "sandbox-secret"})
    changed = settings.model_copy(update={"channels": channels.model_copy(update={"wecom": wecom, "mp": mp})})
    assert keys(changed) == ["channels.wecom.secret", "channels.wecom.token"]
    both_off = channels.model_copy(update={"wecom": channels.wecom.model_copy(update={"enabled": False}), "mp": mp})
    assert keys(settings.model_copy(update={"channels": both_off})) == ["channels"]


def test_a_year_the_calendar_does_not_know_needs_summary_deadline(tmp_path: Path) -> None:
    settings = production(tmp_path)
    dates = {
        "week_start": settings.campaign.week_start.replace(year=2031),
        "week_end": settings.campaign.week_end.replace(year=2031),
    }
    ceremony = settings.ceremony.model_copy(update={"at": settings.ceremony.at.replace(year=2031)})
    unknown = settings.model_copy(update={"campaign": settings.campaign.model_copy(update=dates), "ceremony": ceremony})
    problems = go_live_problems(unknown)
    assert [p.key for p in problems] == ["campaign.summary_deadline"]
    assert "2031" in problems[0].message
    deadline = settings.campaign.model_copy(update={**dates, "summary_deadline": dates["week_end"].replace(day=29)})
    assert keys(unknown.model_copy(update={"campaign": deadline})) == []


def test_an_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    problems = go_live_problems(production(tmp_path, WEEKBOT_DATA_DIR=str(blocker / "data")))
    assert [p.key for p in problems] == ["storage.data_dir"]
    assert str(problems[0]).startswith("storage.data_dir (or $WEEKBOT_DATA_DIR): ")


# ---- --online, against the sandbox platform ----


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[tuple[PlatformState, str]]:
    """The sandbox platform knowing the production credentials, and its base URL."""
    settings = production(tmp_path)
    state = PlatformState(settings.channels.wecom, settings.channels.mp)
    server = TestServer(make_platform_app(state), host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


def api_env(base: str) -> dict[str, str]:
    return {"WEEKBOT_WECOM_API_BASE": base, "WEEKBOT_MP_API_BASE": base}


async def run_cli_async(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """The CLI as a subprocess without blocking this loop, which serves the platform."""
    process = await asyncio.create_subprocess_exec(
        *WEEKBOT,
        *args,
        "--config",
        str(EXAMPLE),
        env=clean_environ(**env),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, output.decode()


async def test_check_online_passes_against_a_platform_that_knows_the_credentials(
    tmp_path: Path, platform: tuple[PlatformState, str]
) -> None:
    state, base = platform
    env = {**PRODUCTION_ENV, **api_env(base), "WEEKBOT_DATA_DIR": str(tmp_path)}
    code, output = await run_cli_async("check", "--online", env=env)
    assert code == 0, output
    assert "检查通过，可以上线" in output
    assert "企业微信应用「宣传周报送助手」（AgentId 1000017）可见范围：成员 无；部门 1" in output
    assert "配置里的企业微信账号都在应用的可见范围内" in output
    assert {"gettoken", "agent/get", "user/get", "getcallbackip", "token"} <= set(state.calls)


async def test_check_online_says_to_add_the_server_to_the_trusted_ips(
    tmp_path: Path, platform: tuple[PlatformState, str]
) -> None:
    state, base = platform
    state.wecom_ip_trusted = False
    env = {**PRODUCTION_ENV, **api_env(base), "WEEKBOT_DATA_DIR": str(tmp_path)}
    code, output = await run_cli_async("check", "--online", env=env)
    assert code == 1, output
    line = next(line for line in output.splitlines() if "60020" in line)
    assert line.startswith("channels.wecom: agent/get 返回 60020：本机出口 IP 127.0.0.1 不在应用的「企业可信IP」里")
    assert "公众号令牌获取正常" in output  # the Official Account is still checked


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"WEEKBOT_WECOM_CORP_ID": "wwunknown"},
            "channels.wecom.corp_id (or $WEEKBOT_WECOM_CORP_ID): gettoken 返回 40013",
        ),
        (
            {"WEEKBOT_WECOM_SECRET": "wrong-secret"},
            "channels.wecom.secret (or $WEEKBOT_WECOM_SECRET): gettoken 返回 40001",
        ),
        (
            {"WEEKBOT_WECOM_AGENT_ID": "1000018"},
            "channels.wecom.agent_id (or $WEEKBOT_WECOM_AGENT_ID): agent/get 返回 40056",
        ),
        ({"WEEKBOT_MP_APP_ID": "wxunknown"}, "channels.mp.app_id (or $WEEKBOT_MP_APP_ID): token 返回 40013"),
        ({"WEEKBOT_MP_SECRET": "wrong-secret"}, "channels.mp.secret (or $WEEKBOT_MP_SECRET): token 返回 40001"),
    ],
)
async def test_wrong_credentials_name_the_key_to_fix(
    tmp_path: Path, platform: tuple[PlatformState, str], env: dict[str, str], expected: str
) -> None:
    _, base = platform
    report = await online_report(production(tmp_path, **api_env(base), **env), FAST)
    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith(expected)


async def test_the_official_account_ip_whitelist(tmp_path: Path, platform: tuple[PlatformState, str]) -> None:
    state, base = platform
    state.mp_ip_whitelisted = False
    report = await online_report(production(tmp_path, **api_env(base)), FAST)
    assert [p.key for p in report.problems] == ["channels.mp"]
    assert "token 返回 40164：本机出口 IP 127.0.0.1 不在「IP白名单」里" in report.problems[0].message


async def test_configured_userids_outside_the_visible_range(
    tmp_path: Path, platform: tuple[PlatformState, str]
) -> None:
    state, base = platform
    settings = production(tmp_path, **api_env(base))
    units = list(settings.units)
    commerce = next(i for i, unit in enumerate(units) if unit.name == "市商务局")
    units[commerce] = units[commerce].model_copy(update={"wecom_userids": ("wangl", "gone")})
    settings = settings.model_copy(update={"units": tuple(units)})
    # Visible to two named members only, no department: wangl is outside.
    state.visible_party_ids, state.visible_userids = [], {"tianlin", "someone"}
    report = await online_report(settings, FAST)
    assert [str(p) for p in report.problems] == [
        "units: 市商务局的企业微信账号 wangl 不在应用「宣传周报送助手」的可见范围内，收不到推送："
        "在「应用管理 → 本应用 → 可见范围」加入该成员或其部门",
        "units: 市商务局的企业微信账号 gone 不在应用「宣传周报送助手」的可见范围内，收不到推送："
        "在「应用管理 → 本应用 → 可见范围」加入该成员或其部门",
    ]
    assert "成员 someone、tianlin；部门 无" in report.notes[0]
    # Visible to the whole company: only a userid the company does not have is reported.
    state.visible_party_ids, state.invalid_users = [1], {"gone"}
    report = await online_report(settings, FAST)
    assert [str(p) for p in report.problems] == [
        "units: 市商务局的企业微信账号 gone 企业通讯录里没有这个账号：在「通讯录」核对成员的账号（UserID）"
    ]


async def test_an_unreachable_api_names_the_base_url(tmp_path: Path) -> None:
    settings = production(tmp_path)
    server = TestServer(
        make_platform_app(PlatformState(settings.channels.wecom, settings.channels.mp)), host="127.0.0.1"
    )
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    await server.close()  # nothing listens there any more
    report = await online_report(production(tmp_path, **api_env(base)), FAST)
    assert [p.key for p in report.problems] == ["channels.wecom.api_base", "channels.mp.api_base"]
    assert f"连不上 {base}" in report.problems[0].message


async def test_check_online_with_the_sandbox_on_runs_against_its_own_platform(tmp_path: Path) -> None:
    code, output = await run_cli_async("check", "--online", env={"WEEKBOT_DATA_DIR": str(tmp_path)})
    assert code == 1  # the sandbox itself, and the demo secrets, are problems for going live
    assert "沙箱开着：以下接口调用发往本机的模拟平台 http://127.0.0.1:" in output
    assert "公众号令牌获取正常" in output and "60020" not in output
