"""The `weekbot` command line: the parser (main), the service's commands (service), the data's (data)."""


class CommandError(Exception):
    """A command cannot go on; main prints ``weekbot <command>: <message>`` and exits 2."""
