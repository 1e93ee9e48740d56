"""Data flows one way: storage <- scheduler <- handlers <- bot. No room imports a room above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ABOVE = {"storage": {"scheduler", "handlers", "bot"}, "scheduler": {"handlers", "bot"}, "handlers": {"bot"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("room", sorted(ABOVE))
def test_room_imports_nothing_above_it(room: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & ABOVE[room])
        for path in (ROOT / room).rglob("*.py")
        if imported_packages(path) & ABOVE[room]
    }
    assert offenders == {}
