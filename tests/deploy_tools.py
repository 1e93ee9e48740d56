"""Helpers for the deployment-file tests: the Debian validators, a test certificate, the nginx site
rewritten to run unprivileged in a temp dir."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

import pytest

from tests.certificates import self_signed

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx-weekbot.conf"
SYSTEMD_UNIT = DEPLOY / "weekbot.service"
ENV_EXAMPLE = DEPLOY / "weekbot.env.example"
ADMIN_WRAPPER = DEPLOY / "weekbot-admin"
SITE_DOMAIN = "weekbot.example.com"


def system_tool(name: str) -> str:
    """The validator's path; a missing one fails the test (`make test` installs it), never skips."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which(name, path=search)
    if found is None:
        pytest.fail(f"{name} is not installed: `make test` installs it (SYSTEM_PACKAGES in the Makefile)")
    return found


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the site's domain and 127.0.0.1, with its key (PEM)."""
    return self_signed(directory, "weekbot", SITE_DOMAIN, dns_names=[SITE_DOMAIN])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_test_config(
    directory: Path, *, http_port: int, https_port: int, upstream_port: int = 8080, foreground: bool = False
) -> Path:
    """The shipped site inside a minimal main config, runnable by any user: certificates, logs, pid and
    temp files in ``directory``, loopback high ports instead of 80/443 (nginx -t binds them too).
    Returns the main config's path."""
    cert, key = make_certificate(directory)
    (directory / "verify").mkdir()
    site = NGINX_SITE.read_text(encoding="utf-8")
    replacements = {
        "/etc/nginx/ssl/weekbot.crt": str(cert),
        "/etc/nginx/ssl/weekbot.key": str(key),
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream_port};",
        "root /etc/weekbot/verify;": f"root {directory / 'verify'};",
    }
    for old, new in replacements.items():
        assert old in site, f"{NGINX_SITE.name} no longer contains {old!r}; update the test's rewrite"
        site = site.replace(old, new)
    # IPv6 listeners may be unavailable in CI; the IPv4 ones move to unprivileged loopback ports.
    site, dropped = re.subn(r"^\s*listen \[::\]:\d+[^;]*;\n", "", site, flags=re.MULTILINE)
    assert dropped == 2, "expected one IPv6 listener per server block"
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", site)
    site = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", site)
    (directory / "site.conf").write_text(site, encoding="utf-8")
    temp_paths = "\n".join(
        f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # In the foreground, one process: no worker switching to `nobody` (who could not read the temp dir).
    process = "daemon off;\nmaster_process off;\n" if foreground else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"{process}pid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    access_log {directory / 'access.log'};\n{temp_paths}\n"
        f"    include {directory / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return main


def nginx_command(main: Path, *extra: str) -> list[str]:
    # -e: the error log before the config is read (the default, /var/log/nginx, is root's).
    directory = main.parent
    return [system_tool("nginx"), "-e", str(directory / "error.log"), "-p", str(directory), "-c", str(main), *extra]
