from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_config(EXAMPLE, env={})
