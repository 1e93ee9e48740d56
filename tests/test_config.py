"""Config loading: validation errors name file, key and problem; environment overrides apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ENV_OVERRIDES, ConfigError, load_config
from storage.engine import make_engine
from tests.conftest import EXAMPLE


def _write(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_example_describes_the_2026_campaign() -> None:
    settings = load_config(EXAMPLE, env={})
    assert len(settings.units) == 26
    kinds = [u.kind.value for u in settings.units]
    assert (kinds.count("chair"), kinds.count("member"), kinds.count("county")) == (1, 18, 7)
    assert settings.ceremony.at.isoformat() == "2026-04-17T09:00:00+08:00"
    assert (settings.campaign.week_start.isoformat(), settings.campaign.week_end.isoformat()) == (
        "2026-04-20",
        "2026-04-26",
    )
    assert settings.contact.name == "田林" and settings.sandbox.enabled


def test_error_names_file_key_and_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "week_start = 2026-04-20", 'week_start = "next monday"')
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert f"{path}: campaign.week_start" in str(err.value) and "date" in str(err.value)


def test_short_aes_key_is_refused_with_its_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(EXAMPLE, env={"WEEKBOT_WECOM_AES_KEY": "tooshort"})
    assert "channels.wecom.aes_key (or $WEEKBOT_WECOM_AES_KEY): String should have at least 43" in str(err.value)


def test_alias_claimed_by_two_units_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, 'aliases = ["教育局", "教育口"]', 'aliases = ["教育局", "教育口", "商务局"]')
    with pytest.raises(ConfigError, match="商务局"):
        load_config(path, env={})


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[campaign\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, env={})


def test_weekbot_config_variable_picks_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "田林"', 'name = "张三"')
    assert load_config(env={"WEEKBOT_CONFIG": str(path)}).contact.name == "张三"


def test_every_documented_variable_overrides(tmp_path: Path) -> None:
    env = {
        "WEEKBOT_DATABASE_URL": "postgresql+psycopg://u:p@localhost/weekbot",
        "WEEKBOT_DATA_DIR": str(tmp_path),
        "WEEKBOT_SANDBOX": "false",
        "WEEKBOT_WECOM_CORP_ID": "wwcorp",
        "WEEKBOT_WECOM_AGENT_ID": "1000009",
        "WEEKBOT_WECOM_SECRET": "s1",
        "WEEKBOT_WECOM_TOKEN": "t1",
        "WEEKBOT_WECOM_AES_KEY": "A" * 43,
        "WEEKBOT_MP_APP_ID": "wxapp",
        "WEEKBOT_MP_SECRET": "s2",
        "WEEKBOT_MP_TOKEN": "t2",
        "WEEKBOT_MP_AES_KEY": "B" * 43,
    }
    assert set(env) <= set(ENV_OVERRIDES)
    s = load_config(EXAMPLE, env=env)
    assert s.database_url == env["WEEKBOT_DATABASE_URL"] and s.data_dir == tmp_path and not s.sandbox.enabled
    wecom, mp = s.channels.wecom, s.channels.mp
    assert (wecom.corp_id, wecom.agent_id, wecom.secret, wecom.token, wecom.aes_key) == (
        "wwcorp",
        1000009,
        "s1",
        "t1",
        "A" * 43,
    )
    assert (mp.app_id, mp.secret, mp.token, mp.aes_key) == ("wxapp", "s2", "t2", "B" * 43)


def test_default_database_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    s = load_config(EXAMPLE, env={"WEEKBOT_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path}/weekbot.db"


def test_postgresql_url_is_accepted() -> None:
    engine = make_engine("postgresql+psycopg://weekbot:secret@127.0.0.1:5432/weekbot")
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
