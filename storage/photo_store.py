"""Content-addressed photo files under one root directory.

Layout: ``<sha[:2]>/<sha>.orig.<ext>``, ``<sha>.web.jpg``, ``<sha>.thumb.jpg``, where sha is the
SHA-256 of the original bytes. The same photo sent twice maps to the same files, so saving is
idempotent and a file once written never changes. Paths handed out (and stored in the Photo
table) are relative POSIX strings; ``path`` turns them back into files and refuses anything
that would leave the root, since those strings end up in URLs the dashboard serves.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from storage.imaging import ProcessedPhoto

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredPaths:
    original: str
    web: str
    thumb: str


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def save(self, processed: ProcessedPhoto) -> StoredPaths:
        """Write the three files (those not already there) and return their relative paths."""
        sha = processed.sha256
        if not _SHA256_HEX.fullmatch(sha):
            raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
        folder = sha[:2]
        paths = StoredPaths(
            original=f"{folder}/{sha}.orig.{processed.extension}",
            web=f"{folder}/{sha}.web.jpg",
            thumb=f"{folder}/{sha}.thumb.jpg",
        )
        for relative, data in (
            (paths.original, processed.original),
            (paths.web, processed.web),
            (paths.thumb, processed.thumb),
        ):
            self._write_once(self.path(relative), data)
        return paths

    def path(self, relative: str) -> Path:
        """The file a stored relative path names; ValueError if it is not safely inside root."""
        if not relative or "\x00" in relative or "\\" in relative:
            raise ValueError(f"unsafe photo path: {relative!r}")
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts:
            raise ValueError(f"unsafe photo path: {relative!r}")
        # resolve() follows symlinks, so a link pointing out of root is caught here too.
        resolved = (self.root / pure).resolve()
        if resolved == self.root or not resolved.is_relative_to(self.root):
            raise ValueError(f"photo path escapes the store: {relative!r}")
        return resolved

    def open_bytes(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    @staticmethod
    def _write_once(target: Path, data: bytes) -> None:
        if target.exists():
            return  # content-addressed: same name, same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename into place: readers (and a crash) see either the
        # whole file or none. Two workers saving the same photo both rename identical bytes.
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
