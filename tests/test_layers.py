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


PARSER = ROOT / "handlers" / "parsing"


def test_parser_imports_nothing_from_handlers_or_scheduler_outside_parsing() -> None:
    """The parser is handed its units, clock and ceremony day; it reads no other room's state."""
    offenders = {}
    for path in PARSER.rglob("*.py"):
        reached = {
            name
            for name in imported_modules(path)
            if name.split(".")[0] in {"scheduler", "bot"}
            or (name.split(".")[0] == "handlers" and not name.startswith("handlers.parsing"))
        }
        if reached:
            offenders[str(path.relative_to(ROOT))] = sorted(reached)
    assert offenders == {}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports when it runs: at the top and inside functions alike (an
    import moved into a function to dodge a cycle is still the cycle), not under ``if TYPE_CHECKING``.
    ``from package import submodule`` is an edge to the submodule; a package a module sits in is no
    edge (Python loads it first whatever the module says)."""
    me = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node.test)
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return {name for name in found if name in modules and name != me and not me.startswith(name + ".")}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle as one path that closes on itself, found by depth-first search."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" after
    path: list[str] = []

    def walk(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module)
    return cycles


def test_no_import_cycles() -> None:
    """No module imports one that imports it back, directly or round a circle: a cycle works only by
    the order modules happen to load in, or by an import hidden in a function."""
    paths = {module_name(path): path for room in ABOVE | {"bot": set()} for path in (ROOT / room).rglob("*.py")}
    graph = {name: runtime_imports(path, set(paths)) for name, path in paths.items()}
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


# bot's own rooms: each sub-package, and the core modules at its top (config, logs, database, runtime),
# with the rooms it may import. Whoever is used knows nothing of its users: the channels, the WeChat
# API client, the exports and the mail know nothing of the web app, the desk or the command line;
# the desk does not import the sandbox, the server or the CLI; only the demo and the CLI see it all.
BOT_ROOMS: dict[str, set[str]] = {
    "config": set(),
    "logs": set(),
    "channels": {"config"},
    "wechat_api": {"config"},
    "exports": {"config"},
    "mail": {"config", "exports"},
    "backup": {"config", "exports"},
    "pipeline": {"config"},
    "database": {"config", "backup"},
    "web": {"config", "logs", "channels", "pipeline"},
    "runtime": {"config", "database", "channels", "pipeline", "web", "exports", "backup"},
    "workers": {"config", "logs", "channels", "wechat_api", "pipeline", "runtime"},
    "dashboard": {"config", "exports", "mail", "workers", "runtime"},
    "preflight": {"config", "wechat_api"},
    "sandbox": {"config", "web", "dashboard", "preflight"},
    "server": {"config", "logs", "database", "channels", "web", "backup", "runtime", "workers", "dashboard", "sandbox"},
}
BOT_ROOMS["demo"] = set(BOT_ROOMS)  # every room above, the CLI aside
BOT_ROOMS["cli"] = set(BOT_ROOMS)  # every room


def bot_room(module: str) -> str | None:
    """The room of one of bot's modules: its sub-package (bot.web.app → web) or the core module itself."""
    parts = module.split(".")
    return parts[1] if parts[0] == "bot" and len(parts) > 1 else None


def bot_rooms_imported(path: Path) -> set[str]:
    """Every room of bot's that ``path`` imports, anywhere in the file: at the top, inside functions and
    under ``if TYPE_CHECKING`` alike (a type a room names is still a room it knows)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from bot import web` names the room in what it imports.
            names |= {f"bot.{alias.name}" for alias in node.names} if node.module == "bot" else {node.module}
    return {room for name in names if (room := bot_room(name)) is not None}


def bot_modules() -> dict[Path, str]:
    """Each of bot's files and its room (bot/__init__.py belongs to none)."""
    return {path: room for path in (ROOT / "bot").rglob("*.py") if (room := bot_room(module_name(path)))}


def test_every_bot_module_sits_in_a_declared_room() -> None:
    undeclared = {str(path.relative_to(ROOT)) for path, room in bot_modules().items() if room not in BOT_ROOMS}
    assert undeclared == set()


def test_bot_rooms_import_only_the_rooms_declared_below_them() -> None:
    offenders = {}
    for path, room in bot_modules().items():
        beyond = bot_rooms_imported(path) - BOT_ROOMS.get(room, set()) - {room}
        if beyond:
            offenders[str(path.relative_to(ROOT))] = sorted(beyond)
    assert offenders == {}


def test_bot_rooms_form_no_cycle() -> None:
    """The declared arrows run one way, so no two rooms can come to import each other."""
    assert import_cycles(BOT_ROOMS) == []


def test_the_room_walk_sees_imports_in_functions_and_from_bot(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from bot.config import Settings\n"
        "from bot import web\n"
        "def later() -> None:\n"
        "    from bot.cli.main import main\n"
        "    import bot.sandbox.platform\n",
        encoding="utf-8",
    )
    assert bot_rooms_imported(source) == {"config", "web", "cli", "sandbox"}
