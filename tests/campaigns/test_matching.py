"""Form letters: copies with small edits join one campaign; people's own words on a topic do not."""

from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engagement.campaigns.models import Campaign, SignatureBand
from engagement.campaigns.operations import rebuild_campaigns
from engagement.comments.models import Comment, CommentStatus
from engagement.db import utcnow
from engagement.jobs.models import Job, JobStatus
from engagement.moderation.models import CommentFlag
from tests.conftest import Resident, run_jobs
from tests.factories import make_comment

LETTER = (
    "Dear Council Members, I am writing as a resident to ask you to vote no on the proposed "
    "six month pilot of Clearview AI facial recognition. The city decided in 2021 that this "
    "technology was too dangerous to use, and nothing about the software has changed since "
    "then. Its database was built by copying billions of photos from social media without "
    "anyone's consent. Studies by federal researchers found higher error rates for Black, "
    "Asian and Native American faces, and a wrong match can cost an innocent person their "
    "freedom. The money would be better spent on officers who solve cases the ordinary way. "
    "Please keep the ban and reject the pilot. Thank you for listening to the people you serve."
)

#: The edits people make to a form letter before sending it.
COPIES = [
    LETTER,
    "Hello from Powderhorn. " + LETTER,
    LETTER.replace("Dear Council Members,", "To the City Council:").upper(),
    LETTER.replace(
        " The money would be better spent on officers who solve cases the ordinary way.", ""
    ),
    LETTER.replace("vote no", "vote NO!!").replace(
        "Thank you for listening", "Thanks for listening"
    )
    + " My grandmother was stopped by mistake once.",
]

#: Residents writing on the same topic (privacy), in their own words, some sharing phrases.
OWN_WORDS = [
    "I do not want my face in a police database just because I walked to the grocery store. "
    "Facial recognition turns every camera in the city into a tracking device, and I have not "
    "done anything wrong. Please think about what kind of city we are becoming before you vote.",
    "My concern is privacy. Clearview took pictures from Facebook and Instagram without asking "
    "anybody, including pictures of my kids. A company that did that should not get a contract "
    "with our police department, pilot or not, and I hope the council says so clearly.",
    "Privacy matters but so does safety. I would support a very narrow pilot if every search "
    "needs a warrant, every search is logged and published, and the photos of people who are "
    "not suspects are deleted right away. Without those rules I would have to oppose it.",
    "The facial recognition pilot worries me because of privacy. People who protest, pray or "
    "see a doctor could all be identified from a camera on a pole. We fought hard for the 2021 "
    "ban, and the council should not give that up for six months of an experiment.",
]


def _campaigns(session: Session) -> dict[int, set[int]]:
    groups: dict[int, set[int]] = {}
    for comment_id, campaign_id in session.execute(
        select(Comment.id, Comment.campaign_id).where(Comment.campaign_id.is_not(None))
    ):
        groups.setdefault(campaign_id, set()).add(comment_id)
    return groups


def test_copies_with_edits_join_one_campaign(session: Session, consultation: Any) -> None:
    copies = [make_comment(session, consultation, body=text) for text in COPIES]
    session.commit()

    assert list(_campaigns(session).values()) == [{copy.id for copy in copies}]
    flagged = set(
        session.scalars(select(CommentFlag.comment_id).where(CommentFlag.flag == "copies"))
    )
    assert flagged == {copy.id for copy in copies}


def test_residents_on_the_same_topic_are_not_merged(session: Session, consultation: Any) -> None:
    for text in OWN_WORDS:
        make_comment(session, consultation, body=text, topics=["privacy"])
    make_comment(session, consultation, body=LETTER)
    session.commit()

    assert _campaigns(session) == {}
    assert session.scalar(select(Campaign.id)) is None


def test_short_identical_comments_are_opinions_not_letters(
    session: Session, consultation: Any
) -> None:
    for copy in range(5):
        make_comment(session, consultation, body="I oppose the facial recognition pilot.")
        assert copy == 0 or _campaigns(session) == {}
    session.commit()

    assert _campaigns(session) == {}


def test_a_comment_matching_two_campaigns_merges_them(session: Session, consultation: Any) -> None:
    words = [f"w{i}" for i in range(100)]
    # A and C share 60 of their 80 words (similarity 0.59): two campaigns. B overlaps each by 70.
    a, b, c = (" ".join(words[start : start + 80]) for start in (0, 10, 20))
    first = [make_comment(session, consultation, body=text) for text in (a, a)]
    second = [make_comment(session, consultation, body=text) for text in (c, c)]
    assert len(_campaigns(session)) == 2
    older = first[0].campaign_id

    bridge = make_comment(session, consultation, body=b)
    session.commit()

    assert _campaigns(session) == {older: {comment.id for comment in (*first, *second, bridge)}}


def test_rebuild_finds_the_same_campaigns_as_matching_on_arrival(
    session: Session, consultation: Any
) -> None:
    texts = [*COPIES, *OWN_WORDS, COPIES[1], OWN_WORDS[0] + " I mean it."]
    for text in texts:
        make_comment(session, consultation, body=text)
    session.commit()
    on_arrival = sorted(map(sorted, _campaigns(session).values()))

    result = rebuild_campaigns(session, consultation)
    session.commit()

    assert sorted(map(sorted, _campaigns(session).values())) == on_arrival
    assert result.comments == len(texts)
    assert result.campaigns == len(on_arrival) == 2
    assert result.matched == sum(map(len, on_arrival))


def test_every_status_is_matched(session: Session, consultation: Any) -> None:
    rejected = make_comment(session, consultation, body=LETTER, status=CommentStatus.PENDING)
    rejected.status = CommentStatus.HIDDEN
    copy = make_comment(session, consultation, body=COPIES[1], status=CommentStatus.PENDING)
    session.commit()

    assert rejected.campaign_id is not None
    assert copy.campaign_id == rejected.campaign_id


def test_cli_rebuild_reports_what_it_found(app: Flask, session: Session, consultation: Any) -> None:
    for text in COPIES[:3]:
        make_comment(session, consultation, body=text)
    session.commit()

    result = CliRunner().invoke(
        app.cli, ["campaigns", "rebuild", "--consultation", consultation.slug]
    )

    assert result.exit_code == 0, result.output
    assert "Compared 3 comments of 'face-pilot': 3 are copies in 1 campaigns" in result.output


def test_a_failing_match_never_costs_the_comment(
    app: Flask, session: Session, resident: Resident, monkeypatch: pytest.MonkeyPatch
) -> None:
    def collide(session: Session, comment: Comment) -> None:
        # What a concurrent merge looks like from here: the campaign vanished under us.
        session.execute(
            insert(SignatureBand),
            [{"comment_id": comment.id, "band": 0, "consultation_id": comment.consultation_id,
              "key": 1}],
        )  # fmt: skip
        raise IntegrityError("INSERT", {}, Exception("campaign was merged away"))

    monkeypatch.setattr("engagement.campaigns.tasks.match_comment", collide)
    answer = resident.submit(body=LETTER)

    assert answer.status_code == 303
    code = answer.location.rsplit("/", 1)[-1]
    stored = session.scalar(select(Comment).where(Comment.receipt_code == code))
    assert stored is not None
    assert stored.body == LETTER
    assert stored.campaign_id is None
    # The failed try took back what it had written, and nothing else; it will be tried again.
    assert session.scalar(select(SignatureBand.comment_id)) is None
    job = session.scalar(select(Job).where(Job.subject_id == stored.id))
    assert job is not None
    assert (job.status, job.failures, job.last_error) == (JobStatus.PENDING, 1, "IntegrityError")
    receipt = resident.client.get(answer.location).text
    assert "Checking for copies of a form letter" in receipt

    monkeypatch.undo()
    job.lease_until = utcnow()
    session.commit()
    run_jobs(app)

    session.refresh(stored)
    assert stored.copies_checked_at is not None
    assert "Checking for copies" not in resident.client.get(answer.location).text
