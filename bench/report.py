"""The council report at scale: tallies, the open-data CSV and rebuilding campaigns, timed.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_report \\
        .venv/bin/python -m bench.report --comments 1000000

Prepares what is missing (the geography, the consultation, COMMENTS published demo comments and
their campaigns; a second consultation with CAMPAIGN_COMMENTS comments for the rebuild), once: a
million demo comments take a while the first time. Then it measures, warm, the median of
``--repeat`` runs:

- the full report's data (every table, no filters) against one hand-written ``GROUP BY`` over
  the same comments in the same run;
- a filtered report (a topic and a community);
- the comment-level CSV, streamed: rows per second and the process's memory while it streams;
- rebuilding the campaigns of the second consultation.

It prints each figure next to its target.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from engagement import create_app
from engagement.campaigns.operations import rebuild_campaigns
from engagement.comments.demo import add_demo_comments
from engagement.comments.models import Comment, CommentStatus
from engagement.consultations.models import Consultation
from engagement.consultations.operations import CLEARVIEW_PILOT, load_consultation
from engagement.db import db, utcnow
from engagement.geography.models import Community
from engagement.geography.operations import load_geography
from engagement.tallies.exports import open_data_csv
from engagement.tallies.queries import TallyFilters, open_data_rows, tally

CAMPAIGN_SLUG = "bench-campaigns"
BASELINE_SQL = text(
    "SELECT position, count(*) FROM comments"
    " WHERE consultation_id = :consultation AND status = 'published' GROUP BY position"
)


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    run()  # warm: caches, prepared plans
    times = []
    for _run in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def ensure_comments(consultation: Consultation, count: int) -> None:
    have = db.session.scalar(select(func.count()).where(Comment.consultation_id == consultation.id))
    if have >= count:
        return
    print(f"  preparing {count - have:,} demo comments for '{consultation.slug}'...", flush=True)
    started = time.perf_counter()
    add_demo_comments(
        db.session, consultation, count - have, status=CommentStatus.PUBLISHED, seed=have + 1
    )
    db.session.commit()
    result = rebuild_campaigns(db.session, consultation)
    db.session.commit()
    print(
        f"  prepared in {time.perf_counter() - started:.0f} s "
        f"({result.matched:,} copies in {result.campaigns:,} campaigns)",
        flush=True,
    )


def campaign_consultation() -> Consultation:
    data = json.loads(CLEARVIEW_PILOT.read_text(encoding="utf-8"))
    data["slug"] = CAMPAIGN_SLUG
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(data, file)
    try:
        return load_consultation(db.session, Path(file.name))
    finally:
        Path(file.name).unlink()


def vacuum(url: str) -> None:
    """PostgreSQL answers from the index alone once the table is vacuumed (visibility map)."""
    if not url.startswith("postgresql"):
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE comments"))
        connection.execute(text("VACUUM ANALYZE comment_topics"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--campaign-comments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    app = create_app()
    url = app.config["SQLALCHEMY_DATABASE_URL"]
    with app.app_context():
        load_geography(db.session)
        consultation = load_consultation(db.session)
        db.session.commit()
        ensure_comments(consultation, args.comments)
        vacuum(url)
        dialect = db.engine.dialect.name
        published = db.session.scalar(
            select(func.count()).where(
                Comment.consultation_id == consultation.id,
                Comment.status == CommentStatus.PUBLISHED,
            )
        )
        print(f"\nCouncil report on {dialect}, {published:,} published comments")
        now = utcnow()

        baseline = median_ms(
            lambda: db.session.execute(BASELINE_SQL, {"consultation": consultation.id}).all(),
            args.repeat,
        )
        full = median_ms(
            lambda: tally(db.session, consultation, TallyFilters(), now=now), args.repeat
        )
        community = db.session.scalar(select(Community.slug).order_by(Community.name))
        filters = TallyFilters(topic=consultation.topics[0].slug, community=community)
        filtered = median_ms(lambda: tally(db.session, consultation, filters, now=now), args.repeat)
        target_full = "< 300 ms" if dialect == "postgresql" else "(PostgreSQL: < 300 ms)"
        print(f"  one hand-written GROUP BY      {baseline:8.0f} ms")
        print(f"  full report data, no filters   {full:8.0f} ms   target {target_full}")
        print(f"  ratio to the GROUP BY          {full / baseline:8.2f} x    target ≤ 2x")
        print(f"  report filtered (topic, area)  {filtered:8.0f} ms   target < 100 ms")

        before = rss_mb()
        peak = before
        rows = 0
        started = time.perf_counter()
        for chunk in open_data_csv(open_data_rows(db.session, consultation)):
            rows += chunk.count("\n")
            peak = max(peak, rss_mb())
        seconds = time.perf_counter() - started
        db.session.rollback()
        print(
            f"  open-data CSV                  {rows / seconds:8,.0f} rows/s "
            f"target ≥ 50,000 rows/s ({rows:,} rows in {seconds:.1f} s)"
        )
        print(
            f"  memory while streaming         {before:8.0f} MB → peak {peak:.0f} MB "
            "(flat: the peak does not grow with the rows)"
        )

        second = campaign_consultation()
        db.session.commit()
        ensure_comments(second, args.campaign_comments)
        started = time.perf_counter()
        result = rebuild_campaigns(db.session, second)
        db.session.commit()
        seconds = time.perf_counter() - started
        print(
            f"  rebuild campaigns              {seconds:8.1f} s    target < 60 s "
            f"({result.comments:,} comments, {result.matched:,} copies "
            f"in {result.campaigns:,} campaigns)"
        )


if __name__ == "__main__":
    main()
