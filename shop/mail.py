"""Outgoing mail: SMTP when MAIL_SMTP_HOST is set, else files in the outbox folder."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


def send_mail(*, to: str, subject: str, body: str) -> str:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM", "shop@example.com")
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="shop.local")
    message.set_content(body)
    host = config.get("MAIL_SMTP_HOST")
    if host:
        with smtplib.SMTP(host, int(config.get("MAIL_SMTP_PORT", 25)), timeout=10) as smtp:
            smtp.send_message(message)
    else:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (outbox / name).write_bytes(bytes(message))
    return message["Message-ID"]
