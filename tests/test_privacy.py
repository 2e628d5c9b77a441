"""No private field reaches a public page, in any language.

E-mail addresses and client hashes are never public. The text of a pending comment is shown only
on its own receipt page, to the person holding the code; the text of a rejected or hidden comment
and the original of a redacted comment are shown nowhere (codes of once-published comments are
public, so their receipt pages must not reveal what was taken down).
"""

from dataclasses import dataclass, field
from typing import Any

import pytest

from engagement.comments.models import Comment, CommentStatus, Position, RejectionReason
from engagement.i18n import LANGUAGES
from tests.factories import make_comment, make_consultation


@dataclass
class Secrets:
    comments: list[Comment] = field(default_factory=list)
    #: Strings that must appear on no public page at all.
    never: list[str] = field(default_factory=list)
    #: Receipt code -> text that may appear on that comment's receipt page only.
    own_receipt_only: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def private(session: Any, consultation: Any) -> Secrets:
    """Comments in every state, each with an e-mail address and a client hash."""
    other = make_consultation(session, slug="other-pilot")
    found = Secrets()
    specs: list[tuple[Any, str, dict[str, Any]]] = [
        (consultation, "Published words anyone may read.", {}),
        (
            consultation,
            "Published by a named resident.",
            {"display_name": "Ayaan", "position": Position.SUPPORT, "topics": ["cost"]},
        ),
        (
            consultation,
            "Pending words nobody has reviewed yet.",
            {"status": CommentStatus.PENDING},
        ),
        (
            consultation,
            "Rejected words selling cheap watches.",
            {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.SPAM},
        ),
        (
            consultation,
            "Rejected words naming a neighbor.",
            {
                "status": CommentStatus.REJECTED,
                "rejection_reason": RejectionReason.PERSONAL_INFORMATION,
            },
        ),
        (consultation, "Hidden words taken off the list.", {"status": CommentStatus.HIDDEN}),
        (
            other,
            "Pending words about the other pilot.",
            {"status": CommentStatus.PENDING},
        ),
    ]
    for number, (where, body, fields) in enumerate(specs):
        comment = make_comment(
            session,
            where,
            body=body,
            contact_email=f"private-person-{number}@example.org",
            client_hash=f"{number:x}" + "deadbeef" * 7 + "c0ffee0",
            **fields,
        )
        found.comments.append(comment)
        found.never += [comment.contact_email, comment.client_hash]
        if comment.status == CommentStatus.PENDING:
            found.own_receipt_only[comment.receipt_code] = body
        elif comment.status != CommentStatus.PUBLISHED:
            found.never.append(body)
    redacted = make_comment(
        session,
        consultation,
        body="Call my neighbor Jane Roe at 612-555-0199.",
        published_body="Call my neighbor [removed].",
        contact_email="redacted-person@example.org",
        client_hash="deadbeef" * 8,
    )
    found.comments.append(redacted)
    found.never += [redacted.body, "Jane Roe", "612-555-0199", redacted.contact_email]
    found.never += [redacted.client_hash]
    session.commit()
    return found


def public_pages(lang: str, found: Secrets) -> list[tuple[str, int]]:
    """Every public page, with the status it should answer."""
    comments = f"/{lang}/consultations/face-pilot/comments"
    pages = [
        (f"/{lang}/", 200),
        (f"/{lang}/consultations/face-pilot", 200),
        (f"/{lang}/consultations/other-pilot", 200),
        (comments, 200),
        (f"{comments}?topic=privacy", 200),
        (f"{comments}?topic=cost", 200),
        (f"{comments}?position=oppose", 200),
        (f"{comments}?position=support", 200),
        (f"{comments}?neighborhood=seward", 200),
        (f"{comments}?topic=privacy&position=oppose&neighborhood=seward", 200),
        (f"{comments}?topic=astrology", 400),
        # Positions in the list, as its "Older" and "Newer" links write them, and a damaged one.
        (f"{comments}?before=20991231T000000Z_ZZZZ-ZZZZ-ZZZZ", 200),
        (f"{comments}?after=20000101T000000Z_0000-0000-0000", 200),
        (f"{comments}?before=2099", 400),
        (f"/{lang}/consultations/other-pilot/comments", 200),
        (f"/{lang}/receipts", 200),
        (f"/{lang}/receipts?code=7KQ2-M9XD-4RTB", 404),
        (f"/{lang}/receipts?code=", 400),
    ]
    for comment in found.comments:
        code = comment.receipt_code
        published = comment.status == CommentStatus.PUBLISHED
        slug = comment.consultation.slug
        pages.append((f"/{lang}/consultations/{slug}/comments/{code}", 200 if published else 404))
        pages.append((f"/{lang}/receipts/{code}", 200))
    return pages


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_private_field_on_any_public_page(client: Any, private: Secrets, lang: str) -> None:
    pages = public_pages(lang, private)
    for url, status in pages:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == status, url
        assert f'<html lang="{lang}"' in page, url
        assert "@example.org" not in page, url
        assert "private-person" not in page, url
        assert "deadbeef" not in page, url
        for secret in private.never:
            assert secret not in page, (url, secret)
        for code, text in private.own_receipt_only.items():
            if url == f"/{lang}/receipts/{code}":
                assert text in page, url  # the resident sees what they sent
            else:
                assert text not in page, (url, text)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_lookup_leads_to_a_receipt_without_private_fields(
    client: Any, private: Secrets, lang: str
) -> None:
    for comment in private.comments:
        typed = comment.receipt_code.lower().replace("-", " ")
        response = client.get(f"/{lang}/receipts", query_string={"code": typed})
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert comment.receipt_code in page
        assert comment.contact_email not in page
        assert comment.client_hash not in page
        assert "@example.org" not in page


def test_public_pages_show_the_published_comments(client: Any, private: Secrets) -> None:
    """The checks above would pass on empty pages; make sure the pages hold what they should."""
    page = client.get("/en/consultations/face-pilot/comments").get_data(as_text=True)
    assert "Published words anyone may read." in page
    assert "Published by a named resident." in page
    assert "Call my neighbor [removed]." in page
    assert "3 published comments" in page
