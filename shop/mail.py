"""Outgoing mail: SMTP when MAIL_SERVER is set, else ``.eml`` files in MAIL_OUTBOX_DIR."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def build_message(*, to: str, subject: str, text: str, html: str | None = None,
                  attachments: tuple[Attachment, ...] = ()) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="shop.local")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.mimetype.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype,
                               filename=item.filename)
    return message


def send_mail(*, to: str, subject: str, text: str, html: str | None = None,
              attachments: tuple[Attachment, ...] = ()) -> str:
    """Send one message; returns its Message-ID. Raises on any SMTP failure (jobs retry)."""
    config = current_app.config
    message = build_message(to=to, subject=subject, text=text, html=html,
                            attachments=attachments)
    if config.get("MAIL_SERVER"):
        _send_smtp(config, message)
    else:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (outbox / name).write_bytes(bytes(message))
    return message["Message-ID"]


def _send_smtp(config, message: EmailMessage) -> None:
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
