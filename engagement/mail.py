"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise files in a local outbox folder.

Development and tests never send real mail; each message is written to MAIL_OUTBOX as an .eml
file that a mail client can open.
"""

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        outbox = Path(current_app.config["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(message))
        return
    with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=10) as smtp:
        if current_app.config["MAIL_USE_TLS"]:
            smtp.starttls()
        if current_app.config.get("MAIL_USERNAME"):
            smtp.login(current_app.config["MAIL_USERNAME"], current_app.config["MAIL_PASSWORD"])
        smtp.send_message(message)
