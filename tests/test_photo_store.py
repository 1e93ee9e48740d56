from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from scheduler.clock import TZ
from storage.engine import make_engine
from storage.imaging import ProcessedPhoto, process_photo
from storage.models import Unit
from storage.photo_store import PhotoStore, StoredPaths
from storage.photos import Photo, PhotoStatus, signed_to_unsigned64, unsigned_to_signed64


def photo_bytes(fmt: str = "JPEG", colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def processed() -> ProcessedPhoto:
    return process_photo(photo_bytes())


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "photos")


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# ---- saving ----


def test_save_writes_three_content_addressed_files(store: PhotoStore, processed: ProcessedPhoto) -> None:
    sha = processed.sha256
    paths = store.save(processed)
    assert paths == StoredPaths(
        original=f"{sha[:2]}/{sha}.orig.jpg",
        web=f"{sha[:2]}/{sha}.web.jpg",
        thumb=f"{sha[:2]}/{sha}.thumb.jpg",
    )
    assert store.open_bytes(paths.original) == processed.original
    assert store.open_bytes(paths.web) == processed.web
    assert store.open_bytes(paths.thumb) == processed.thumb
    assert files_under(store.root) == sorted([paths.original, paths.thumb, paths.web])


def test_original_keeps_its_own_format_extension(store: PhotoStore) -> None:
    paths = store.save(process_photo(photo_bytes("PNG")))
    assert paths.original.endswith(".orig.png")
    assert paths.web.endswith(".web.jpg")


def test_saving_again_is_a_no_op(store: PhotoStore, processed: ProcessedPhoto) -> None:
    first = store.save(processed)
    before = {name: store.path(name).stat().st_mtime_ns for name in files_under(store.root)}
    assert store.save(processed) == first
    after = {name: store.path(name).stat().st_mtime_ns for name in files_under(store.root)}
    assert after == before  # nothing rewritten, no temp files left behind


def test_two_photos_live_side_by_side(store: PhotoStore, processed: ProcessedPhoto) -> None:
    other = process_photo(photo_bytes(colour=(10, 120, 240)))
    store.save(processed)
    store.save(other)
    assert len(files_under(store.root)) == 6


def test_failed_write_leaves_neither_file_nor_temp(
    store: PhotoStore, processed: ProcessedPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: str, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.save(processed)
    assert files_under(store.root) == []
    monkeypatch.undo()
    paths = store.save(processed)  # and a retry succeeds
    assert store.open_bytes(paths.original) == processed.original


def test_save_refuses_a_digest_that_is_not_one(store: PhotoStore, processed: ProcessedPhoto) -> None:
    forged = replace(processed, sha256="../../etc/passwd")
    with pytest.raises(ValueError, match="SHA-256"):
        store.save(forged)


# ---- path safety ----


@pytest.mark.parametrize(
    "relative",
    ["", ".", "..", "../x.jpg", "ab/../../x.jpg", "/etc/passwd", "//etc/passwd", "ab/x\x00.jpg", "ab\\..\\x"],
)
def test_path_refuses_escapes(store: PhotoStore, relative: str) -> None:
    with pytest.raises(ValueError):
        store.path(relative)
    with pytest.raises(ValueError):
        store.open_bytes(relative)


def test_symlink_out_of_root_is_refused_and_inside_root_allowed(store: PhotoStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not a photo")
    (store.root / "ab").mkdir(parents=True)
    (store.root / "ab" / "leak.jpg").symlink_to(secret)
    (store.root / "ab" / "dir").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ValueError):
        store.open_bytes("ab/leak.jpg")
    with pytest.raises(ValueError):
        store.path("ab/dir/secret.txt")
    (store.root / "ab" / "real.jpg").write_bytes(b"inside")
    (store.root / "ab" / "alias.jpg").symlink_to(store.root / "ab" / "real.jpg")
    assert store.open_bytes("ab/alias.jpg") == b"inside"


@given(relative=st.text(alphabet=st.sampled_from(list("ab./\\\x00~")), max_size=12) | st.text(max_size=12))
def test_path_is_inside_root_or_refused(tmp_path_factory: pytest.TempPathFactory, relative: str) -> None:
    store = PhotoStore(tmp_path_factory.getbasetemp() / "property-store")
    try:
        resolved = store.path(relative)
    except ValueError:
        return
    assert resolved.is_relative_to(store.root) and resolved != store.root


def test_root_given_relative_or_via_symlink_still_works(tmp_path: Path, processed: ProcessedPhoto) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    store = PhotoStore(tmp_path / "link")
    paths = store.save(processed)
    assert (tmp_path / "real" / paths.web).read_bytes() == processed.web


# ---- the Photo table ----


@given(value=st.integers(0, 2**64 - 1))
def test_phash_bits_survive_the_signed_column(value: int) -> None:
    stored = unsigned_to_signed64(value)
    assert -(2**63) <= stored < 2**63
    assert signed_to_unsigned64(stored) == value


@pytest.mark.parametrize("value", [-1, 2**64])
def test_phash_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(ValueError):
        unsigned_to_signed64(value)


def test_photo_table_round_trips_in_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'photos.db'}")
    SQLModel.metadata.create_all(engine)
    created = datetime(2026, 4, 21, 11, 0, tzinfo=TZ)
    hashes = [0, 1, 2**63 - 1, 2**63, 2**64 - 1]
    with Session(engine) as session:
        unit = Unit(name="市科技局", kind="member")
        session.add(unit)
        session.flush()
        assert unit.id is not None
        for index, phash in enumerate(hashes):
            session.add(
                Photo(
                    unit_id=unit.id,
                    sha256=f"{index:064x}",
                    phash=phash,
                    width=4000,
                    height=3000,
                    taken_at=datetime(2026, 4, 21, 10, 30, tzinfo=TZ),
                    status=PhotoStatus.READY,
                    created_at=created,
                )
            )
        session.commit()
    with Session(engine) as session:
        rows = session.exec(select(Photo).order_by(Photo.id)).all()
        assert [row.phash for row in rows] == hashes
        assert rows[-1].taken_at == datetime(2026, 4, 21, 10, 30, tzinfo=TZ)
        assert rows[-1].status == "ready" and rows[-1].outside_campaign is False
        match = session.exec(select(Photo).where(Photo.phash == 2**64 - 1)).one()
        assert match.sha256 == f"{len(hashes) - 1:064x}"
        raw = session.execute(text("SELECT phash FROM photo ORDER BY id")).scalars().all()
        assert raw == [0, 1, 2**63 - 1, -(2**63), -1]
    engine.dispose()


def test_photo_needs_an_existing_unit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'photos.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Photo(unit_id=999, created_at=datetime(2026, 4, 21, tzinfo=TZ)))
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            session.commit()
    engine.dispose()
