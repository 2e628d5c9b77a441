"""The bare baseline the intake benchmark compares with: Flask + SQLAlchemy and nothing else.

It does what any comment form must do at the least, in the same three requests as ours, on the
same database, under the same gunicorn settings and load: GET a small form with a random
token; POST it, which inserts one row into a table of its own and commits, then 303 to a
receipt; GET the receipt (one row by primary key). No CSRF, validation, flags, templates,
translations or rate limits: what ours costs beyond this is what those features cost.

Served as ``gunicorn bench.baseline_app:app`` with ``DATABASE_URL`` set.
"""

import html
import os
import secrets
from datetime import UTC, datetime
from functools import cache

from flask import Flask, abort, redirect, request
from sqlalchemy import DateTime, String, Text, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from werkzeug.wrappers import Response


class Base(DeclarativeBase):
    pass


class BaselineComment(Base):
    __tablename__ = "bench_baseline_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_schema(url: str) -> None:
    """Create the baseline's table once, before the workers start (they would race to)."""
    setup = create_engine(url)
    Base.metadata.create_all(setup)
    setup.dispose()


@cache
def engine() -> Engine:
    # The same pool settings as engagement.db.make_engine, so the comparison is only the app.
    return create_engine(
        os.environ["DATABASE_URL"], pool_pre_ping=True, pool_size=10, max_overflow=10
    )


app = Flask(__name__)

FORM = """<!doctype html><html lang="en"><title>Comment</title>
<form method="post" action="/submit"><input type="hidden" name="token" value="{token}">
<textarea name="body"></textarea><button>Send</button></form></html>"""


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/form")
def form() -> str:
    return FORM.format(token=secrets.token_urlsafe(32))


@app.post("/submit")
def submit() -> Response:
    with Session(engine()) as session:
        comment = BaselineComment(
            token=request.form.get("token", "")[:64],
            body=request.form.get("body", ""),
            received_at=datetime.now(UTC),
        )
        session.add(comment)
        session.commit()
        return redirect(f"/receipts/{comment.id}", code=303)


@app.get("/receipts/<int:comment_id>")
def receipt(comment_id: int) -> str:
    with Session(engine()) as session:
        comment = session.get(BaselineComment, comment_id)
        if comment is None:
            abort(404)
        return f"<!doctype html><p>Received: {html.escape(comment.body[:80])}</p>"
