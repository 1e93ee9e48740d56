"""Loading and validating config.toml (+ environment overrides) into one Settings object.

Errors name the file, the key and what is wrong, e.g.
``config.toml: campaign.week_start: Input should be a valid date``.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from scheduler.campaign import CampaignConfig, CeremonyConfig, ContactConfig, PushConfig, Strict, UnitConfig, UnitKind
from scheduler.plan import PushKind

DEFAULT_CONFIG = "config.toml"
EXAMPLE_CONFIG = "config.example.toml"


class ConfigError(Exception):
    """A config file or environment variable is missing or wrong."""


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8080"
    # A connection must deliver a request's complete headers within this time of connecting (or of
    # its previous response), and a callback its body within body_timeout_seconds: slow senders
    # cannot hold sockets open. At most max_connections are open at once; more are closed at once.
    header_timeout_seconds: float = Field(default=10, gt=0, le=300)
    body_timeout_seconds: float = Field(default=10, gt=0, le=300)
    max_connections: int = Field(default=256, ge=1)


class StorageConfig(Strict):
    database_url: str = ""
    data_dir: Path = Path("./data")
    # Inbound messages that arrive together are stored and handled in one transaction, synced to
    # disk once before any of them is answered (bot.pipeline.group_commit): at most this many; 1 commits each alone.
    max_batch: int = Field(default=64, ge=1, le=1000)

    def resolved_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'weekbot.db'}"


class SandboxConfig(Strict):
    # Off unless the config or $WEEKBOT_SANDBOX turns it on: a production config that leaves out
    # [sandbox] must never send its pushes to the fake platform.
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8089, ge=0, le=65535)


class BindingConfig(Strict):
    invite_secret: str = Field(min_length=8)


class DialogConfig(Strict):
    photo_window_minutes: int = Field(default=30, ge=1)
    question_timeout_minutes: int = Field(default=60, ge=1)
    max_text_chars: int = Field(default=3000, ge=100)


class WeComConfig(Strict):
    enabled: bool = True
    corp_id: str
    agent_id: int
    secret: str
    token: str
    aes_key: str = Field(min_length=43, max_length=43)
    api_base: str = "https://qyapi.weixin.qq.com"


class OfficialAccountConfig(Strict):
    enabled: bool = True
    app_id: str
    secret: str
    token: str
    aes_key: str = Field(default="", description="43 chars; empty for plaintext-only mode")
    api_base: str = "https://api.weixin.qq.com"
    template_id: str = ""
    # With an aes_key set, plaintext posts (signed over token, timestamp and nonce, not the body)
    # are refused unless this is true, e.g. while the account is switched over in compatible mode.
    allow_plaintext: bool = False
    # A plaintext post is accepted only within this many seconds of its timestamp, and its
    # (timestamp, nonce) pair only once (remembered in the database for this long).
    plaintext_window_seconds: int = Field(default=300, ge=1, le=86400)

    @model_validator(mode="after")
    def _key_length(self) -> OfficialAccountConfig:
        if self.aes_key and len(self.aes_key) != 43:
            raise ValueError("aes_key must be 43 characters (EncodingAESKey) or empty")
        return self


class ChannelsConfig(Strict):
    wecom: WeComConfig
    mp: OfficialAccountConfig


# Where the web app mounts the desk (bot.web.app); login links are <public_url>/dash/login/<token>.
DASHBOARD_PREFIX = "/dash"


class DashboardConfig(Strict):
    """The web desk (后台): one-time login links sent in chat, then a signed session cookie."""

    # Signs session cookies and CSRF tokens. Empty: a random secret per process, so everyone
    # logs in again after a restart.
    session_secret: str = Field(default="", pattern=r"^(|.{16,})$", description="empty or 16+ characters")
    login_link_minutes: int = Field(default=10, ge=1, le=60)
    session_hours: int = Field(default=12, ge=1, le=168)


class MailConfig(Strict):
    """SMTP for mailing the summary pack (`weekbot send-summary`, the desk's button)."""

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    # none: plain SMTP (a relay on loopback); starttls: upgrade after connecting (587);
    # tls: TLS from the first byte (465, e.g. smtp.163.com).
    tls: str = Field(default="starttls", pattern=r"^(none|starttls|tls)$")
    # A CA certificate (PEM) to trust besides the system's, for a relay with a private certificate.
    ca_file: Path | None = None
    username: str = ""
    password: str = Field(default="", description="set $WEEKBOT_MAIL_PASSWORD rather than the file")
    sender: str = ""  # empty: the username, else [contact] email
    recipient: str = ""  # empty: [contact] email
    timeout_seconds: float = Field(default=60, gt=0)
    # Mailboxes refuse big messages (163.com: about 50 MB once encoded); a photo ZIP that would take
    # the attachments past this stays out of the mail, and the mail says where to get it.
    max_attachments_mb: float = Field(default=35, gt=0)

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> MailConfig:
        if self.username and self.tls == "none" and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError('tls = "none" would send the password in clear text; use "starttls" or "tls"')
        return self


class BackupConfig(Strict):
    """The daily backup inside `weekbot serve` (`weekbot backup --out FILE` makes one any time)."""

    enabled: bool = False
    keep_days: int = Field(default=7, ge=1, description="archives of the last N campaign days are kept")
    time: dt.time = dt.time(3, 0)  # campaign time (Asia/Shanghai, the injected clock)
    dir: str = ""  # empty: <data_dir>/backups

    def directory(self, data_dir: Path) -> Path:
        return Path(self.dir) if self.dir else data_dir / "backups"


# The app menu's limits, as WeCom's menu/create and the Official Account's /cgi-bin/menu/create
# state them (the stricter where they differ): 3 top-level buttons of at most 16 bytes, 5 sub-buttons
# each of at most 40 bytes (the Official Account allows 60), a click key of at most 128 bytes.
MENU_MAX_BUTTONS = 3
MENU_MAX_SUB_BUTTONS = 5
MENU_TOP_NAME_BYTES = 16
MENU_SUB_NAME_BYTES = 40
MENU_KEY_BYTES = 128


class MenuButtonConfig(Strict):
    """One menu button: a click that runs ``command`` as if typed, a link (``url``), or a sub-menu."""

    name: str = Field(min_length=1)
    # click: the EventKey WeChat sends back; letters, digits and _ (what both platforms accept).
    key: str = Field(default="", pattern=r"^[A-Za-z0-9_]*$")
    command: str = ""  # the command text the click stands for, e.g. "我的"
    url: str = Field(default="", pattern=r"^(|https?://.+)$")
    # Only the contact person may use it; WeCom menus are per app, so liaisons see it too and are
    # told whom it is for.
    contact_only: bool = False
    sub_buttons: tuple[MenuButtonConfig, ...] = ()

    @model_validator(mode="after")
    def _one_action(self) -> MenuButtonConfig:
        if self.sub_buttons:
            if self.key or self.command or self.url:
                raise ValueError(f"{self.name}: a button with sub_buttons has no key, command or url")
        elif self.url:
            if self.key or self.command:
                raise ValueError(f"{self.name}: a link button (url) has no key or command")
        elif not (self.key and self.command.strip()):
            raise ValueError(f"{self.name}: a click button needs key and command (or url, or sub_buttons)")
        if len(self.key.encode()) > MENU_KEY_BYTES:
            raise ValueError(f"{self.name}: key longer than {MENU_KEY_BYTES} bytes")
        return self


class MenuConfig(Strict):
    """The app menu (`weekbot menu show` / `menu install`); no buttons: no menu."""

    buttons: tuple[MenuButtonConfig, ...] = ()

    @model_validator(mode="after")
    def _within_limits(self) -> MenuConfig:
        if len(self.buttons) > MENU_MAX_BUTTONS:
            raise ValueError(f"at most {MENU_MAX_BUTTONS} top-level buttons")
        keys: list[str] = []
        for top in self.buttons:
            _check_name(top.name, MENU_TOP_NAME_BYTES)
            if len(top.sub_buttons) > MENU_MAX_SUB_BUTTONS:
                raise ValueError(f"{top.name}: at most {MENU_MAX_SUB_BUTTONS} sub_buttons")
            for sub in top.sub_buttons:
                _check_name(sub.name, MENU_SUB_NAME_BYTES)
                if sub.sub_buttons:
                    raise ValueError(f"{sub.name}: menus have two levels; a sub-button has no sub_buttons")
            keys += [button.key for button in (top, *top.sub_buttons) if button.key]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate menu key")
        return self

    def clicks(self) -> dict[str, MenuButtonConfig]:
        """Every click button by its key."""
        return {b.key: b for top in self.buttons for b in (top, *top.sub_buttons) if b.key}


def _check_name(name: str, limit: int) -> None:
    if len(name.encode()) > limit:
        raise ValueError(f"{name}: name longer than {limit} bytes (UTF-8; a Chinese character is 3)")


class GroupRobotConfig(Strict):
    """A WeCom group chat's 群机器人: chosen pushes also go to the campaign's group."""

    # The key=… part of the robot's webhook address; empty: off. A secret: anyone holding it can
    # post into the group, so set $WEEKBOT_GROUP_ROBOT_KEY rather than the file.
    key: str = ""
    kinds: tuple[PushKind, ...] = (PushKind.DIGEST, PushKind.FINAL_ROLLUP)
    api_base: str = "https://qyapi.weixin.qq.com"

    @property
    def enabled(self) -> bool:
        return bool(self.key.strip())


class Settings(Strict):
    campaign: CampaignConfig
    ceremony: CeremonyConfig
    contact: ContactConfig
    units: tuple[UnitConfig, ...]
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    sandbox: SandboxConfig = SandboxConfig()
    binding: BindingConfig
    dialog: DialogConfig = DialogConfig()
    channels: ChannelsConfig
    pushes: PushConfig = PushConfig()
    dashboard: DashboardConfig = DashboardConfig()
    mail: MailConfig = MailConfig()
    backup: BackupConfig = BackupConfig()
    menu: MenuConfig = MenuConfig()
    group_robot: GroupRobotConfig = GroupRobotConfig()

    @model_validator(mode="after")
    def _units_consistent(self) -> Settings:
        names = [u.name for u in self.units]
        if len(set(names)) != len(names):
            raise ValueError("duplicate unit name")
        owner: dict[str, str] = {}
        for unit in self.units:
            for alias in (unit.name, *unit.aliases):
                if owner.setdefault(alias, unit.name) != unit.name:
                    raise ValueError(f"alias {alias!r} belongs to both {owner[alias]} and {unit.name}")
        if sum(u.kind == UnitKind.CHAIR for u in self.units) != 1:
            raise ValueError("exactly one unit must be kind = 'chair'")
        return self

    @property
    def data_dir(self) -> Path:
        return self.storage.data_dir

    @property
    def database_url(self) -> str:
        return self.storage.resolved_url()


# Environment variable -> dotted config key. Kept by hand rather than pydantic-settings: its
# environment source names a nested key by its path (WEEKBOT_CHANNELS__WECOM__CORP_ID) and does not
# read aliases set on nested models (pydantic-settings issue 27), it reads os.environ instead of
# the mapping load_config is given, and its TOML source takes the file from the class, not from the
# path resolved per call. This table also names the variable in every error (key_label) and is
# what deploy/weekbot.env.example must cover.
ENV_OVERRIDES: dict[str, str] = {
    "WEEKBOT_DATABASE_URL": "storage.database_url",
    "WEEKBOT_DATA_DIR": "storage.data_dir",
    "WEEKBOT_SANDBOX": "sandbox.enabled",
    "WEEKBOT_PUBLIC_URL": "server.public_url",
    "WEEKBOT_INVITE_SECRET": "binding.invite_secret",
    "WEEKBOT_WECOM_CORP_ID": "channels.wecom.corp_id",
    "WEEKBOT_WECOM_AGENT_ID": "channels.wecom.agent_id",
    "WEEKBOT_WECOM_SECRET": "channels.wecom.secret",
    "WEEKBOT_WECOM_TOKEN": "channels.wecom.token",
    "WEEKBOT_WECOM_AES_KEY": "channels.wecom.aes_key",
    "WEEKBOT_WECOM_API_BASE": "channels.wecom.api_base",
    "WEEKBOT_MP_APP_ID": "channels.mp.app_id",
    "WEEKBOT_MP_SECRET": "channels.mp.secret",
    "WEEKBOT_MP_TOKEN": "channels.mp.token",
    "WEEKBOT_MP_AES_KEY": "channels.mp.aes_key",
    "WEEKBOT_MP_API_BASE": "channels.mp.api_base",
    "WEEKBOT_DASHBOARD_SECRET": "dashboard.session_secret",
    "WEEKBOT_MAIL_PASSWORD": "mail.password",
    "WEEKBOT_GROUP_ROBOT_KEY": "group_robot.key",
}


def config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """Explicit path, else $WEEKBOT_CONFIG, else ./config.toml, else ./config.example.toml."""
    if explicit:
        return Path(explicit)
    if env.get("WEEKBOT_CONFIG"):
        return Path(env["WEEKBOT_CONFIG"])
    if Path(DEFAULT_CONFIG).exists():
        return Path(DEFAULT_CONFIG)
    return Path(EXAMPLE_CONFIG)


def _set_dotted(tree: dict[str, Any], dotted: str, value: str) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def load_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    source = config_path(path, env)
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found (set WEEKBOT_CONFIG or pass --config)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    for var, dotted in ENV_OVERRIDES.items():
        if env.get(var) not in (None, ""):
            _set_dotted(raw, dotted, env[var])
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(source, exc)) from None


def key_label(key: str) -> str:
    """A dotted config key as operators see it: with the environment variable that overrides it."""
    env_var = next((v for v, k in ENV_OVERRIDES.items() if k == key), None)
    return f"{key} (or ${env_var})" if env_var else key


def _describe(source: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"{source}: {key_label(key)}: {err['msg']}")
    return "\n".join(lines)
