"""Seed data: the City's places and the Clearview AI consultation, loaded idempotently."""

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engagement.comments.models import Comment, CommentStatus
from engagement.consultations.models import Consultation, Topic
from engagement.db import Base
from engagement.geography.models import Community, Neighborhood, Ward


def snapshot(session: Any) -> dict[str, list[tuple[Any, ...]]]:
    session.expire_all()
    return {
        table.name: sorted(tuple(map(str, row)) for row in session.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def test_seed_loads_places_and_the_pilot(app: Flask, session: Any) -> None:
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Neighborhood)) == 87
    assert session.scalar(select(func.count()).select_from(Community)) == 11
    assert session.scalar(select(func.count()).select_from(Ward)) == 13
    seward = session.scalar(select(Neighborhood).where(Neighborhood.slug == "seward"))
    assert seward.community.name == "Longfellow"
    assert [w.number for w in seward.wards] == [2, 6]
    pilot = session.scalar(select(Consultation).where(Consultation.slug == "clearview-ai-pilot"))
    assert "Clearview AI" in pilot.title["en"]
    assert pilot.opens_at < pilot.closes_at < pilot.hearing_at
    slugs = [t.slug for t in session.scalars(select(Topic).order_by(Topic.position))]
    assert slugs[0] == "privacy-surveillance"
    assert slugs[-1] == "other"
    assert len(slugs) == 12


def test_seeding_twice_changes_nothing(app: Flask, session: Any) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    before = snapshot(session)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert snapshot(session) == before


def test_demo_comments_are_varied_and_publish_all_publishes_them(app: Flask, session: Any) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    result = runner.invoke(args=["demo-comments", "600"])
    assert result.exit_code == 0, result.output
    comments = list(session.scalars(select(Comment)))
    assert len(comments) == 600
    assert {c.status for c in comments} == {CommentStatus.PENDING}
    assert {c.locale for c in comments} == {"en", "es", "so", "hmn"}
    assert len({c.position for c in comments}) == 3
    assert len({c.channel for c in comments}) >= 4
    assert len({c.neighborhood_id for c in comments}) > 50
    assert len({c.body for c in comments}) > 500
    assert all(c.topics for c in comments)

    result = runner.invoke(args=["publish-all"])
    assert "Published 600 pending comments." in result.output
    session.expire_all()
    assert (
        session.scalar(select(func.count()).where(Comment.status == CommentStatus.PUBLISHED)) == 600
    )


def test_demo_comments_if_empty_adds_nothing_the_second_time(app: Flask, session: Any) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    runner.invoke(args=["demo-comments", "20", "--if-empty", "--publish"])
    result = runner.invoke(args=["demo-comments", "20", "--if-empty", "--publish"])
    assert "already has 20 comments" in result.output
    assert session.scalar(select(func.count()).select_from(Comment)) == 20


def test_seeded_consultation_page_shows_the_proposal(app: Flask, client: Any) -> None:
    app.test_cli_runner().invoke(args=["seed"])
    page = client.get("/en/consultations/clearview-ai-pilot").get_data(as_text=True)
    assert "Office of Police Conduct Review" in page
    assert "2021" in page
    assert "Lowry Hill East" in page  # the neighborhood list, grouped by community
    assert '<optgroup label="Calhoun Isles">' in page
