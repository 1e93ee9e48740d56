"""The app menu as data: [[menu.buttons]] in config → the JSON of menu/create, and installing it.

WeCom (``/cgi-bin/menu/create?agentid=…``) and the Official Account (``/cgi-bin/menu/create``)
take the same body: ``{"button": [{"type": "click", "name": …, "key": …}, {"name": …,
"sub_button": […]}]}``. Limits are checked when the config loads (bot.config.MenuConfig).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import aiohttp

from bot.config import MenuButtonConfig, Settings
from bot.preflight.advice import api_problem
from bot.preflight.problem import Problem
from bot.wechat_api import OfficialAccountClient, RetryPolicy, WeChatAPIError, WeComClient
from bot.wechat_api.tokens import throwaway_token_cache
from storage.models import ChannelKind

# An operator waits on the command: two tries, short waits.
INSTALL_POLICY = RetryPolicy(max_attempts=2, base_delay=0.5, timeout=10)


def menu_json(settings: Settings) -> dict[str, Any]:
    """The body menu/create takes, on either channel."""
    return {"button": [_button(button) for button in settings.menu.buttons]}


def _button(button: MenuButtonConfig) -> dict[str, Any]:
    if button.sub_buttons:
        return {"name": button.name, "sub_button": [_button(sub) for sub in button.sub_buttons]}
    if button.url:
        return {"type": "view", "name": button.name, "url": button.url}
    return {"type": "click", "name": button.name, "key": button.key}


async def install_menu(settings: Settings, policy: RetryPolicy = INSTALL_POLICY) -> tuple[list[str], list[Problem]]:
    """Post the menu to every enabled channel; (what was done, what failed), in Chinese.

    ``settings`` must already point at the platform to call (bot.server.serve.sandboxed for the sandbox).
    Tokens go into a throwaway cache, as `weekbot check --online` does: this command may run beside
    the service, whose token row it must not disturb.
    """
    body = menu_json(settings)
    done: list[str] = []
    problems: list[Problem] = []
    async with AsyncExitStack() as stack:
        tokens = throwaway_token_cache(stack, "menu")
        http = await stack.enter_async_context(aiohttp.ClientSession())
        wecom, mp = settings.channels.wecom, settings.channels.mp
        if wecom.enabled:
            try:
                await WeComClient(http, wecom, tokens, policy).create_menu(body)
                done.append(f"企业微信应用（AgentId {wecom.agent_id}）菜单已更新（成员重新进入应用后可见）")
            except WeChatAPIError as exc:
                problems.append(api_problem(ChannelKind.WECOM, exc, wecom.api_base))
        if mp.enabled:
            try:
                await OfficialAccountClient(http, mp, tokens, policy).create_menu(body)
                done.append("公众号菜单已更新（约 5 分钟内对关注者生效）")
            except WeChatAPIError as exc:
                problems.append(api_problem(ChannelKind.MP, exc, mp.api_base))
    return done, problems
