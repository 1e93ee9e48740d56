"""`weekbot check --online`: call the configured APIs with the bot's own client and report.

WeCom: the token (CorpID + Secret), the app (AgentId) and its visible range — every configured
userid must be inside it or pushes to that unit fail —, and the callback IP list. The Official
Account: its token (AppID + AppSecret, IP白名单). The calls go wherever ``settings`` point: with the
sandbox on, the command line first starts a sandbox platform and points them at it (bot.cli).

Tokens are fetched fresh into a throwaway cache: the point is to prove the credentials, not to
reuse the running service's token.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import aiohttp

from bot.config import Settings
from bot.preflight.advice import api_problem
from bot.preflight.problem import Problem
from bot.wechat_api import OfficialAccountClient, RetryPolicy, WeChatAPIError, WeComClient
from bot.wechat_api.tokens import throwaway_token_cache
from scheduler.delivery import NO_SUCH_USER, OUTSIDE_VISIBLE_RANGE
from storage.models import ChannelKind

# A check should answer within seconds: two tries, short waits.
CHECK_POLICY = RetryPolicy(max_attempts=2, base_delay=0.5, timeout=10)


@dataclass
class OnlineReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the APIs said, for the operator to read


async def online_report(settings: Settings, policy: RetryPolicy = CHECK_POLICY) -> OnlineReport:
    report = OnlineReport()
    async with AsyncExitStack() as stack:
        tokens = throwaway_token_cache(stack, "check")
        http = await stack.enter_async_context(aiohttp.ClientSession())
        if settings.channels.wecom.enabled:
            await _check_wecom(WeComClient(http, settings.channels.wecom, tokens, policy), settings, report)
        if settings.group_robot.enabled:
            # Its only endpoint posts into the group chat: nothing is sent to prove the key.
            report.notes.append("群机器人：为免在群里发消息，不做在线检查；key 的格式已离线检查")
        if settings.channels.mp.enabled:
            await _check_mp(OfficialAccountClient(http, settings.channels.mp, tokens, policy), settings, report)
    return report


async def _check_wecom(client: WeComClient, settings: Settings, report: OnlineReport) -> None:
    cfg = settings.channels.wecom
    try:
        agent = await client.get_agent()  # fetches the token first: CorpID and Secret
    except WeChatAPIError as exc:
        report.problems.append(api_problem(ChannelKind.WECOM, exc, cfg.api_base))
        return
    report.notes.append(
        f"企业微信应用「{agent.name}」（AgentId {cfg.agent_id}）可见范围："
        f"成员 {_listed(agent.user_ids)}；部门 {_listed(agent.party_ids)}；标签 {_listed(agent.tag_ids)}"
    )
    if agent.closed:
        report.problems.append(Problem("channels.wecom.agent_id", "应用已停用：在「应用管理 → 本应用」启用"))
    outside = 0
    for key, owner, userid in _configured_userids(settings):
        if userid in agent.user_ids:
            continue
        errcode = OUTSIDE_VISIBLE_RANGE
        if agent.party_ids or agent.tag_ids:
            # Inside a visible department or tag? Only user/get can tell.
            try:
                await client.get_user(userid)
                continue
            except WeChatAPIError as exc:
                if exc.errcode not in (OUTSIDE_VISIBLE_RANGE, NO_SUCH_USER):
                    report.problems.append(api_problem(ChannelKind.WECOM, exc, cfg.api_base))
                    return
                errcode = exc.errcode
        outside += 1
        if errcode == NO_SUCH_USER:
            why = "企业通讯录里没有这个账号：在「通讯录」核对成员的账号（UserID）"
        else:
            why = (
                f"不在应用「{agent.name}」的可见范围内，收不到推送："
                "在「应用管理 → 本应用 → 可见范围」加入该成员或其部门"
            )
        report.problems.append(Problem(key, f"{owner}的企业微信账号 {userid} {why}"))
    if not outside:
        report.notes.append("配置里的企业微信账号都在应用的可见范围内")
    try:
        ips = await client.callback_ips()
    except WeChatAPIError as exc:
        report.problems.append(api_problem(ChannelKind.WECOM, exc, cfg.api_base))
        return
    report.notes.append(f"企业微信回调来源 IP（防火墙放行）：{_listed(ips)}")


async def _check_mp(client: OfficialAccountClient, settings: Settings, report: OnlineReport) -> None:
    try:
        ips = await client.callback_ips()  # fetches the token first: AppID, AppSecret, IP白名单
    except WeChatAPIError as exc:
        report.problems.append(api_problem(ChannelKind.MP, exc, settings.channels.mp.api_base))
        return
    report.notes.append(f"公众号令牌获取正常；微信回调来源 IP（防火墙放行）：{_listed(ips)}")


def _configured_userids(settings: Settings) -> list[tuple[str, str, str]]:
    """(config key, whose, userid) for every WeCom userid the config names, each once."""
    named = [("contact.wecom_userids", f"联系人{settings.contact.name}", u) for u in settings.contact.wecom_userids]
    named += [("units", unit.name, u) for unit in settings.units for u in unit.wecom_userids]
    first: dict[str, tuple[str, str, str]] = {}
    for entry in named:
        first.setdefault(entry[2], entry)
    return list(first.values())


def _listed(items: tuple[object, ...] | list[str]) -> str:
    return "、".join(str(item) for item in items) if items else "无"
