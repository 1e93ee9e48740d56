"""What an export can fail with, importable without the export libraries (matplotlib, openpyxl,
python-docx), which `weekbot serve` and the desk load only when a file is actually built."""

from __future__ import annotations


class MissingFontError(RuntimeError):
    """No font with Chinese glyphs is installed."""
