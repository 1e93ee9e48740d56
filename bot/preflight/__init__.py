"""`weekbot check`: is this configuration ready to go live? `weekbot serve` asks the same questions.

Every problem is one line naming the config key (and the environment variable that overrides it)
and, in Chinese, what to change. ``offline`` needs nothing but the config and the data directory;
``online`` also calls the configured WeCom / Official Account APIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from bot.config import Settings
from bot.preflight.offline import go_live_problems
from bot.preflight.problem import Problem

if TYPE_CHECKING:
    from bot.preflight.online import OnlineReport


def startup_problems(settings: Settings) -> list[Problem]:
    """What stops `weekbot serve`: every go-live problem, unless the sandbox is on (a demo or a test)."""
    return [] if settings.sandbox.enabled else go_live_problems(settings)


def refusal(problems: list[Problem]) -> str:
    lines = "\n".join(str(problem) for problem in problems)
    return f"沙箱未开启，以下配置问题未解决，拒绝启动（改好后可用 `weekbot check` 复查）：\n{lines}"


def run_check(settings: Settings, *, online: OnlineReport | None, out: TextIO) -> int:
    """Print what the check found (with ``online``, what the APIs said too); 0 when ready to go live,
    1 otherwise."""
    problems = go_live_problems(settings)
    if online is not None:
        for note in online.notes:
            print(note, file=out)
        problems += online.problems
    for problem in problems:
        print(problem, file=out)
    if problems:
        print(f"共 {len(problems)} 个问题，尚不能上线。", file=out)
        return 1
    print(
        "检查通过，可以上线。"
        if online is not None
        else "离线检查通过（`weekbot check --online` 还会调用接口核对账号）。",
        file=out,
    )
    return 0


__all__ = ["Problem", "go_live_problems", "refusal", "run_check", "startup_problems"]
