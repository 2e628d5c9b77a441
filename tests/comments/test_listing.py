"""The public list of published comments, its filters and pages, and each comment's permalink."""

import html
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from engagement.comments.models import CommentStatus, Position, RejectionReason
from engagement.db import utcnow
from tests.conftest import count_queries
from tests.factories import make_comment, make_consultation

LIST = "/en/consultations/face-pilot/comments"


def hours_ago(hours: float) -> datetime:
    """A moment inside the consultation period (the `consultation` fixture opened a day ago)."""
    return utcnow() - timedelta(hours=hours)


def shown_texts(page: str) -> list[str]:
    """The comment texts on a page, in the order they are shown."""
    return [
        html.unescape(text)
        for text in re.findall(r'<div class="comment-text" lang="[^"]*">\s*<p>(.*?)</p>', page)
    ]


def authors(page: str) -> list[str]:
    return [html.unescape(name) for name in re.findall(r'class="comment-author">(.*?)</h\d>', page)]


def link(page: str, rel: str) -> str:
    match = re.search(rf'<a rel="{rel}" href="([^"]*)"', page)
    assert match, f'no rel="{rel}" link on the page'
    return html.unescape(match.group(1))


def test_only_published_comments_are_listed(client: Any, session: Any, consultation: Any) -> None:
    make_comment(session, consultation, body="Published and public")
    make_comment(session, consultation, body="Still pending", status=CommentStatus.PENDING)
    make_comment(
        session,
        consultation,
        body="Rejected as spam",
        status=CommentStatus.REJECTED,
        rejection_reason=RejectionReason.SPAM,
    )
    make_comment(session, consultation, body="Hidden by staff", status=CommentStatus.HIDDEN)
    session.commit()
    response = client.get(LIST)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_texts(page) == ["Published and public"]
    assert "1 published comment" in page
    for text in ("Still pending", "Rejected as spam", "Hidden by staff"):
        assert text not in page


def test_comments_of_another_consultation_are_not_listed(
    client: Any, session: Any, consultation: Any
) -> None:
    other = make_consultation(session, slug="other-pilot")
    make_comment(session, consultation, body="About the face pilot")
    make_comment(session, other, body="About the other pilot")
    session.commit()
    page = client.get(LIST).get_data(as_text=True)
    assert shown_texts(page) == ["About the face pilot"]
    other_page = client.get("/en/consultations/other-pilot/comments").get_data(as_text=True)
    assert shown_texts(other_page) == ["About the other pilot"]


def test_newest_comments_come_first(client: Any, session: Any, consultation: Any) -> None:
    make_comment(session, consultation, body="Three hours ago", submitted_at=hours_ago(3))
    make_comment(session, consultation, body="One hour ago", submitted_at=hours_ago(1))
    make_comment(session, consultation, body="Two hours ago", submitted_at=hours_ago(2))
    session.commit()
    page = client.get(LIST).get_data(as_text=True)
    assert shown_texts(page) == ["One hour ago", "Two hours ago", "Three hours ago"]


def test_no_comments_yet(client: Any, consultation: Any) -> None:
    response = client.get(LIST)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "0 published comments" in page
    assert "No published comments match these filters yet." in page


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_pages_go_from_newest_to_oldest(client: Any, session: Any, consultation: Any) -> None:
    for hours in range(1, 6):
        make_comment(session, consultation, body=f"Comment {hours}", submitted_at=hours_ago(hours))
    session.commit()
    first = client.get(LIST).get_data(as_text=True)
    assert shown_texts(first) == ["Comment 1", "Comment 2"]
    assert "5 published comments" in first
    assert "page 1 of 3" in first
    assert 'rel="prev"' not in first

    second = client.get(link(first, "next"))
    assert second.status_code == 200
    second_page = second.get_data(as_text=True)
    assert shown_texts(second_page) == ["Comment 3", "Comment 4"]
    assert "page 2 of 3" in second_page
    assert shown_texts(client.get(link(second_page, "prev")).get_data(as_text=True)) == [
        "Comment 1",
        "Comment 2",
    ]

    last = client.get(link(second_page, "next")).get_data(as_text=True)
    assert shown_texts(last) == ["Comment 5"]
    assert "page 3 of 3" in last
    assert 'rel="next"' not in last


@pytest.mark.config(COMMENTS_PER_PAGE=2)
@pytest.mark.parametrize("page_number", ["4", "100", "-1"])
def test_a_page_past_the_end_is_not_found(
    client: Any, session: Any, consultation: Any, page_number: str
) -> None:
    for hours in range(1, 6):
        make_comment(session, consultation, body=f"Comment {hours}", submitted_at=hours_ago(hours))
    session.commit()
    response = client.get(LIST, query_string={"page": page_number})
    assert response.status_code == 404
    assert "Comment 5" not in response.get_data(as_text=True)


def test_page_two_of_an_empty_list_is_not_found(client: Any, consultation: Any) -> None:
    assert client.get(LIST, query_string={"page": "2"}).status_code == 404


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_pages_keep_the_filters(client: Any, session: Any, consultation: Any) -> None:
    for hours in range(1, 4):
        make_comment(
            session,
            consultation,
            body=f"Privacy {hours}",
            topics=["privacy"],
            submitted_at=hours_ago(hours),
        )
    make_comment(session, consultation, body="Cost only", topics=["cost"])
    session.commit()
    first = client.get(LIST, query_string={"topic": "privacy"}).get_data(as_text=True)
    assert shown_texts(first) == ["Privacy 1", "Privacy 2"]
    assert "3 published comments" in first
    older = link(first, "next")
    assert "topic=privacy" in older
    assert shown_texts(client.get(older).get_data(as_text=True)) == ["Privacy 3"]


@pytest.fixture
def mixed_comments(session: Any, consultation: Any) -> None:
    """Published comments on different topics, positions and places, plus a pending one."""
    make_comment(
        session,
        consultation,
        body="Support, privacy, Seward",
        topics=["privacy"],
        position=Position.SUPPORT,
        neighborhood="seward",
        submitted_at=hours_ago(1),
    )
    make_comment(
        session,
        consultation,
        body="Support, cost, Powderhorn Park",
        topics=["cost"],
        position=Position.SUPPORT,
        neighborhood="powderhorn-park",
        submitted_at=hours_ago(2),
    )
    make_comment(
        session,
        consultation,
        body="Oppose, privacy and accuracy, Seward",
        topics=["privacy", "accuracy"],
        position=Position.OPPOSE,
        neighborhood="seward",
        submitted_at=hours_ago(3),
    )
    make_comment(
        session,
        consultation,
        body="Mixed, no topic, outside",
        topics=[],
        position=Position.MIXED,
        neighborhood="outside",
        submitted_at=hours_ago(4),
    )
    make_comment(
        session,
        consultation,
        body="Pending, privacy, Seward",
        topics=["privacy"],
        position=Position.SUPPORT,
        status=CommentStatus.PENDING,
    )
    session.commit()


@pytest.mark.usefixtures("mixed_comments")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"topic": "privacy"},
            ["Support, privacy, Seward", "Oppose, privacy and accuracy, Seward"],
        ),
        ({"topic": "accuracy"}, ["Oppose, privacy and accuracy, Seward"]),
        (
            {"position": "support"},
            ["Support, privacy, Seward", "Support, cost, Powderhorn Park"],
        ),
        ({"position": "mixed"}, ["Mixed, no topic, outside"]),
        (
            {"neighborhood": "seward"},
            ["Support, privacy, Seward", "Oppose, privacy and accuracy, Seward"],
        ),
        ({"topic": "privacy", "position": "support"}, ["Support, privacy, Seward"]),
        (
            {"topic": "privacy", "position": "support", "neighborhood": "seward"},
            ["Support, privacy, Seward"],
        ),
        (
            {"position": "support", "neighborhood": "powderhorn-park"},
            ["Support, cost, Powderhorn Park"],
        ),
        ({"topic": "cost", "neighborhood": "seward"}, []),
        ({"topic": "", "position": "", "neighborhood": ""}, None),
    ],
)
def test_filters_narrow_the_list(
    client: Any, query: dict[str, str], expected: list[str] | None
) -> None:
    everything = [
        "Support, privacy, Seward",
        "Support, cost, Powderhorn Park",
        "Oppose, privacy and accuracy, Seward",
        "Mixed, no topic, outside",
    ]
    expected = everything if expected is None else expected
    response = client.get(LIST, query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_texts(page) == expected
    count = len(expected)
    assert f"{count} published comment{'' if count == 1 else 's'}" in page
    if not expected:
        assert "No published comments match these filters yet." in page
    for name, value in query.items():
        if value:
            assert f'<option value="{value}" selected>' in page, f"{name} not kept selected"


@pytest.mark.usefixtures("mixed_comments")
def test_clear_filters_link_shows_everything_again(client: Any) -> None:
    page = client.get(LIST, query_string={"topic": "accuracy"}).get_data(as_text=True)
    match = re.search(r'<a href="([^"]*)">Clear filters</a>', page)
    assert match
    assert len(shown_texts(client.get(match.group(1)).get_data(as_text=True))) == 4
    assert "Clear filters" not in client.get(LIST).get_data(as_text=True)


@pytest.mark.usefixtures("mixed_comments")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"topic": "astrology"}, "Choose a topic from the list."),
        ({"topic": "Privacy"}, "Choose a topic from the list."),
        ({"topic": "privacy\x00"}, "Choose a topic from the list."),
        ({"position": "maybe"}, "Choose a position from the list."),
        ({"position": "SUPPORT"}, "Choose a position from the list."),
        ({"neighborhood": "atlantis"}, "Choose a neighborhood from the list."),
        ({"neighborhood": "<script>alert(1)</script>"}, "Choose a neighborhood from the list."),
        ({"topic": "privacy", "position": "sideways"}, "Choose a position from the list."),
    ],
)
def test_unknown_filter_value_is_explained(
    client: Any, query: dict[str, str], message: str
) -> None:
    response = client.get(LIST, query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'class="error-summary"' in page
    assert 'aria-invalid="true"' in page
    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({}, "Resident of Seward"),
        ({"neighborhood": "powderhorn-park"}, "Resident of Powderhorn Park"),
        ({"display_name": "Hodan A."}, "Hodan A."),
        ({"display_name": "Hodan A.", "neighborhood": "outside"}, "Hodan A."),
        ({"neighborhood": "outside"}, "Resident from outside Minneapolis"),
        ({"neighborhood": "undisclosed"}, "Resident"),
        ({"display_name": "<b>Bold</b> & co"}, "<b>Bold</b> & co"),
    ],
)
def test_who_wrote_the_comment(
    client: Any, session: Any, consultation: Any, fields: dict[str, Any], shown: str
) -> None:
    comment = make_comment(session, consultation, **fields)
    session.commit()
    listing = client.get(LIST).get_data(as_text=True)
    assert authors(listing) == [shown]
    permalink = client.get(f"{LIST}/{comment.receipt_code}").get_data(as_text=True)
    assert authors(permalink) == [shown]
    assert f"<h1>Comment by {html.escape(shown, quote=False)}</h1>" in permalink
    assert "<b>Bold</b>" not in listing + permalink


@pytest.mark.parametrize(
    ("neighborhood", "place"),
    [
        ("seward", "Seward (Longfellow)"),
        ("outside", "Outside Minneapolis"),
        ("undisclosed", "Neighborhood not given"),
    ],
)
def test_where_the_writer_lives_is_shown(
    client: Any, session: Any, consultation: Any, neighborhood: str, place: str
) -> None:
    make_comment(session, consultation, neighborhood=neighborhood, position=Position.SUPPORT)
    session.commit()
    page = client.get(LIST).get_data(as_text=True)
    meta = re.search(r'<p class="comment-meta">(.*?)</p>', page, re.DOTALL)
    assert meta
    assert place in meta.group(1)
    assert "Support" in meta.group(1)


def test_permalink_shows_a_published_comment(client: Any, session: Any, consultation: Any) -> None:
    comment = make_comment(
        session, consultation, body="Keep the link to this one.", topics=["privacy", "cost"]
    )
    session.commit()
    listing = client.get(LIST).get_data(as_text=True)
    assert f'href="{LIST}/{comment.receipt_code}"' in listing
    response = client.get(f"{LIST}/{comment.receipt_code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_texts(page) == ["Keep the link to this one."]
    assert "Privacy" in page
    assert "Cost" in page
    assert f'href="{LIST}"' in page


@pytest.mark.parametrize(
    "state",
    [
        {"status": CommentStatus.PENDING},
        {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.SPAM},
        {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.HARASSMENT},
        {"status": CommentStatus.HIDDEN},
    ],
)
def test_permalink_of_an_unpublished_comment_is_not_found(
    client: Any, session: Any, consultation: Any, state: dict[str, Any]
) -> None:
    comment = make_comment(session, consultation, body="Not for the public", **state)
    session.commit()
    response = client.get(f"{LIST}/{comment.receipt_code}")
    assert response.status_code == 404
    assert "Not for the public" not in response.get_data(as_text=True)


def test_permalink_under_another_consultation_is_not_found(
    client: Any, session: Any, consultation: Any
) -> None:
    other = make_consultation(session, slug="other-pilot")
    comment = make_comment(session, other, body="About the other pilot")
    session.commit()
    assert (
        client.get(f"/en/consultations/other-pilot/comments/{comment.receipt_code}").status_code
        == 200
    )
    response = client.get(f"{LIST}/{comment.receipt_code}")
    assert response.status_code == 404
    assert "About the other pilot" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "code",
    [
        "not-a-code",
        "7KQ2-M9XD",
        "7KQ2-M9XD-4RTB-XXXX",
        "7KQ2-M9XD-4RT!",
        "%00",
        "x" * 300,
        "7KQ2-M9XD-4RTB",  # well formed, but nobody has it
    ],
)
def test_permalink_with_a_malformed_or_unknown_code_is_not_found(
    client: Any, session: Any, consultation: Any, code: str
) -> None:
    make_comment(session, consultation, body="The only comment")
    session.commit()
    response = client.get(f"{LIST}/{code}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "The only comment" not in response.get_data(as_text=True)


@pytest.mark.parametrize("locale", ["so", "es", "hmn"])
def test_comment_text_is_marked_with_its_own_language(
    client: Any, session: Any, consultation: Any, locale: str
) -> None:
    comment = make_comment(session, consultation, body="Waan ka soo horjeedaa.", locale=locale)
    session.commit()
    for url in (LIST, f"{LIST}/{comment.receipt_code}"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="en"' in page
        assert re.search(
            rf'<div class="comment-text" lang="{locale}">\s*<p>Waan ka soo horjeedaa.</p>', page
        ), url


def test_paragraphs_of_a_comment_are_kept(client: Any, session: Any, consultation: Any) -> None:
    make_comment(session, consultation, body="First paragraph.\n\nSecond <paragraph> & more.")
    session.commit()
    page = client.get(LIST).get_data(as_text=True)
    assert "<p>First paragraph.</p><p>Second &lt;paragraph&gt; &amp; more.</p>" in page


def test_redacted_copy_is_shown_instead_of_the_original(
    client: Any, session: Any, consultation: Any
) -> None:
    comment = make_comment(
        session,
        consultation,
        body="My neighbor John Doe at 123 Main St agrees.",
        published_body="My neighbor [name removed] agrees.",
    )
    session.commit()
    for url in (LIST, f"{LIST}/{comment.receipt_code}"):
        page = client.get(url).get_data(as_text=True)
        assert shown_texts(page) == ["My neighbor [name removed] agrees."]
        assert "John Doe" not in page


def test_list_queries_do_not_grow_with_the_comments(
    client: Any, session: Any, consultation: Any
) -> None:
    def queries_for_list() -> int:
        session.expire_all()
        with count_queries() as statements:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(statements)

    for neighborhood in ("seward", "powderhorn-park"):
        make_comment(session, consultation, neighborhood=neighborhood, topics=["privacy"])
    session.commit()
    with_two = queries_for_list()
    for neighborhood in ("bryn-mawr", "east-isles", "whittier", "seward"):
        make_comment(session, consultation, neighborhood=neighborhood, topics=["cost", "accuracy"])
    session.commit()
    with_six = queries_for_list()
    assert len(shown_texts(client.get(LIST).get_data(as_text=True))) == 6
    assert with_six == with_two


@pytest.mark.config(COMMENTS_PER_PAGE=2)
@pytest.mark.parametrize(
    "extra",
    [
        {"utm_source": "newsletter"},
        {"slug": "other-pilot"},
        {"lang": "xx"},
        {"_anchor": "top"},
        {"_method": "POST"},
        {"_scheme": "https"},
        {"_external": "1"},
    ],
    ids=lambda extra: "&".join(f"{k}={v}" for k, v in extra.items()),
)
def test_unexpected_query_parameters_are_ignored(
    client: Any, session: Any, consultation: Any, extra: dict[str, str]
) -> None:
    """Links shared by newsletters, or typed by hand, carry parameters the page does not know."""
    for hours in range(1, 4):
        make_comment(session, consultation, body=f"Comment {hours}", submitted_at=hours_ago(hours))
    session.commit()
    response = client.get(LIST, query_string=extra)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_texts(page) == ["Comment 1", "Comment 2"]
    older = client.get(link(page, "next"))
    assert older.status_code == 200
    assert shown_texts(older.get_data(as_text=True)) == ["Comment 3"]
    comment_link = re.search(r'<p class="permalink"><a href="([^"]*)"', page)
    assert comment_link
    permalink = client.get(html.unescape(comment_link.group(1)), query_string=extra)
    assert permalink.status_code == 200
    assert shown_texts(permalink.get_data(as_text=True)) == ["Comment 1"]
