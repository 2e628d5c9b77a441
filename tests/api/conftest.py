"""Data for the API tests: comments in every state, with private values that must never leak."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import create_staff
from engagement.comments.models import Channel, Comment, CommentStatus, Position, RejectionReason
from engagement.comments.operations import CommentDraft
from engagement.consultations.models import Consultation
from engagement.db import utcnow
from engagement.moderation.operations import (
    enter_comment,
    hide_comment,
    publish_comment,
    publish_redacted,
    reject_comment,
)
from tests.factories import make_comment, make_consultation

STAFF_NAME = "Wilhelmina Quackenbush-Staff"
STAFF_EMAIL = "w.quackenbush.moderator@minneapolismn.gov"
SOURCE_REFERENCE = "SCAN-BOX-7731-QX"
REDACTED_BODY = "Call my neighbor Zebulon Fairweather at 612-555-0199 about the pilot."
REDACTED_SECRETS = ("Zebulon Fairweather", "612-555-0199")


@dataclass
class ApiData:
    consultation: Consultation
    other: Consultation
    staff: StaffUser
    published: list[Comment] = field(default_factory=list)
    pending: Comment | None = None
    rejected: Comment | None = None
    hidden: Comment | None = None
    redacted: Comment | None = None
    entered: Comment | None = None
    #: Strings that no API answer may contain, whatever was asked.
    never: list[str] = field(default_factory=list)
    #: Receipt code -> a text that only that receipt may show (a pending comment's own text).
    own_receipt_only: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        comments = [*self.published, self.pending, self.rejected, self.hidden]
        return [comment.receipt_code for comment in comments if comment is not None]


def minutes_ago(minutes: float) -> datetime:
    return utcnow() - timedelta(minutes=minutes)


def _private(session: Session, comment: Comment, number: int, data: ApiData) -> None:
    """Give a comment an e-mail address, a client hash and a submission token, all private."""
    comment.contact_email = f"secret-resident-{number}@private.example"
    comment.client_hash = f"{number:02x}" + "c1fe" * 15 + "ab"
    comment.submission_token = f"{number:02x}" + "70ce" * 7 + "5e"
    data.never += [comment.contact_email, comment.client_hash, comment.submission_token]
    session.flush()


def seed_api_data(session: Session, consultation: Consultation) -> ApiData:
    """Published comments across languages, channels and places, and one in each other state.

    Publication times are set apart (and differ from submission order) so that order matters.
    """
    other = make_consultation(
        session, slug="other-pilot", title={"en": "Another pilot", "so": "Tijaabo kale"}
    )
    staff = create_staff(
        session, STAFF_EMAIL, StaffRole.MODERATOR, "correct horse battery staple", STAFF_NAME
    )
    data = ApiData(consultation=consultation, other=other, staff=staff)
    data.never += [STAFF_NAME, STAFF_EMAIL, SOURCE_REFERENCE, *REDACTED_SECRETS]
    specs: list[dict[str, Any]] = [
        {"body": "Published in English by a named resident.", "display_name": "Ayaan"},
        {
            "body": "Publicado en español desde North Loop.",
            "locale": "es",
            "position": Position.SUPPORT,
            "topics": ["cost"],
            "neighborhood": "north-loop",
        },
        {
            "body": "Faallo Soomaali ah oo ka timid meel ka baxsan magaalada.",
            "locale": "so",
            "position": Position.MIXED,
            "topics": ["privacy", "accuracy"],
            "neighborhood": "outside",
        },
        {
            "body": "Lus Hmoob, tsis qhia qhov chaw nyob.",
            "locale": "hmn",
            "neighborhood": "undisclosed",
            "channel": Channel.EMAIL,
            "topics": [],
        },
    ]
    for number, spec in enumerate(specs):
        comment = make_comment(
            session, consultation, submitted_at=minutes_ago(600 - number * 10), **spec
        )
        # Published in the reverse order of submission.
        comment.published_at = minutes_ago(100 - (len(specs) - number) * 10)
        _private(session, comment, number, data)
        data.published.append(comment)

    data.redacted = make_comment(
        session,
        consultation,
        body=REDACTED_BODY,
        status=CommentStatus.PENDING,
        submitted_at=minutes_ago(500),
    )
    _private(session, data.redacted, 10, data)
    start = REDACTED_BODY.index("Zebulon")
    end = REDACTED_BODY.index(" about")
    publish_redacted(session, data.redacted.id, data.redacted.version, staff, [(start, end)])
    data.redacted.published_at = minutes_ago(50)
    data.never.append(data.redacted.fingerprint)
    data.published.append(data.redacted)

    data.entered = enter_comment(
        session,
        consultation,
        CommentDraft(
            body="A letter received on paper at City Hall.",
            position=Position.OPPOSE,
            topic_slugs=["accuracy"],
            neighborhood="seward",
            display_name=None,
            contact_email="paper-letter-writer@private.example",
            locale="en",
            channel=Channel.PAPER,
        ),
        staff,
        received_at=minutes_ago(450),
        source_reference=SOURCE_REFERENCE,
    )
    data.never.append("paper-letter-writer@private.example")
    publish_comment(session, data.entered.id, data.entered.version, staff)
    data.entered.published_at = minutes_ago(40)
    data.published.append(data.entered)

    data.pending = make_comment(
        session,
        consultation,
        body="Pending words only their writer may read.",
        status=CommentStatus.PENDING,
    )
    _private(session, data.pending, 20, data)
    data.own_receipt_only[data.pending.receipt_code] = data.pending.body

    data.rejected = make_comment(
        session,
        consultation,
        body="Rejected words selling cheap watches.",
        status=CommentStatus.PENDING,
    )
    _private(session, data.rejected, 21, data)
    reject_comment(session, data.rejected.id, data.rejected.version, staff, RejectionReason.SPAM)
    data.never.append(data.rejected.body)

    data.hidden = make_comment(session, consultation, body="Hidden words taken off the list.")
    _private(session, data.hidden, 22, data)
    hide_comment(session, data.hidden.id, data.hidden.version, staff, "hidden by a moderator")
    data.never += [data.hidden.body, "hidden by a moderator"]

    make_comment(session, other, body="Published about the other pilot.")
    session.flush()
    return data


@pytest.fixture
def api_data(session: Session, consultation: Consultation) -> ApiData:
    data = seed_api_data(session, consultation)
    session.commit()
    return data
