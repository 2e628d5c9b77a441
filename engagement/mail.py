"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise files in a local outbox folder.

Development and tests never send real mail; each message is written to MAIL_OUTBOX as an .eml
file that a mail client can open. Messages are sent by background jobs (``send_once``), never
in a resident's or moderator's request.
"""

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from engagement.db import utcnow
from engagement.jobs.models import SentMail
from engagement.jobs.operations import Permanent


class DeliveryUnknown(Permanent):
    """The worker stopped between claiming a message and confirming it was sent."""


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


def send_once(session: Session, key: str, to: str, subject: str, body: str) -> bool:
    """Send the message named ``key`` unless it was sent before; returns whether it was sent now.

    The claim is committed before the message goes out and confirmed after, so a job run twice
    never sends twice. A failure to send takes the claim back (the next try sends); a worker
    that died in between leaves the claim unconfirmed, and then nobody knows whether the message
    left: that is reported (``DeliveryUnknown``) rather than risking a second copy.

    Raises:
        DeliveryUnknown: an earlier run claimed it and never confirmed.
        OSError, smtplib.SMTPException: the mail server refused or did not answer.
    """
    claimed = session.get(SentMail, key)
    if claimed is not None:
        if claimed.sent_at is not None:
            return False
        raise DeliveryUnknown(key)
    claimed = SentMail(key=key, claimed_at=utcnow())
    session.add(claimed)
    session.commit()
    try:
        send_mail(to, subject, body)
    except Exception:
        session.delete(claimed)
        session.commit()
        raise
    claimed.sent_at = utcnow()
    session.flush()
    return True
