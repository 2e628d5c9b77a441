"""Realistic, varied demo comments, fast enough for benchmarks with a million rows."""

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engagement.comments.models import (
    Channel,
    Comment,
    CommentStatus,
    Position,
    Residence,
    comment_topics,
)
from engagement.comments.operations import canonical_record, fingerprint_of, new_receipt_code
from engagement.consultations.models import Consultation, Topic
from engagement.db import utcnow
from engagement.geography.models import Neighborhood
from engagement.moderation.flags import Flag, detect_flags, flags_of
from engagement.moderation.models import CommentFlag

CORPUS = Path(__file__).with_name("demo_corpus.json")
BATCH = 5_000

LANGUAGE_WEIGHTS = {"en": 70, "es": 14, "so": 11, "hmn": 5}
POSITION_WEIGHTS = {Position.OPPOSE: 52, Position.SUPPORT: 28, Position.MIXED: 20}
CHANNEL_WEIGHTS = {
    Channel.WEB: 84,
    Channel.PAPER: 5,
    Channel.EMAIL: 4,
    Channel.PHONE: 4,
    Channel.IN_PERSON: 3,
}
DISPLAY_NAMES = [
    "Amina",
    "J. Lee",
    "Maria G.",
    "Tou V.",
    "Sam",
    "Farhan",
    "Pa Nhia",
    "Diego",
    "Kim R.",
]
#: Share of comments that are copies of a campaign letter, with small edits.
CAMPAIGN_SHARE = 0.06
#: Share of comments with personal information in them, for moderators to redact.
PERSONAL_SHARE = 0.04
PERSONAL_DETAILS = [
    "You can reach me at 612-555-01{n:02d} if you want to talk.",
    "An officer parked outside {n}21 Cedar Ave S for hours last week.",
    "Write to me at neighbor{n}@example.org with any questions.",
]


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _campaign_copy(rng: random.Random, letter: str) -> str:
    """A form letter as people send them: sometimes a personal line added, a sentence dropped."""
    sentences = [s.strip() for s in letter.replace("\n", " ").split(". ") if s.strip()]
    if len(sentences) > 4 and rng.random() < 0.4:
        sentences.pop(rng.randrange(1, len(sentences) - 1))
    text = ". ".join(sentences)
    if rng.random() < 0.5:
        text = (
            rng.choice(["I live in this city. ", "Please listen. ", "Signed by a neighbor. "])
            + text
        )
    return text


def _composed(
    rng: random.Random, corpus: dict[str, Any], topics: list[str], position: str, place: str
) -> str:
    """A comment in the resident's own words: stock sentences around lines about their life.

    The personal lines keep two residents who picked the same stock sentences from writing the
    same text, which real residents rarely do (and which form-letter detection would rightly
    call copies).
    """
    parts = [rng.choice(corpus["openers"])] if rng.random() < 0.8 else []
    for topic in topics:
        parts.append(rng.choice(corpus["by_topic"][topic][position]))
    own = corpus["own_words"]
    for template in rng.sample(own["templates"], k=2):
        activity = rng.choice(own["activities"])
        line = template.format(
            place=place, years=rng.randrange(1, 50), activity=activity[0], activity_past=activity[1]
        )
        parts.insert(rng.randrange(len(parts) + 1), line)
    if rng.random() < 0.5:
        parts.append(rng.choice(corpus["closers"]))
    return " ".join(parts)


def demo_rows(
    consultation: Consultation,
    topics: list[Topic],
    neighborhoods: list[Neighborhood],
    count: int,
    *,
    status: CommentStatus,
    seed: int,
    now: datetime,
) -> Iterator[tuple[dict[str, Any], list[int], list[Flag]]]:
    """(comment row, topic ids, automatic flags) for bulk insertion."""
    rng = random.Random(seed)
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    topic_by_slug = {topic.slug: topic for topic in topics}
    end = min(now, consultation.closes_at)
    span = max((end - consultation.opens_at).total_seconds(), 1)
    for _row in range(count):
        language = _weighted(rng, LANGUAGE_WEIGHTS)
        position = _weighted(rng, POSITION_WEIGHTS)
        chosen = rng.sample(list(topic_by_slug), k=rng.choice([1, 1, 2, 2, 3]))
        roll = rng.random()
        if roll < 0.05:
            residence, neighborhood = Residence.OUTSIDE, None
        elif roll < 0.10:
            residence, neighborhood = Residence.UNDISCLOSED, None
        else:
            residence, neighborhood = Residence.MINNEAPOLIS, rng.choice(neighborhoods)
        if language == "en" and rng.random() < CAMPAIGN_SHARE / LANGUAGE_WEIGHTS["en"] * 100:
            letter_position = rng.choice(["oppose", "support"])
            position = Position(letter_position)
            body = _campaign_copy(rng, corpus["campaign_letters"][letter_position])
        else:
            place = (neighborhood or rng.choice(neighborhoods)).name
            body = _composed(rng, corpus[language], chosen, position.value, place)
        personal = rng.random() < PERSONAL_SHARE
        if personal:
            body += " " + rng.choice(PERSONAL_DETAILS).format(n=rng.randrange(10, 100))
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        submitted_at = consultation.opens_at + timedelta(seconds=int(rng.random() * span))
        receipt = new_receipt_code()
        display_name = rng.choice(DISPLAY_NAMES) if rng.random() < 0.3 else None
        row = {
            "consultation_id": consultation.id,
            "body": body,
            "position": position,
            "topic_bits": sum(topic_by_slug[slug].mask for slug in chosen),
            "residence": residence,
            "neighborhood_id": neighborhood.id if neighborhood else None,
            "locale": language,
            "channel": channel,
            "display_name": display_name,
            "contact_email": None,
            "status": status,
            "receipt_code": receipt,
            "fingerprint": fingerprint_of(
                canonical_record(
                    consultation=consultation.slug,
                    receipt=receipt,
                    received_at=submitted_at,
                    text=body,
                    position=position,
                    topics=chosen,
                    neighborhood=neighborhood.slug if neighborhood else None,
                    residence=residence,
                    display_name=display_name,
                    language=language,
                    channel=channel,
                )
            ),
            "submitted_at": submitted_at,
            "published_at": submitted_at if status == CommentStatus.PUBLISHED else None,
            "version": 1,
        }
        # The corpus itself carries no personal information, links or threats, so only the
        # comments given a personal detail above need flags (computing them all would make a
        # million demo comments several minutes slower).
        flags = flags_of(detect_flags(body, language)) if personal else []
        yield row, [topic_by_slug[slug].id for slug in chosen], flags


def add_demo_comments(
    session: Session,
    consultation: Consultation,
    count: int,
    *,
    status: CommentStatus = CommentStatus.PENDING,
    seed: int = 2026,
) -> int:
    """Insert ``count`` demo comments in batches; returns how many were added."""
    topics = list(consultation.topics)
    neighborhoods = list(session.scalars(select(Neighborhood)))
    rows = demo_rows(
        consultation, topics, neighborhoods, count, status=status, seed=seed, now=utcnow()
    )
    added = 0
    while True:
        batch = [item for _, item in zip(range(BATCH), rows, strict=False)]
        if not batch:
            return added
        ids = session.scalars(
            insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
            [row for row, _, _ in batch],
        ).all()
        links = [
            {"comment_id": comment_id, "topic_id": topic_id}
            for comment_id, (_, topic_ids, _) in zip(ids, batch, strict=True)
            for topic_id in topic_ids
        ]
        session.execute(insert(comment_topics), links)
        flagged = [
            {"comment_id": comment_id, "flag": flag}
            for comment_id, (_, _, flags) in zip(ids, batch, strict=True)
            for flag in flags
        ]
        if flagged:
            session.execute(insert(CommentFlag), flagged)
        added += len(batch)
