"""The day's photo collage in the digest, and text clipping."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from bot.runtime import open_database
from scheduler.clock import TZ
from scheduler.digest import MAX_TILES, TILE, DigestWriter, collage
from storage.models import Activity, Unit
from storage.photo_store import PhotoStore
from storage.photos import Photo, PhotoStatus
from storage.wording import clip
from tests.harness import make_settings

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

DAY = date(2026, 4, 21)
NOON = datetime(2026, 4, 21, 12, 5, tzinfo=TZ)


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def add_photo(
    session: Session, root: Path, unit_id: int, name: str, colour: tuple[int, int, int], **fields: object
) -> None:
    (root / name).write_bytes(jpeg(colour))
    status = fields.pop("status", PhotoStatus.READY)
    session.add(Photo(unit_id=unit_id, thumb_path=name, web_path=name, status=status, created_at=NOON, **fields))


def test_collage_takes_units_in_turn_and_skips_what_it_cannot_use(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = open_database(settings)
    root = tmp_path / "photos"
    root.mkdir()

    def write(session: Session) -> None:
        busy, quiet = session.exec(select(Unit.id).where(Unit.kind == "member").limit(2)).all()
        assert busy is not None and quiet is not None
        activity = Activity(unit_id=quiet, date=DAY, type="publicity", created_at=NOON, updated_at=NOON)
        session.add(activity)
        session.flush()
        for n in range(MAX_TILES + 3):
            add_photo(session, root, busy, f"busy{n}.jpg", (200, 0, 0))
        add_photo(session, root, quiet, "quiet.jpg", (0, 0, 200), activity_id=activity.id)
        add_photo(session, root, quiet, "rejected.jpg", (0, 200, 0), status=PhotoStatus.REJECTED)
        session.add(Photo(unit_id=quiet, thumb_path="gone.jpg", status=PhotoStatus.READY, created_at=NOON))

    db.call(write)
    writer = DigestWriter(settings, PhotoStore(root))
    with db.session() as session:
        image = writer.collage_for(session, DAY, DAY)
        assert writer.collage_for(session, date(2026, 4, 22), date(2026, 4, 22)) is None
    db.close()
    assert image is not None
    sheet = Image.open(BytesIO(image))
    assert sheet.format == "JPEG" and sheet.width == 4 * (TILE + 4) + 4 and sheet.height == 3 * (TILE + 4) + 4
    # The quiet unit's one photo is the second tile, not crowded out by the busy unit's fifteen.
    pixel = sheet.convert("RGB").getpixel((4 + TILE + 4 + TILE // 2, 4 + TILE // 2))
    assert pixel[2] > 150 and pixel[0] < 60


def test_collage_without_usable_images_is_none() -> None:
    assert collage([]) is None
    assert collage([b"not an image"]) is None


def test_clip_cuts_whole_lines_and_says_so() -> None:
    text = "\n".join(f"第{n}行：" + "字" * 30 for n in range(100))
    clipped = clip(text)
    assert len(clipped.encode()) <= 2000 and clipped.endswith("（内容较长，已截断）")
    assert all(line.endswith("字") for line in clipped.splitlines()[:-1])
    assert clip("短") == "短"
