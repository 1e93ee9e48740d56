"""`weekbot serve` and the commands that build no file load neither the export libraries nor a
browser driver: they cost start-up time and memory in every worker process (issue 16)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("matplotlib", "openpyxl", "docx", "playwright")
# What `serve` (its workers included), `check`, `plan`, `backup`, `restore`, `db` and `menu` import.
MODULES = (
    "bot.cli.main",
    "bot.server.serve",
    "bot.server.supervisor",
    "bot.dashboard",
    "bot.mail",
    "bot.backup.daily",
    "bot.preflight",
    "bot.preflight.menu",
)


def test_serving_and_checking_import_no_export_library() -> None:
    probe = (
        f"import importlib, sys\nfor name in {MODULES!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_supervisor_of_workers_loads_no_app() -> None:
    """`serve --workers N`'s parent migrates the database and runs the sandbox platform while its
    workers load the app: were it to load the app too, its imports would delay the workers' start
    and its memory add one more app to the service (bot.server.supervisor)."""
    supervisor = ("bot.cli.main", "bot.cli.service", "bot.server.supervisor", "bot.database", "bot.server.sandbox_site")
    app = ("bot.runtime", "bot.server.serve", "bot.web.app", "bot.dashboard", "handlers.dispatcher", "handlers.parsing")
    probe = (
        f"import importlib, sys\nfor name in {supervisor!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m in {app!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
