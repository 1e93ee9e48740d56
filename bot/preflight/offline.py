"""The offline go-live checks: each reads the Settings and returns the problems it finds.

They assume production (the sandbox off): with the sandbox on, `weekbot check` says so first and
`weekbot serve` does not run them.
"""

from __future__ import annotations

import ipaddress
import re
import tempfile
from collections.abc import Callable
from urllib.parse import urlsplit

from bot.config import Settings
from bot.preflight.problem import Problem
from scheduler.calendar import CalendarError
from scheduler.plan import PlanError, build_plan
from storage.models import ChannelKind

# The invite secret config.example.toml ships: whoever has the repository can compute every code.
DEMO_INVITE_SECRET = "change-me-demo-only"
# The sandbox credentials config.example.toml ships (tests/test_check.py keeps them in step).
SANDBOX_CREDENTIALS: dict[str, str] = {
    "channels.wecom.corp_id": "wwsandbox0000000001",
    "channels.wecom.secret": "sandbox-secret",
    "channels.wecom.token": "sandboxtoken",
    "channels.wecom.aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "channels.mp.app_id": "wxsandbox00000001",
    "channels.mp.secret": "sandbox-secret",
    "channels.mp.token": "sandboxtoken",
    "channels.mp.aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}
PUBLISHED_SECRETS = frozenset({DEMO_INVITE_SECRET, *SANDBOX_CREDENTIALS.values()})
# Long enough that an invite code (an HMAC of it) cannot be used to guess it offline.
MIN_SECRET_LENGTH = 16
# What the consoles generate with 随机获取: 43 letters and digits (base64 of 32 bytes, '=' dropped).
AES_KEY = re.compile(r"[A-Za-z0-9]{43}")
NEW_SECRET_HINT = "可用 python3 -c 'import secrets; print(secrets.token_urlsafe(32))' 生成"

Check = Callable[[Settings], list[Problem]]


def sandbox_off(settings: Settings) -> list[Problem]:
    if not settings.sandbox.enabled:
        return []
    return [Problem("sandbox.enabled", "沙箱开着：推送都发往本机的模拟平台，真实用户收不到；上线请设为 false")]


def invite_secret(settings: Settings) -> list[Problem]:
    secret = settings.binding.invite_secret
    if secret in PUBLISHED_SECRETS:
        why = "仍是示例值，任何拿到代码的人都能算出各单位和管理员的邀请码"
    elif len(secret) < MIN_SECRET_LENGTH:
        why = f"少于 {MIN_SECRET_LENGTH} 个字符，邀请码可被反推"
    else:
        return []
    return [Problem("binding.invite_secret", f"{why}；请换成随机长字符串（{NEW_SECRET_HINT}）")]


def session_secret(settings: Settings) -> list[Problem]:
    secret = settings.dashboard.session_secret
    if not secret:
        why = "为空：每次重启换一个随机密钥，后台的人都要重新登录"
    elif secret in PUBLISHED_SECRETS:
        why = "仍是公开的示例值，任何人都能伪造后台登录"
    else:
        return []
    return [Problem("dashboard.session_secret", f"{why}；请设为 16 个字符以上的随机字符串（{NEW_SECRET_HINT}）")]


def sandbox_credentials(settings: Settings) -> list[Problem]:
    return [
        Problem(key, "仍是沙箱的示例值；请填企业微信/公众号后台里的真实值")
        for key, demo in SANDBOX_CREDENTIALS.items()
        if _channel_enabled(settings, key) and _value(settings, key) == demo
    ]


def public_url(settings: Settings) -> list[Problem]:
    url = urlsplit(settings.server.public_url)
    problems = []
    if url.scheme != "https":
        problems.append(
            Problem(
                "server.public_url", "不是 https：企业微信里只能打开可信域名下的 https 链接，后台登录链接也不应明文传输"
            )
        )
    if not url.hostname or _is_local(url.hostname):
        problems.append(
            Problem(
                "server.public_url",
                f"指向本机（{url.hostname or '无主机名'}）：手机上打不开后台链接；请填对外的 https 地址，如 https://weekbot.example.gov.cn",
            )
        )
    return problems


def channel_credentials(settings: Settings) -> list[Problem]:
    wecom, mp = settings.channels.wecom, settings.channels.mp
    if not (wecom.enabled or mp.enabled):
        return [Problem("channels", "企业微信和公众号都没有启用，没人能报送")]
    required: dict[str, str] = {}
    if wecom.enabled:
        required |= {
            "channels.wecom.corp_id": wecom.corp_id,
            "channels.wecom.secret": wecom.secret,
            "channels.wecom.token": wecom.token,
        }
    if mp.enabled:
        required |= {"channels.mp.app_id": mp.app_id, "channels.mp.secret": mp.secret, "channels.mp.token": mp.token}
    problems = [Problem(key, "未填写") for key, value in required.items() if not value.strip()]
    if wecom.enabled and wecom.agent_id <= 0:
        problems.append(Problem("channels.wecom.agent_id", "未填写：在「应用管理 → 本应用」页面复制 AgentId"))
    return problems


def aes_keys(settings: Settings) -> list[Problem]:
    keys = {}
    if settings.channels.wecom.enabled:
        keys["channels.wecom.aes_key"] = settings.channels.wecom.aes_key
    if settings.channels.mp.enabled and settings.channels.mp.aes_key:  # empty: the MP's plaintext mode
        keys["channels.mp.aes_key"] = settings.channels.mp.aes_key
    return [
        Problem(key, f"EncodingAESKey 须为 43 个字母或数字（现为 {len(value)} 个字符）；在后台点“随机获取”后原样复制")
        for key, value in keys.items()
        if not AES_KEY.fullmatch(value)
    ]


def api_bases(settings: Settings) -> list[Problem]:
    """The access token and secret travel in the query: never over plain HTTP off this machine."""
    problems = []
    for name, channel in ((ChannelKind.WECOM, settings.channels.wecom), (ChannelKind.MP, settings.channels.mp)):
        url = urlsplit(channel.api_base)
        if channel.enabled and url.scheme != "https" and not (url.scheme == "http" and _is_local(url.hostname or "")):
            problems.append(Problem(f"channels.{name}.api_base", "须为 https（只有本机上的代理可以用 http）"))
    return problems


# A WeCom group robot's key is a UUID: the part after ?key= in its webhook address.
ROBOT_KEY = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def group_robot(settings: Settings) -> list[Problem]:
    """An empty key is off; a set one must look like a robot's key and travel over https."""
    robot = settings.group_robot
    if not robot.enabled:
        return []
    key = robot.key.strip()
    problems = []
    if "key=" in key or key.startswith(("http://", "https://")):
        problems.append(Problem("group_robot.key", "只填 webhook 地址里 key= 后面的那一段，不要整段地址"))
    elif not ROBOT_KEY.fullmatch(key):
        problems.append(
            Problem(
                "group_robot.key",
                "不像群机器人的 key（应形如 693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa 的 36 个字符）："
                "在群聊「··· → 群机器人 → 本机器人」复制 webhook 地址里 key= 后面的部分",
            )
        )
    url = urlsplit(robot.api_base)
    if url.scheme != "https" and not (url.scheme == "http" and _is_local(url.hostname or "")):
        problems.append(Problem("group_robot.api_base", "须为 https（只有本机上的代理可以用 http）"))
    return problems


def campaign_calendar(settings: Settings) -> list[Problem]:
    """The whole push plan, as serve builds it at start: the calendar must know every day it needs."""
    try:
        build_plan(settings)
    except CalendarError as exc:
        return [Problem("campaign.summary_deadline", f"工作日历算不出日期（{exc}）；请在配置里写明总结截止日")]
    except PlanError as exc:
        return [Problem("pushes", f"推送时间排不开：{exc}")]
    return []


def data_dir(settings: Settings) -> list[Problem]:
    """Written the way serve writes it: create the directory, then a file in it."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return [Problem("storage.data_dir", f"{path} 不可写（{exc.strerror or exc}）；请换目录或改权限")]
    return []


CHECKS: tuple[Check, ...] = (
    sandbox_off,
    invite_secret,
    session_secret,
    sandbox_credentials,
    public_url,
    channel_credentials,
    aes_keys,
    api_bases,
    group_robot,
    campaign_calendar,
    data_dir,
)


def go_live_problems(settings: Settings) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(settings)]


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _channel_enabled(settings: Settings, key: str) -> bool:
    channel = key.split(".")[1]
    return bool(getattr(settings.channels, channel).enabled)


def _value(settings: Settings, dotted: str) -> object:
    node: object = settings
    for part in dotted.split("."):
        node = getattr(node, part)
    return node
