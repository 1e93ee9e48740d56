"""Mailing the summary pack to a real SMTP server (aiosmtpd) on loopback: plain, and STARTTLS
with a login and a self-signed certificate made here."""

from __future__ import annotations

import email
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from io import BytesIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from bot.config import MailConfig, Settings
from bot.mail import MailError, send_summary
from storage.models import AuditLog
from tests.certificates import self_signed
from tests.harness import Harness, make_settings
from tests.test_exports import EXPECTED_TOTAL, seed_week

pytestmark = pytest.mark.usefixtures("backend")  # each test on SQLite and on PostgreSQL

NAMES = ["宣传周活动台账.xlsx", "宣传周总结初稿.docx", "宣传周图片.zip"]
USER, PASSWORD = "tianlin@example.test", "smtp-auth-code"


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives, and the logins it accepted."""

    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    over_tls: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope, message))
        self.over_tls.append(session.ssl is not None)
        return "250 OK"

    def authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if (login, password) == (USER, PASSWORD):
                self.logins.append((login, password))
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Relay:
    mailbox: Mailbox
    port: int
    cert: Path | None = None


@pytest.fixture
def plain_relay() -> Iterator[Relay]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield Relay(mailbox, port)
    controller.stop()


@pytest.fixture
def tls_relay(tmp_path: Path) -> Iterator[Relay]:
    cert, key = self_signed(tmp_path, "relay", "weekbot test relay")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=mailbox.authenticate,
        auth_required=True,
    )
    controller.start()
    yield Relay(mailbox, port, cert)
    controller.stop()


def with_mail(settings: Settings, **mail: Any) -> Settings:
    return settings.model_copy(update={"mail": settings.mail.model_copy(update=mail)})


async def test_pack_arrives_with_three_named_attachments(tmp_path: Path, plain_relay: Relay) -> None:
    settings = with_mail(make_settings(tmp_path), port=plain_relay.port, tls="none")
    async with Harness(settings) as bot:
        await seed_week(bot)
        result = await send_summary(bot.runtime.export_source(), tmp_path / "pack")
        audit = [row for row in bot.rows(AuditLog) if row.action == "summary.mail"]
    [(envelope, message)] = plain_relay.mailbox.messages
    assert envelope.rcpt_tos == ["cyzscq2019@163.com"]  # [contact] email: no recipient configured
    assert message["To"] == "cyzscq2019@163.com"
    assert "总结材料" in message["Subject"]
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert list(attachments) == NAMES
    ledger = openpyxl.load_workbook(BytesIO(attachments["宣传周活动台账.xlsx"]))
    assert ledger["活动台账"].max_row == 1 + EXPECTED_TOTAL[0]
    body = message.get_body(("plain",))
    assert body is not None and "累计开展活动6场" in body.get_content()
    assert result.startswith("已发送至cyzscq2019@163.com：宣传周活动台账.xlsx（")
    assert all(name in result for name in NAMES)
    [row] = audit
    assert (row.target, row.detail["attached"], row.detail["left_out"]) == ("cyzscq2019@163.com", NAMES, [])


async def test_starttls_login_with_password_from_environment(tmp_path: Path, tls_relay: Relay) -> None:
    settings = make_settings(tmp_path, WEEKBOT_MAIL_PASSWORD=PASSWORD)
    settings = with_mail(
        settings, port=tls_relay.port, tls="starttls", ca_file=tls_relay.cert, username=USER, recipient="sheng@x.test"
    )
    async with Harness(settings) as bot:
        result = await send_summary(bot.runtime.export_source(), tmp_path / "pack")
    assert tls_relay.mailbox.logins == [(USER, PASSWORD)]
    assert tls_relay.mailbox.over_tls == [True]
    [(envelope, message)] = tls_relay.mailbox.messages
    assert (envelope.mail_from, envelope.rcpt_tos) == (USER, ["sheng@x.test"])  # sender: the login
    assert [part.get_filename() for part in message.iter_attachments()] == NAMES
    assert result.startswith("已发送至sheng@x.test")


async def test_untrusted_certificate_is_refused(tmp_path: Path, tls_relay: Relay) -> None:
    settings = make_settings(tmp_path, WEEKBOT_MAIL_PASSWORD=PASSWORD)
    settings = with_mail(settings, port=tls_relay.port, tls="starttls", username=USER)
    async with Harness(settings) as bot:
        with pytest.raises(MailError, match="证书未通过验证"):
            await send_summary(bot.runtime.export_source(), tmp_path / "pack")
    assert tls_relay.mailbox.messages == []


async def test_wrong_password_is_a_clear_failure(tmp_path: Path, tls_relay: Relay) -> None:
    settings = make_settings(tmp_path, WEEKBOT_MAIL_PASSWORD="not-it")
    settings = with_mail(settings, port=tls_relay.port, tls="starttls", ca_file=tls_relay.cert, username=USER)
    async with Harness(settings) as bot:
        with pytest.raises(MailError, match="邮箱登录失败"):
            await send_summary(bot.runtime.export_source(), tmp_path / "pack")
        assert not [row for row in bot.rows(AuditLog) if row.action == "summary.mail"]
    assert tls_relay.mailbox.messages == []


async def test_login_without_password_fails_before_building(tmp_path: Path) -> None:
    settings = with_mail(make_settings(tmp_path), tls="starttls", username=USER)
    async with Harness(settings) as bot:
        with pytest.raises(MailError, match="WEEKBOT_MAIL_PASSWORD"):
            await send_summary(bot.runtime.export_source(), tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


async def test_photo_zip_over_the_limit_stays_out(tmp_path: Path, plain_relay: Relay) -> None:
    settings = with_mail(make_settings(tmp_path), port=plain_relay.port, tls="none", max_attachments_mb=0.01)
    async with Harness(settings) as bot:
        await seed_week(bot)
        result = await send_summary(bot.runtime.export_source(), tmp_path / "pack")
    [(_, message)] = plain_relay.mailbox.messages
    assert [part.get_filename() for part in message.iter_attachments()] == NAMES[:2]
    assert "宣传周图片.zip" in result and "未随信附上" in result
    body = message.get_body(("plain",))
    assert body is not None and "未随信附上，请在后台下载" in body.get_content()


async def test_no_server_is_a_clear_failure(tmp_path: Path) -> None:
    settings = with_mail(make_settings(tmp_path), port=free_port(), tls="none", timeout_seconds=5)
    async with Harness(settings) as bot:
        with pytest.raises(MailError, match=r"无法连接邮件服务器 127\.0\.0\.1"):
            await send_summary(bot.runtime.export_source(), tmp_path / "pack")


def test_password_in_clear_to_a_remote_host_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="clear text"):
        MailConfig.model_validate({"host": "smtp.163.com", "tls": "none", "username": USER})
