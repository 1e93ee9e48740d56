"""One thing that keeps a configuration from going live."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import key_label


@dataclass(frozen=True)
class Problem:
    key: str  # the dotted config key to change (or the console setting an API failure points at)
    message: str  # what is wrong and what to do, in Chinese

    def __str__(self) -> str:
        return f"{key_label(self.key)}: {self.message}"
