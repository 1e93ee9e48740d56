"""The photo ZIP (宣传周图片.zip): every usable photo as ``单位/日期_类型_序号.jpg``.

It holds the web copies, not the originals, on purpose:
- the name promises a JPEG, and only the web copy always is one (originals may be PNG or WebP);
- web copies carry no EXIF, so the GPS position and phone details in a liaison's original do not
  travel on by mail to the provincial office;
- at 1000 px on the long edge they are about a tenth of a phone photo, so the pack of a whole
  week fits in a mailbox, and they still fill a slide or print 15 cm wide in a Word report.
The originals stay in the photo store and the desk shows them full size for anyone who needs one.

Photos are stored uncompressed (JPEG does not shrink further) and copied into the archive file
by file in chunks, so memory stays flat however many photos there are.
"""

from __future__ import annotations

import logging
import zipfile
from collections import Counter
from pathlib import Path

from storage.export_queries import ExportData, PhotoRow
from storage.photo_store import PhotoStore
from storage.wording import TYPE_LABELS

log = logging.getLogger(__name__)

UNATTACHED = "未关联"


def write_photo_zip(data: ExportData, store: PhotoStore, out: Path) -> None:
    numbered: Counter[str] = Counter()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for photo in data.photos:
            source = web_copy(store, photo, "the ZIP")
            if source is not None:
                archive.write(source, member_name(photo, numbered))


def web_copy(store: PhotoStore, photo: PhotoRow, leaving_out_of: str) -> Path | None:
    """The photo's web copy, or None (logged) when its file is gone: one lost file must not cost
    the contact person the whole export, as with the digest's collage."""
    try:
        path = store.path(photo.web_path)
    except ValueError as exc:
        log.warning("photo %s left out of %s: %s", photo.photo_id, leaving_out_of, exc)
        return None
    if not path.is_file():
        log.warning("photo %s left out of %s: %s is missing", photo.photo_id, leaving_out_of, path)
        return None
    return path


def member_name(photo: PhotoRow, numbered: Counter[str]) -> str:
    """``单位/日期_类型_序号.jpg``, numbered from 01 within unit, day and type (``numbered`` counts)."""
    label = TYPE_LABELS.get(photo.type, photo.type) if photo.type else UNATTACHED
    stem = f"{_safe(photo.unit)}/{photo.day.isoformat()}_{_safe(label)}"
    numbered[stem] += 1
    return f"{stem}_{numbered[stem]:02d}.jpg"


def _safe(part: str) -> str:
    """A unit name or label as one path segment (a slash would open a folder)."""
    return part.replace("/", "／").replace("\\", "＼").strip(". ") or "_"
