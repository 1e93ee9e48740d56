"""The backup file: a ZIP of the database copy and the data directory's file trees, with a
``manifest.json`` that lists every member's SHA-256.

ZIP rather than tar.gz: each member chooses its compression (the database deflates well, JPEGs
and a pg_dump custom-format file are compressed already and are stored as they are), and the
manifest can be read without reading the whole archive first.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from bot.backup.databases import DATABASE_MEMBERS, BackupError, Dialect

MANIFEST = "manifest.json"
FORMAT = "weekbot-backup"
FORMAT_VERSION = 1
# Folders of <data_dir> that go into a backup: the photo store, and the digest collages that
# queued image pushes point at. Other folders (backups/, exports) are not the service's state.
FILE_TREES = ("photos", "collages")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    weekbot_version: str
    created_at: str  # campaign time (the injected Clock), ISO 8601
    dialect: Dialect
    database_member: str
    alembic_revision: str | None
    row_counts: dict[str, int]
    photo_count: int  # original photos in the store (each also has a web copy and a thumbnail)
    members: dict[str, Member]

    def to_json(self) -> str:
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self)}
        return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            body: dict[str, Any] = json.loads(raw)
            if body.get("format") != FORMAT:
                raise ValueError("not a weekbot backup manifest")
            if body.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format version {body.get('format_version')}, this weekbot reads {FORMAT_VERSION}")
            return cls(
                weekbot_version=str(body["weekbot_version"]),
                created_at=str(body["created_at"]),
                dialect=Dialect(body["dialect"]),
                database_member=str(body["database_member"]),
                alembic_revision=body["alembic_revision"],
                row_counts={str(k): int(v) for k, v in body["row_counts"].items()},
                photo_count=int(body["photo_count"]),
                members={str(k): Member(str(v["sha256"]), int(v["size"])) for k, v in body["members"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"{MANIFEST} is unreadable: {exc}") from None


def tree_files(data_dir: Path) -> list[tuple[Path, str]]:
    """Every file of the backed-up trees with its member name; files still being written (the
    photo store's ``.tmp-`` files) and symbolic links are left out."""
    found = []
    for tree in FILE_TREES:
        root = data_dir / tree
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.startswith(".tmp-"):
                found.append((path, f"{tree}/{path.relative_to(root).as_posix()}"))
    return found


def is_original_photo(member: str) -> bool:
    return member.startswith("photos/") and ".orig." in PurePosixPath(member).name


class ArchiveWriter:
    """Adds files to an open ZIP, hashing each as it is written."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.members: dict[str, Member] = {}

    def add(self, source: Path, name: str, *, compress: bool) -> None:
        info = zipfile.ZipInfo.from_file(source, name)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as reader, self.archive.open(info, "w", force_zip64=True) as writer:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writer.write(chunk)
        self.members[name] = Member(digest.hexdigest(), size)


def read_manifest(archive: Path) -> Manifest:
    try:
        with zipfile.ZipFile(archive) as opened:
            return Manifest.from_json(opened.read(MANIFEST))
    except FileNotFoundError:
        raise BackupError(f"{archive}: no such file") from None
    except KeyError:
        raise BackupError(f"{archive}: no {MANIFEST} inside; not a weekbot backup") from None
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise BackupError(f"{archive}: not a readable backup ({exc})") from None


def _member_path(staging: Path, name: str) -> Path:
    """Where a member goes under ``staging``; refuses names that would land outside it."""
    pure = PurePosixPath(name)
    allowed = pure.parts and pure.parts[0] in (*FILE_TREES, "database")
    if not allowed or pure.is_absolute() or ".." in pure.parts or "\\" in name or "\x00" in name:
        raise BackupError(f"the archive holds an unexpected member {name!r}; refusing it")
    return staging.joinpath(*pure.parts)


def extract_verified(archive: Path, manifest: Manifest, staging: Path) -> None:
    """Extract every member to ``staging``, checking each against the manifest's SHA-256 (and
    the archive holding exactly the manifest's members). Raises BackupError at the first fault;
    nothing outside ``staging`` has been touched by then."""
    if manifest.database_member != DATABASE_MEMBERS[manifest.dialect]:
        raise BackupError(f"{MANIFEST}: unexpected database member {manifest.database_member!r}")
    damaged = f"{archive} is damaged; nothing was restored"
    try:
        with zipfile.ZipFile(archive) as opened:
            present = set(opened.namelist()) - {MANIFEST}
            if present != set(manifest.members) or manifest.database_member not in present:
                missing = sorted(set(manifest.members) - present)[:5]
                extra = sorted(present - set(manifest.members))[:5]
                raise BackupError(f"{damaged}: members missing {missing}, not in the manifest {extra}")
            for name, expected in manifest.members.items():
                target = _member_path(staging, name)
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with opened.open(name) as reader, target.open("wb") as writer:
                    while chunk := reader.read(CHUNK):
                        digest.update(chunk)
                        writer.write(chunk)
                if digest.hexdigest() != expected.sha256:
                    raise BackupError(f"{damaged}: {name} does not match its SHA-256 in {MANIFEST}")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BackupError(f"{damaged}: {exc}") from None


def install_trees(staging: Path, data_dir: Path) -> None:
    """Move the staged file trees into ``data_dir``, whose trees hold no files (checked, or --force)."""
    clear_trees(data_dir)  # an empty folder left in place would receive the tree as a subfolder
    for tree in FILE_TREES:
        staged = staging / tree
        if staged.is_dir():
            shutil.move(staged, data_dir / tree)


def tree_contents(data_dir: Path) -> list[str]:
    """Why the data directory's file trees are not empty, or nothing when they are."""
    found = []
    for tree in FILE_TREES:
        root = data_dir / tree
        files = sum(1 for path in root.rglob("*") if path.is_file()) if root.is_dir() else 0
        if files:
            found.append(f"{root} holds {files} files")
    return found


def clear_trees(data_dir: Path) -> None:
    for tree in FILE_TREES:
        shutil.rmtree(data_dir / tree, ignore_errors=True)
