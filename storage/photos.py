"""The Photo table: one row per photo a liaison sent, with where its files are and what became of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from storage.models import local_datetime_column

_TWO_TO_63 = 1 << 63
_TWO_TO_64 = 1 << 64


class UnsignedInt64(TypeDecorator[int]):
    """Unsigned 64-bit int in Python, stored in a signed BIGINT (SQLite and PostgreSQL alike).

    Values >= 2**63 are stored as value - 2**64 (the same 64 bits read as two's complement),
    so a perceptual hash keeps every bit and equality lookups still work in SQL. Chosen over a
    hex string because the column stays 8 bytes and Python code sees a plain int.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Any) -> int | None:
        return None if value is None else unsigned_to_signed64(value)

    def process_result_value(self, value: int | None, dialect: Any) -> int | None:
        return None if value is None else signed_to_unsigned64(value)


def unsigned_to_signed64(value: int) -> int:
    if not 0 <= value < _TWO_TO_64:
        raise ValueError(f"not an unsigned 64-bit value: {value}")
    return value - _TWO_TO_64 if value >= _TWO_TO_63 else value


def signed_to_unsigned64(value: int) -> int:
    if not -_TWO_TO_63 <= value < _TWO_TO_63:
        raise ValueError(f"not a signed 64-bit value: {value}")
    return value + _TWO_TO_64 if value < 0 else value


class PhotoStatus(StrEnum):
    PENDING = "pending"  # received, not yet downloaded and processed
    READY = "ready"  # files stored, usable in reports
    REJECTED = "rejected"  # not an image, too large, ...: note says why
    DUPLICATE = "duplicate"  # same photo as an earlier row (sha256 or phash)


class Photo(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    liaison_id: int | None = Field(default=None, foreign_key="liaison.id")
    message_id: int | None = Field(default=None, foreign_key="inboundmessage.id")
    activity_id: int | None = Field(default=None, foreign_key="activity.id", index=True)
    sha256: str = Field(default="", index=True)  # of the original bytes; "" while pending
    # dHash from storage.imaging; compare with imaging.hamming / SAME_PHOTO_DISTANCE.
    phash: int = Field(default=0, sa_column=Column(UnsignedInt64(), nullable=False, default=0))
    width: int = 0  # of the original as displayed (EXIF orientation applied)
    height: int = 0
    taken_at: datetime | None = local_datetime_column(nullable=True)  # from EXIF, if the camera wrote it
    # taken_at falls outside the campaign week: shown to the admin, not refused.
    outside_campaign: bool = False
    # Relative paths inside the PhotoStore root; "" until the files are stored.
    original_path: str = ""
    web_path: str = ""
    thumb_path: str = ""
    status: str = Field(default=PhotoStatus.PENDING, index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = local_datetime_column(nullable=False)
