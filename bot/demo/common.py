"""What both demos share: a fresh data directory, made-up event photos, the sandbox and the bot
on loopback ports, and Chinese-aware text tables."""

from __future__ import annotations

import os
import random
import shlex
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import aiohttp
from PIL import ExifTags, Image, ImageDraw

from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox.callbacks import WeComUser
from bot.sandbox.platform import make_platform_app, sandboxed
from bot.sandbox.state import PlatformState
from bot.server.datalock import hold_data_dir
from bot.server.serve import web_app
from bot.web.connections import start_site
from bot.workers.background import Background, open_background
from handlers.binding import code_table
from scheduler.clock import Clock
from storage.models import Role


def demo_settings(settings: Settings) -> tuple[Settings, str]:
    """Keep an explicit data dir / database; otherwise make a fresh directory."""
    if os.environ.get("WEEKBOT_DATA_DIR") or os.environ.get("WEEKBOT_DATABASE_URL"):
        return settings, settings.database_url
    fresh = Path(tempfile.mkdtemp(prefix="weekbot-demo-"))
    storage = settings.storage.model_copy(update={"data_dir": fresh})
    settings = settings.model_copy(update={"storage": storage})
    return settings, settings.database_url


def weekbot_command() -> str:
    """How to call this weekbot from where the demo was started: the venv's script, relative to
    the current directory when it is inside it (`.venv/bin/weekbot` in a checkout), else absolute,
    so the printed commands work without activating the venv."""
    script = Path(sys.executable).parent / "weekbot"
    if not script.exists():
        return "weekbot"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def export_hint(data_dir: Path) -> str:
    """The command to export from the demo's data (e.g. one unit's ledger), runnable as printed."""
    out = shlex.quote(str(data_dir / "市商务局台账.xlsx"))
    return (
        f"导出：WEEKBOT_DATA_DIR={shlex.quote(str(data_dir))} {weekbot_command()} export --format xlsx"
        f" --unit 市商务局 --out {out}（Word 初稿 --format docx，图片 --format zip）"
    )


@dataclass
class Sandbox:
    """The sandbox WeCom platform and the real bot app, both serving HTTP on loopback."""

    settings: Settings
    platform: PlatformState
    platform_url: str
    runtime: Runtime
    background: Background
    bot_url: str
    http: aiohttp.ClientSession

    def user(self, user_id: str) -> WeComUser:
        return WeComUser(self.http, f"{self.bot_url}/wechat/work", self.settings.channels.wecom, user_id)

    def invite_codes(self) -> dict[str, str]:
        """Each unit's liaison invite code, by unit name."""
        table = code_table(self.runtime.deps).items()
        return {grant.unit_name: code for code, grant in table if grant.role == Role.LIAISON}

    def add_photo(self, data: bytes) -> dict[str, str]:
        """Put a photo on the platform; the image message's fields that point at it."""
        media_id = self.platform.add_media(data, "image/jpeg", None)
        return {"PicUrl": f"{self.platform_url}/_sandbox/media/{media_id}", "MediaId": media_id}


async def open_sandbox(settings: Settings, clock: Clock, stack: AsyncExitStack) -> Sandbox:
    """Start the platform and the bot (background workers not running: the demo drives them)."""
    stack.enter_context(hold_data_dir(settings.data_dir, "demo"))  # never beside a serve on the same data
    # The platform keeps the bot's time, so token expiry and WeCom's duplicate check agree with it.
    platform = PlatformState(settings.channels.wecom, settings.channels.mp, clock=clock)
    platform_url = await start_site(make_platform_app(platform), "127.0.0.1", 0, stack)
    settings = sandboxed(settings, platform_url)
    runtime = Runtime.create(settings, clock)
    stack.callback(runtime.close)
    background = await open_background(runtime, run=False)
    stack.push_async_callback(background.close)
    bot_url = await start_site(web_app(runtime), "127.0.0.1", 0, stack)
    http = await stack.enter_async_context(aiohttp.ClientSession())
    return Sandbox(settings, platform, platform_url, runtime, background, bot_url, http)


def demo_photo(seed: int, taken: datetime, size: tuple[int, int] = (1024, 768)) -> bytes:
    """A made-up event photo: coloured blocks and figures on a random backdrop, with EXIF capture time.

    Each seed gives a clearly different picture (so the duplicate check tells them apart) and
    the same seed gives the same bytes (so sending it again is a duplicate).
    """
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, tuple(rng.randrange(40, 220) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(width // 12, width // 2), rng.randrange(height // 12, height // 2)
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.4 else draw.rectangle)((x, y, x + w, y + h), fill=fill)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "WeekbotDemo"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    out = BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def text_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """Columns padded by display width (a Chinese character takes two cells)."""
    table = [list(header), *map(list, body)]
    widths = [max(display_width(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))
