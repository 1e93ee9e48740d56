"""Mailing the summary pack (ledger, draft, photos) to the configured mailbox over SMTP.

aiosmtplib, with TLS as ``[mail] tls`` says (none | starttls | tls), certificates checked against
the system's CAs plus ``[mail] ca_file``; the password comes from $WEEKBOT_MAIL_PASSWORD. The three
files are built from one snapshot, so the mail's figures, the ledger and the draft agree.
Mailboxes cap a message's size, so a photo ZIP that would take the attachments past
``[mail] max_attachments_mb`` stays out, and both the mail and the result line say so. Every mail
sent goes into the audit log: the contact person will be asked what went out, and when.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib

from bot.config import MailConfig, Settings
from bot.exports import FORMATS, MEGABYTE, ExportSource, load_snapshot, size_label, write_export
from scheduler.push_texts import date_label, moment_label
from storage.export_queries import ExportData
from storage.models import AuditLog


class MailError(Exception):
    """The pack could not be mailed; ``str()`` is one Chinese line for whoever asked."""


@dataclass(frozen=True)
class Attachment:
    fmt: str  # a key of FORMATS
    path: Path
    name: str
    content_type: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


async def send_summary(source: ExportSource, workdir: Path) -> str:
    """Build the ledger, the draft and the photo ZIP in ``workdir``, mail them, and say what went.

    Raises MailError (with a Chinese message) when the mail cannot be sent.
    """
    settings, mail = source.settings, source.settings.mail
    if mail.username and not mail.password:
        raise MailError("未设置邮箱密码：请在环境变量 WEEKBOT_MAIL_PASSWORD 中填写邮箱的 SMTP 授权码。")
    now = source.clock.now()
    data = await load_snapshot(source)
    files = []
    for fmt, (content_type, name) in FORMATS.items():
        files.append(Attachment(fmt, await write_export(source, data, fmt, workdir / name), name, content_type))
    attached, left_out = fit_attachments(files, mail.max_attachments_mb)
    recipient = mail.recipient or settings.contact.email
    sender = mail.sender or mail.username or settings.contact.email
    # Reading megabytes of attachments and base64-encoding them is work for a thread, not the loop.
    message = await asyncio.to_thread(compose, settings, data, now, sender, recipient, attached, left_out)
    await _deliver(mail, message)
    await source.db.run(lambda session: session.add(_audit(now, recipient, attached, left_out)))
    sent = "、".join(f"{a.name}（{size_label(a.size)}）" for a in attached)
    result = f"已发送至{recipient}：{sent}"
    if left_out:
        result += f"；{_left_out_note(left_out, mail)}"
    return result + "。"


def fit_attachments(files: list[Attachment], limit_mb: float) -> tuple[list[Attachment], list[Attachment]]:
    """(attached, left out): the documents always go; the photo ZIP only if it fits the limit."""
    documents = [f for f in files if f.fmt != "zip"]
    archives = [f for f in files if f.fmt == "zip"]
    room = limit_mb * MEGABYTE - sum(f.size for f in documents)
    fitting = [f for f in archives if f.size <= room]
    return documents + fitting, [f for f in archives if f not in fitting]


def compose(
    settings: Settings,
    data: ExportData,
    now: datetime,
    sender: str,
    recipient: str,
    attached: list[Attachment],
    left_out: list[Attachment],
) -> EmailMessage:
    campaign, contact = settings.campaign, settings.contact
    message = EmailMessage()
    message["Subject"] = f"{campaign.name}总结材料（{date_label(now.date())}）"
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(now.timestamp(), localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    what = {
        "xlsx": f"{len(data.activities)}条活动记录，附单位汇总和分类汇总",
        "docx": "总结初稿，【】内为待补充内容，请核实修改后使用",
        "zip": f"{len(data.photos)}张现场图片（网页尺寸，已去除拍摄位置等信息）",
    }
    lines = [f"{contact.name}：", "", f"附件是报送助手于{moment_label(now)}整理的{campaign.name}材料："]
    for attachment in attached:
        lines.append(f"· {attachment.name}：{what[attachment.fmt]}；")
    if left_out:
        lines.append(f"· {_left_out_note(left_out, settings.mail)}。")
    from bot.exports.summary_doc import overview  # python-docx: only when a mail is written

    lines += ["", overview(data, settings), "", f"—— {campaign.name}报送助手"]
    message.set_content("\n".join(lines))
    for attachment in attached:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.path.read_bytes(), maintype=maintype, subtype=subtype, filename=attachment.name
        )
    return message


def _left_out_note(left_out: list[Attachment], mail: MailConfig) -> str:
    names = "、".join(f"{a.name}（{size_label(a.size)}）" for a in left_out)
    return f"{names}超过邮件附件上限{mail.max_attachments_mb:g} MB，未随信附上，请在后台下载"


async def _deliver(mail: MailConfig, message: EmailMessage) -> None:
    where = f"{mail.host}:{mail.port}"
    try:
        await aiosmtplib.send(
            message,
            hostname=mail.host,
            port=mail.port,
            username=mail.username or None,
            password=mail.password or None,
            use_tls=mail.tls == "tls",
            # "none" means none: no opportunistic upgrade against a relay's unverifiable certificate.
            start_tls=mail.tls == "starttls",
            tls_context=_tls_context(mail) if mail.tls != "none" else None,
            timeout=mail.timeout_seconds,
        )
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise MailError(f"邮箱登录失败（{where}）：用户名或授权码不正确（{exc.code}）。") from exc
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"邮件服务器拒绝了收件人 {message['To']}。") from exc
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        if _untrusted_certificate(exc):
            raise MailError(
                f"邮件服务器 {where} 的证书未通过验证（{exc}）；"
                "如是单位自建的邮件服务器，请在 [mail] ca_file 指定其证书。"
            ) from exc
        raise MailError(f"无法连接邮件服务器 {where}：{exc}") from exc
    except aiosmtplib.SMTPException as exc:
        raise MailError(f"邮件发送失败（{where}）：{exc}") from exc


def _untrusted_certificate(exc: BaseException | None) -> bool:
    """Whether the failure (or what caused it) is a certificate the client would not trust."""
    while exc is not None:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return True
        exc = exc.__cause__
    return False


def _tls_context(mail: MailConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if mail.ca_file is not None:
        try:
            context.load_verify_locations(cafile=mail.ca_file)
        except OSError as exc:  # ssl.SSLError included
            raise MailError(f"无法读取 [mail] ca_file 证书 {mail.ca_file}：{exc}") from exc
    return context


def _audit(now: datetime, recipient: str, attached: list[Attachment], left_out: list[Attachment]) -> AuditLog:
    detail = {"attached": [a.name for a in attached], "left_out": [a.name for a in left_out]}
    return AuditLog(at=now, actor="system", action="summary.mail", target=recipient, detail=detail)
