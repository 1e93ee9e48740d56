"""A production configuration for tests: the example campaign with real-looking secrets in the
WEEKBOT_* variables and the sandbox off, as an operator sets them on a server."""

from __future__ import annotations

import os

PRODUCTION_ENV = {
    "WEEKBOT_SANDBOX": "false",
    "WEEKBOT_INVITE_SECRET": "u7Rk2-invite-secret-only-this-city-knows",
    "WEEKBOT_DASHBOARD_SECRET": "Pq93-desk-session-secret-for-production",
    "WEEKBOT_PUBLIC_URL": "https://weekbot.chaoyang.example.cn",
    "WEEKBOT_WECOM_CORP_ID": "ww7c1e0d5a93b24f68",
    "WEEKBOT_WECOM_AGENT_ID": "1000017",
    "WEEKBOT_WECOM_SECRET": "Xk4bq2Tz8-production-app-secret-vL0",
    "WEEKBOT_WECOM_TOKEN": "Zr8mQ2wKx5",
    "WEEKBOT_WECOM_AES_KEY": "n3W8kLq0ZpX2vB7cR5tY9uJ4hG6fD1sA3eM8oK2iQ7w",
    "WEEKBOT_MP_APP_ID": "wx5d2c9e7a1b3f4086",
    "WEEKBOT_MP_SECRET": "0f9e8d7c6b5a49382716f5e4d3c2b1a0",
    "WEEKBOT_MP_TOKEN": "Mp7Token3x",
    "WEEKBOT_MP_AES_KEY": "H2k9Pq4Lm8Zx3Cv7Bn1Qw6Er5Ty0Ui2Op4As8Df3Gjk",
}


def clean_environ(**env: str) -> dict[str, str]:
    """This process's environment without any WEEKBOT_* variable of the caller's shell, plus ``env``."""
    return {key: value for key, value in os.environ.items() if not key.startswith("WEEKBOT_")} | env
