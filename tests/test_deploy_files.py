"""deploy/: the nginx site passes `nginx -t` and, run for real on loopback, publishes only the callbacks
and the desk; the systemd unit passes `systemd-analyze verify`; the example environment file names
every override; weekbot-admin passes secrets literally."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.channels.wire import MAX_BODY
from bot.config import ENV_OVERRIDES, load_config
from tests.deploy_tools import (
    ADMIN_WRAPPER,
    ENV_EXAMPLE,
    NGINX_SITE,
    ROOT,
    SITE_DOMAIN,
    SYSTEMD_UNIT,
    free_port,
    nginx_command,
    nginx_test_config,
    system_tool,
)

# Read by the CLI itself rather than mapped onto a config key.
CLI_VARIABLES = {"WEEKBOT_CLOCK"}


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    main = nginx_test_config(tmp_path, http_port=free_port(), https_port=free_port())
    result = subprocess.run(nginx_command(main, "-t"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # A warning (an ignored directive, a duplicate) is a defect in a file meant to be copied as is.
    warnings = [line for line in result.stderr.splitlines() if "[warn]" in line or "[emerg]" in line]
    assert warnings == []


def test_nginx_rejects_a_broken_site(tmp_path: Path) -> None:
    """The check above can fail: a missing certificate is an error nginx -t reports."""
    main = nginx_test_config(tmp_path, http_port=free_port(), https_port=free_port())
    (tmp_path / "weekbot.crt").unlink()
    result = subprocess.run(nginx_command(main, "-t"), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "weekbot.crt" in result.stderr


class _Upstream(BaseHTTPRequestHandler):
    """Stands in for `weekbot serve`: records what nginx forwards and echoes it as JSON."""

    seen: list[dict[str, object]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        record = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": len(body)}
        self.server.seen.append(record)  # type: ignore[attr-defined]
        payload = json.dumps(record).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def live_site(tmp_path: Path) -> Iterator[tuple[int, int, list[dict[str, object]], ssl.SSLContext]]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    upstream.seen = []  # type: ignore[attr-defined]
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = free_port(), free_port()
    main = nginx_test_config(
        tmp_path, http_port=http_port, https_port=https_port, upstream_port=upstream.server_port, foreground=True
    )
    nginx = subprocess.Popen(nginx_command(main), stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(https_port, nginx)
        context = ssl.create_default_context(cafile=tmp_path / "weekbot.crt")
        yield http_port, https_port, upstream.seen, context  # type: ignore[attr-defined]
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        upstream.shutdown()
        upstream.server_close()


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {process.stderr.read() if process.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nginx did not start listening within 30 s")


def _request(
    port: int, method: str, path: str, context: ssl.SSLContext | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    if context is None:
        conn: http.client.HTTPConnection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        conn.request(method, path, body=body, headers={"Host": SITE_DOMAIN})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_nginx_publishes_only_callbacks_and_desk(live_site, tmp_path: Path) -> None:
    http_port, https_port, seen, tls = live_site
    status, _, body = _request(https_port, "GET", "/wechat/work?msg_signature=s&echostr=e", tls)
    assert status == 200
    forwarded = json.loads(body)
    assert forwarded["path"] == "/wechat/work?msg_signature=s&echostr=e"
    headers = {k.lower(): v for k, v in forwarded["headers"].items()}
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-host"] == headers["host"] == SITE_DOMAIN
    assert _request(https_port, "POST", "/wechat/mp", tls, body=b"<xml/>")[0] == 200
    assert _request(https_port, "GET", "/dash/activities?page=2", tls)[0] == 200
    status, headers, _ = _request(https_port, "GET", "/dash", tls)
    assert (status, headers["Location"]) == (301, f"https://{SITE_DOMAIN}/dash/")
    reached = [record["path"] for record in seen]
    for hidden in ("/_sandbox/messages", "/sandbox", "/healthz", "/", "/cgi-bin/gettoken", "/dashboard"):
        assert _request(https_port, "GET", hidden, tls)[0] == 404, hidden
    assert [record["path"] for record in seen] == reached, "a hidden path reached the app"

    # The consoles' domain verification files (the fixture's tmp_path holds the site's verify/ root).
    (tmp_path / "verify" / "WW_verify_AbC123.txt").write_text("AbC123")
    (tmp_path / "verify" / "weekbot.env").write_text("WEEKBOT_INVITE_SECRET=x")
    status, _, body = _request(https_port, "GET", "/WW_verify_AbC123.txt", tls)
    assert (status, body) == (200, b"AbC123")
    assert _request(https_port, "GET", "/MP_verify_Missing1.txt", tls)[0] == 404
    assert _request(https_port, "GET", "/weekbot.env", tls)[0] == 404
    assert _request(https_port, "GET", "/WW_verify_../weekbot.env", tls)[0] in (400, 404)
    assert [record["path"] for record in seen] == reached

    # Plain HTTP only redirects to the https site, whatever Host the client claims.
    status, headers, _ = _request(http_port, "GET", "/wechat/work?echostr=e")
    assert (status, headers["Location"]) == (301, f"https://{SITE_DOMAIN}/wechat/work?echostr=e")
    assert [record["path"] for record in seen] == reached


def test_nginx_body_limit_matches_the_app(live_site) -> None:
    _, https_port, seen, tls = live_site
    assert _request(https_port, "POST", "/wechat/work", tls, body=b"x" * MAX_BODY)[0] == 200
    assert seen[-1]["body"] == MAX_BODY
    for path in ("/wechat/work", "/dash/mail"):
        assert _request(https_port, "POST", path, tls, body=b"x" * (MAX_BODY + 1))[0] == 413
    assert len(seen) == 1


def test_nginx_site_declares_timeouts() -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    for directive in ("client_header_timeout", "client_body_timeout", "proxy_read_timeout", "proxy_connect_timeout"):
        assert re.search(rf"^\s*{directive} \d+s;", site, flags=re.MULTILINE), directive


def _verify_unit(tmp_path: Path, unit_text: str) -> subprocess.CompletedProcess[str]:
    unit = tmp_path / "weekbot.service"
    unit.write_text(unit_text, encoding="utf-8")
    return subprocess.run(
        [system_tool("systemd-analyze"), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _unit_with_real_binary() -> str:
    # verify insists that ExecStart's program exists; the venv's weekbot stands in for /opt/weekbot's.
    text = SYSTEMD_UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/weekbot/bin/weekbot serve\n" in text
    return text.replace("/opt/weekbot/bin/weekbot", str(Path(sys.executable).with_name("weekbot")))


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    result = _verify_unit(tmp_path, _unit_with_real_binary())
    # verify exits 0 on unknown keys and bad values; it only warns, so any line about the unit fails.
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "weekbot" in line]
    assert result.returncode == 0, result.stderr
    assert complaints == []


def test_systemd_verify_catches_a_misspelt_key(tmp_path: Path) -> None:
    result = _verify_unit(tmp_path, _unit_with_real_binary().replace("NoNewPrivileges=", "NoNewPrivilege="))
    assert "Unknown key" in result.stderr and "NoNewPrivilege" in result.stderr


def test_systemd_unit_settings() -> None:
    settings = [line.strip() for line in SYSTEMD_UNIT.read_text(encoding="utf-8").splitlines()]
    for expected in (
        "Restart=on-failure",
        "User=weekbot",
        "StateDirectory=weekbot",
        "WorkingDirectory=/var/lib/weekbot",
        "EnvironmentFile=/etc/weekbot/weekbot.env",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/weekbot",
    ):
        assert expected in settings


def _env_lines(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_env_example_names_every_override() -> None:
    variables = _env_lines(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert set(ENV_OVERRIDES) <= set(variables), "add the missing variables to deploy/weekbot.env.example"
    assert set(variables) <= set(ENV_OVERRIDES) | CLI_VARIABLES
    assert {name: value for name, value in variables.items() if value} == {"WEEKBOT_SANDBOX": "false"}


def test_env_example_comments_every_variable_in_both_languages() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith("#"):
            comment = []
            for above in reversed(lines[:number]):
                if not above.startswith("#"):
                    break
                comment.append(above)
            text = " ".join(comment)
            assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text), line


def test_env_example_as_is_turns_the_sandbox_off() -> None:
    """Empty values leave config.toml's value in place; WEEKBOT_SANDBOX=false is the one that counts."""
    env = _env_lines(ENV_EXAMPLE.read_text(encoding="utf-8"))
    settings = load_config(ROOT / "config.example.toml", env=env)
    assert settings.sandbox.enabled is False
    assert settings.channels.wecom.api_base == "https://qyapi.weixin.qq.com"


def test_admin_wrapper_passes_secrets_literally(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    # The wrapper's job is the environment and the directory; this program reports what it got.
    report = venv / "bin" / "weekbot"
    report.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'cwd': os.getcwd(),"
        " 'env': {k: v for k, v in os.environ.items() if k.startswith('WEEKBOT_')}}))\n",
        encoding="utf-8",
    )
    report.chmod(0o755)
    env_file = tmp_path / "weekbot.env"
    env_file.write_text(
        "# comment\nWEEKBOT_SANDBOX=false\nWEEKBOT_INVITE_SECRET=a$b`c` d'e\"f\nWEEKBOT_DATA_DIR=\n"
        "WEEKBOT_MP_TOKEN=from-file",  # no final newline: still read
        encoding="utf-8",
    )
    home = tmp_path / "home"
    home.mkdir()
    caller = {
        "PATH": os.environ["PATH"],
        "WEEKBOT_ENV_FILE": str(env_file),
        "WEEKBOT_VENV": str(venv),
        "WEEKBOT_HOME": str(home),
        "WEEKBOT_USER": pwd.getpwuid(os.getuid()).pw_name,
        "WEEKBOT_MP_TOKEN": "from-caller",
    }
    result = subprocess.run(
        [str(ADMIN_WRAPPER), "units", "codes"], env=caller, capture_output=True, text=True, timeout=60, check=True
    )
    got = json.loads(result.stdout)
    assert got["argv"] == ["units", "codes"]
    assert got["cwd"] == str(home)
    assert got["env"]["WEEKBOT_INVITE_SECRET"] == "a$b`c` d'e\"f"
    assert got["env"]["WEEKBOT_SANDBOX"] == "false"
    assert got["env"]["WEEKBOT_MP_TOKEN"] == "from-caller"
    assert got["env"]["WEEKBOT_CONFIG"] == "/etc/weekbot/config.toml"
    assert "WEEKBOT_DATA_DIR" not in got["env"]


def test_admin_wrapper_refuses_a_malformed_line(tmp_path: Path) -> None:
    env_file = tmp_path / "weekbot.env"
    env_file.write_text("export WEEKBOT_SANDBOX=false\n", encoding="utf-8")
    result = subprocess.run(
        [str(ADMIN_WRAPPER), "plan"],
        env={"PATH": os.environ["PATH"], "WEEKBOT_ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not NAME=value" in result.stderr
