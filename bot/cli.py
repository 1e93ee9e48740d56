"""The `weekbot` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.config import ConfigError, load_config


def _parse(args: argparse.Namespace) -> int:
    from handlers.parsing.batch import parse_batch, parse_one

    settings = load_config(args.config)
    if args.batch:
        parse_batch(sys.stdin, sys.stdout, settings.units)
        return 0
    if not args.text:
        print("weekbot parse: give TEXT or --batch", file=sys.stderr)
        return 2
    print(parse_one(" ".join(args.text), args.now, args.unit, settings.units))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weekbot", description="宣传周报送助手")
    parser.add_argument("--config", help="config file (default: $WEEKBOT_CONFIG or config.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    # --config is accepted after the subcommand too (`weekbot plan --config FILE`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    p = sub.add_parser("parse", parents=[common], help="read a report and print the reading as JSON")
    p.add_argument("text", nargs="*")
    p.add_argument("--now", help="message time, ISO 8601 (default: now, Asia/Shanghai)")
    p.add_argument("--unit", help="the sender's bound unit")
    p.add_argument("--batch", action="store_true", help="JSON Lines in, JSON Lines out")
    p.set_defaults(func=_parse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"weekbot: config error:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
