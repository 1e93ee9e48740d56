"""CLI output piped into a reader that stops early (`weekbot plan | head -1`) ends quietly.

Python ignores SIGPIPE, so writing to a pipe whose reader has gone raises BrokenPipeError, which
would end in a traceback, and again at exit when the interpreter flushes stdout. The standard
remedy (docs.python.org, signal module, "Note on SIGPIPE"): catch it, point stdout at /dev/null so
the final flush has nowhere to fail, and exit with an error code. Not ``signal(SIGPIPE, SIG_DFL)``:
that would kill `serve` too whenever a socket's peer goes away.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import ParamSpec

P = ParamSpec("P")

# What a shell reports for a program that SIGPIPE ended (`yes | head -1`, with pipefail).
EXIT_PIPE_CLOSED = 128 + signal.SIGPIPE


def quiet_when_pipe_closes(main: Callable[P, int]) -> Callable[P, int]:
    @functools.wraps(main)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            code = main(*args, **kwargs)
            sys.stdout.flush()  # here, where a closed pipe can still be caught
            return code
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return EXIT_PIPE_CLOSED

    return run
