"""`weekbot demo`: the whole campaign on a virtual clock (bot.demo.campaign); `--quick`: one
scripted morning (bot.demo.quick)."""

from __future__ import annotations

from bot.config import Settings
from bot.demo.common import demo_photo

__all__ = ["demo_photo", "run_demo"]


async def run_demo(settings: Settings, *, quick: bool = False) -> int:
    # Imported when run: the campaign loads matplotlib (bot.exports.chart), which
    # `from bot.demo import demo_photo` (tests, bench) and the quick demo do without.
    if quick:
        from bot.demo.quick import run_quick

        return await run_quick(settings)
    from bot.demo.campaign import run_campaign_demo

    return await run_campaign_demo(settings)
