"""docs/deploy.md: every `weekbot` command in its shell blocks parses with the real CLI, every deploy/
file it names exists, every `make` target it names is in the Makefile."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from bot.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deploy.md"
# How the guide runs weekbot: directly, from the venv, or through deploy/weekbot-admin.
WEEKBOT_PROGRAMS = {"weekbot", "weekbot-admin"}
SEPARATORS = {"&&", "||", "|", ";"}


def shell_lines(markdown: str) -> list[str]:
    """The command lines of the ```sh blocks, continuation lines joined, comments dropped."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def simple_commands(line: str) -> list[list[str]]:
    """A line's simple commands, without `sudo`, its options and leading VAR=value assignments."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    stripped = []
    for words in filter(None, commands):
        while words and (words[0] == "sudo" or re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0])):
            words = words[1:]
        stripped.append(words)
    return stripped


def weekbot_invocations() -> list[list[str]]:
    commands = [words for line in shell_lines(GUIDE.read_text(encoding="utf-8")) for words in simple_commands(line)]
    return [words[1:] for words in commands if words and Path(words[0]).name in WEEKBOT_PROGRAMS]


def test_guide_runs_the_commands_an_operator_needs() -> None:
    used = {args[0] for args in weekbot_invocations()}
    assert {"check", "units", "serve", "plan", "backup", "restore", "db", "export", "send-summary"} <= used


@pytest.mark.parametrize("args", weekbot_invocations(), ids=" ".join)
def test_every_weekbot_command_parses(args: list[str]) -> None:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(args)
        except SystemExit as exc:
            pytest.fail(f"weekbot {shlex.join(args)}: exit {exc.code}: {errors.getvalue()}")


def test_a_wrong_command_would_be_caught() -> None:
    """The extraction sees through sudo and assignments, and the parser rejects an unknown option."""
    line = "sudo WEEKBOT_CLOCK=virtual:x weekbot-admin export --format pdf --out x && weekbot plan | head"
    commands = simple_commands(line)
    assert commands == [["weekbot-admin", "export", "--format", "pdf", "--out", "x"], ["weekbot", "plan"], ["head"]]
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        build_parser().parse_args(commands[0][1:])


def test_every_deploy_file_named_exists() -> None:
    named = set(re.findall(r"\bdeploy/[\w.\-]+", GUIDE.read_text(encoding="utf-8")))
    assert named, "the guide names no deploy/ file"
    missing = sorted(name for name in named if not (ROOT / name).is_file())
    assert missing == []


def test_every_make_target_named_exists() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    targets = set(re.findall(r"\bmake ([a-z][\w-]*)", guide))
    assert "wheelhouse" in targets
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    assert targets <= defined
