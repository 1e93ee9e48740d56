"""What an API failure during `weekbot check --online` means for the operator, and where to fix it.

Codes from WeCom's global error codes (developer.work.weixin.qq.com/document/path/90313) and the
Official Account's (developers.weixin.qq.com, 全局返回码说明), worded for the admin console.
"""

from __future__ import annotations

import re

from bot.preflight.problem import Problem
from bot.wechat_api import WeChatAPIError
from storage.models import ChannelKind

# WeCom's 60020 message ends "from ip: 1.2.3.4, more info at …"; the MP's 40164 says "invalid ip 1.2.3.4".
_CALLER_IP = re.compile(r"(?:from ip:?|invalid ip)\s*([0-9A-Fa-f.:]+[0-9A-Fa-f])")

_WECOM_SECRET = (
    "channels.wecom.secret",
    "Secret 不对：在「应用管理 → 自建应用 → 本应用」点 Secret 的“查看”（发到管理员的企业微信里）；"
    "要的是这个应用的 Secret，不是通讯录同步的",
)
_WECOM_AGENT = (
    "channels.wecom.agent_id",
    "AgentId 与 Secret 不是同一个应用的：在「应用管理 → 本应用」页面复制 AgentId，Secret 也取这个应用的",
)
WECOM: dict[int, tuple[str, str]] = {
    40013: ("channels.wecom.corp_id", "CorpID 不对：在「我的企业 → 企业信息」页面最下方复制“企业ID”"),
    40001: _WECOM_SECRET,
    40091: _WECOM_SECRET,
    40056: _WECOM_AGENT,
    301002: _WECOM_AGENT,
    60020: (
        "channels.wecom",
        "本机出口 IP{ip} 不在应用的「企业可信IP」里：在「应用管理 → 本应用 → 开发者接口 → 企业可信IP」"
        "加入这台服务器的公网出口 IP（须先在「接收消息」设好并验证通过回调 URL 才能填）",
    ),
    48002: ("channels.wecom", "应用没有调用该接口的权限：确认用的是自建应用，且未被管理员停用接口"),
    -1: ("channels.wecom", "企业微信系统繁忙，稍后再运行一次 `weekbot check --online`"),
}
_MP_SECRET = (
    "channels.mp.secret",
    "AppSecret 不对：在公众号后台「设置与开发 → 基本配置」重置并复制开发者密码(AppSecret)",
)
MP: dict[int, tuple[str, str]] = {
    40013: ("channels.mp.app_id", "AppID 不对：在公众号后台「设置与开发 → 基本配置」复制开发者ID(AppID)"),
    40001: _MP_SECRET,
    40125: _MP_SECRET,
    40164: (
        "channels.mp",
        "本机出口 IP{ip} 不在「IP白名单」里：在公众号后台「设置与开发 → 基本配置 → IP白名单」"
        "加入这台服务器的公网出口 IP",
    ),
    40243: ("channels.mp.secret", "AppSecret 已被冻结：在「设置与开发 → 基本配置」解冻后再试"),
    48001: (
        "channels.mp",
        "公众号没有调用该接口的权限（如未认证的订阅号不能用接口设置菜单）：完成微信认证，"
        "或在公众号后台「内容与互动 → 自定义菜单」手工设置",
    ),
    -1: ("channels.mp", "微信系统繁忙，稍后再运行一次 `weekbot check --online`"),
}
_LOOKUP = {
    ChannelKind.WECOM: "https://open.work.weixin.qq.com/devtool/query?e={code}",
    ChannelKind.MP: "公众号文档「全局返回码说明」",
}


def api_problem(channel: ChannelKind, exc: WeChatAPIError, api_base: str) -> Problem:
    """The problem to report for a failed call on ``channel`` (a ChannelKind)."""
    if exc.errcode is None:
        return Problem(
            f"channels.{channel}.api_base",
            f"连不上 {api_base}（{exc.errmsg}）：检查这台服务器能否访问外网（防火墙、代理）",
        )
    known = (WECOM if channel == ChannelKind.WECOM else MP).get(exc.errcode)
    if known is None:
        where = _LOOKUP[channel].format(code=exc.errcode)
        return Problem(f"channels.{channel}", f"{exc.endpoint} 返回 {exc.errcode}（{exc.errmsg}）：含义见 {where}")
    key, advice = known
    caller = _CALLER_IP.search(exc.errmsg)
    text = advice.format(ip=f" {caller.group(1)}" if caller else "")
    return Problem(key, f"{exc.endpoint} 返回 {exc.errcode}：{text}")
