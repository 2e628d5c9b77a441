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
    assert 'rel="prev"' not in first
    assert "Newest comments" not in first

    second = client.get(link(first, "next"))
    assert second.status_code == 200
    second_page = second.get_data(as_text=True)
    assert shown_texts(second_page) == ["Comment 3", "Comment 4"]
    assert re.search(
        r'<p role="status">\s*Comments sent from <time[^>]*>.*?</time> to', second_page
    )
    assert shown_texts(client.get(link(second_page, "prev")).get_data(as_text=True)) == [
        "Comment 1",
        "Comment 2",
    ]
    newest = re.search(r'<a href="([^"]*)">Newest comments</a>', second_page)
    assert newest
    assert html.unescape(newest.group(1)) == LIST

    last = client.get(link(second_page, "next")).get_data(as_text=True)
    assert shown_texts(last) == ["Comment 5"]
    assert 'rel="next"' not in last


def walk(client: Any, url: str, rel: str) -> list[list[str]]:
    """The texts of every page from ``url`` on, following the ``rel`` links to the end."""
    pages = []
    for _step in range(100):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        pages.append(shown_texts(page))
        if f'rel="{rel}"' not in page:
            return pages
        url = link(page, rel)
    raise AssertionError("the links go round in circles")


@pytest.mark.config(COMMENTS_PER_PAGE=3)
def test_older_links_walk_every_published_comment_once_in_order(
    client: Any, session: Any, consultation: Any
) -> None:
    """Comments are stored to the second, so many share a time: none is lost or repeated."""
    expected = []
    start = hours_ago(1)
    for number in range(11):
        # Four comments in each second (so ties straddle pages), unpublished ones in between.
        moment = start - timedelta(seconds=number // 4)
        comment = make_comment(session, consultation, body=f"Comment {number}", submitted_at=moment)
        make_comment(
            session,
            consultation,
            body=f"Pending {number}",
            status=CommentStatus.PENDING,
            submitted_at=moment,
        )
        expected.append((comment.submitted_at, comment.receipt_code, comment.body))
    session.commit()
    expected.sort(reverse=True)  # newest first; the receipt code breaks ties
    in_order = [body for _moment, _code, body in expected]

    pages = walk(client, LIST, "next")
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert [text for page in pages for text in page] == in_order

    # And back up with the "newer" links, the same pages in reverse.
    last = client.get(LIST).get_data(as_text=True)
    for _page in pages[1:]:
        url = link(last, "next")
        last = client.get(url).get_data(as_text=True)
    assert walk(client, url, "prev") == pages[::-1]


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_a_shared_link_shows_the_same_comments_after_new_ones_are_published(
    client: Any, session: Any, consultation: Any
) -> None:
    for hours in range(1, 6):
        make_comment(session, consultation, body=f"Comment {hours}", submitted_at=hours_ago(hours))
    session.commit()
    shared = link(client.get(LIST).get_data(as_text=True), "next")
    assert "before=" in shared
    before = client.get(shared).get_data(as_text=True)
    assert shown_texts(before) == ["Comment 3", "Comment 4"]

    for number in range(3):
        make_comment(session, consultation, body=f"Newer {number}")
    pending = make_comment(
        session, consultation, body="Approved later", status=CommentStatus.PENDING
    )
    session.commit()
    pending.status, pending.published_at = CommentStatus.PUBLISHED, utcnow()
    session.commit()

    after = client.get(shared).get_data(as_text=True)
    assert shown_texts(after) == ["Comment 3", "Comment 4"]
    assert link(after, "next") == link(before, "next")
    assert shown_texts(client.get(LIST).get_data(as_text=True))[0] in {
        "Approved later",
        "Newer 0",
        "Newer 1",
        "Newer 2",
    }
    # The link works in every language: the position is in the address, not in the words.
    spanish = client.get(shared.replace("/en/", "/es/")).get_data(as_text=True)
    assert shown_texts(spanish) == ["Comment 3", "Comment 4"]


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_a_position_past_the_end_offers_the_newest_comments(
    client: Any, session: Any, consultation: Any
) -> None:
    make_comment(session, consultation, body="The only comment")
    session.commit()
    response = client.get(LIST, query_string={"before": "20000101T000000Z_0000-0000-0000"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown_texts(page) == []
    assert "There are no more comments in this direction." in page
    newest = re.search(r'<a href="([^"]*)">Newest comments</a>', page)
    assert newest
    assert shown_texts(client.get(html.unescape(newest.group(1))).get_data(as_text=True)) == [
        "The only comment"
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"before": "yesterday"},
        {"before": ""},
        {"after": "20261301T000000Z_7KQ2-M9XD-4RTB"},  # no 13th month
        {"before": "20261201T250000Z_7KQ2-M9XD-4RTB"},
        {"before": "20261201T101530Z_7kq2-m9xd-4rtb"},
        {"before": "20261201T101530.5Z_7KQ2-M9XD-4RTB"},
        {"before": "00001201T101530Z_7KQ2-M9XD-4RTB"},
        {"before": "20261201T101530Z_7KQ2-M9XD-4RTB' OR '1'='1"},
        {"before": "20261201T101530Z_7KQ2-M9XD-4RTB\x00"},
        {"after": "<script>alert(1)</script>"},
        {"before": "9" * 5000},
        {"before": ["20261201T101530Z_7KQ2-M9XD-4RTB", "20261201T101530Z_7KQ2-M9XD-4RTC"]},
        {"before": "20261201T101530Z_7KQ2-M9XD-4RTB", "after": "20261201T101530Z_7KQ2-M9XD-4RTB"},
    ],
    ids=lambda query: repr(query)[:60],
)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_damaged_position_is_explained_with_the_filters_kept(
    client: Any, session: Any, consultation: Any, query: dict[str, Any], lang: str
) -> None:
    make_comment(session, consultation, body="Not shown on an error page", topics=["privacy"])
    session.commit()
    response = client.get(
        f"/{lang}/consultations/face-pilot/comments",
        query_string={"topic": "privacy", "position": "oppose", **query},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<html lang="{lang}"' in page
    assert 'class="error-summary"' in page
    if lang == "en":
        assert "This address does not point to a place in the list of comments" in page
    assert '<option value="privacy" selected' in page
    assert '<option value="oppose" selected' in page
    assert "Not shown on an error page" not in page
    assert "<script>alert(1)</script>" not in page
    newest = re.search(r'<p><a href="([^"]*)">[^<]*</a></p>\s*\Z', page.split("</main>")[0])
    assert newest
    target = html.unescape(newest.group(1))
    assert "before=" not in target
    assert "after=" not in target
    assert "topic=privacy" in target
    assert shown_texts(client.get(target).get_data(as_text=True)) == ["Not shown on an error page"]


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_the_first_old_page_number_leads_to_the_first_page(
    client: Any, session: Any, consultation: Any
) -> None:
    make_comment(session, consultation, body="Privacy", topics=["privacy"])
    session.commit()
    response = client.get(LIST, query_string={"topic": "privacy", "page": "1"})
    assert response.status_code == 301
    assert response.location == f"{LIST}?topic=privacy"


@pytest.mark.config(COMMENTS_PER_PAGE=2)
@pytest.mark.parametrize("page_number", ["2", "4", "4500", "-1", "0", "abc", ""])
def test_other_old_page_numbers_open_the_newest_comments_with_a_word_why(
    client: Any, session: Any, consultation: Any, page_number: str
) -> None:
    """Links from when pages had numbers (bookmarks, newsletters) still answer, cheaply."""
    for hours in range(1, 6):
        make_comment(
            session,
            consultation,
            body=f"Comment {hours}",
            topics=["privacy"],
            submitted_at=hours_ago(hours),
        )
    session.commit()
    response = client.get(LIST, query_string={"topic": "privacy", "page": page_number})
    assert response.status_code == 302
    assert response.location == f"{LIST}?topic=privacy"
    page = client.get(response.location).get_data(as_text=True)
    assert "This list no longer has numbered pages" in page
    assert shown_texts(page) == ["Comment 1", "Comment 2"]
    # Said once: the next view of the list is the list.
    assert "no longer has numbered pages" not in client.get(LIST).get_data(as_text=True)


def test_an_old_page_number_of_an_empty_list_answers(client: Any, consultation: Any) -> None:
    response = client.get(LIST, query_string={"page": "2"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No published comments match these filters yet." in page


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_pages_keep_the_filters(client: Any, session: Any, consultation: Any) -> None:
    for hours in range(1, 6):
        make_comment(
            session,
            consultation,
            body=f"Privacy {hours}",
            topics=["privacy"],
            submitted_at=hours_ago(hours),
        )
        make_comment(
            session,
            consultation,
            body=f"Cost {hours}",
            topics=["cost"],
            submitted_at=hours_ago(hours),
        )
    session.commit()
    first = client.get(LIST, query_string={"topic": "privacy"}).get_data(as_text=True)
    assert shown_texts(first) == ["Privacy 1", "Privacy 2"]
    older = link(first, "next")
    assert "topic=privacy" in older
    second = client.get(older).get_data(as_text=True)
    assert shown_texts(second) == ["Privacy 3", "Privacy 4"]
    assert "topic=privacy" in link(second, "prev")
    assert shown_texts(client.get(link(second, "prev")).get_data(as_text=True)) == [
        "Privacy 1",
        "Privacy 2",
    ]
    assert walk(client, LIST + "?topic=privacy", "next")[-1] == ["Privacy 5"]


@pytest.mark.config(COMMENTS_PER_PAGE=2)
def test_a_first_page_that_holds_everything_says_how_many(
    client: Any, session: Any, consultation: Any
) -> None:
    """The total is said where it is known without counting: a list that fits on one page."""
    for hours, position in enumerate([Position.SUPPORT, Position.OPPOSE, Position.OPPOSE], 1):
        make_comment(
            session,
            consultation,
            body=f"Comment {hours}",
            position=position,
            submitted_at=hours_ago(hours),
        )
    session.commit()
    filtered = client.get(LIST, query_string={"position": "oppose"}).get_data(as_text=True)
    assert "2 published comments" in filtered
    everything = client.get(LIST).get_data(as_text=True)
    assert shown_texts(everything) == ["Comment 1", "Comment 2"]
    assert "published comments" not in everything.split("<main")[1]


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
        client.get(LIST)  # the first view fills the per-process kept lists: not the point here
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
