from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engagement.consultations.models import Consultation, Phase, phase_between
from engagement.errors import NotFound
from engagement.versions import REFERENCE, KeptCopies


def consultations_newest_first(session: Session) -> list[Consultation]:
    return list(session.scalars(select(Consultation).order_by(Consultation.opens_at.desc())))


def consultation_by_slug(session: Session, slug: str) -> Consultation:
    """The consultation with its topics loaded.

    Raises:
        NotFound: no consultation has that slug (one with a NUL character is refused before
            the database: PostgreSQL cannot compare text that holds one).
    """
    if "\x00" in slug:
        raise NotFound
    consultation = session.scalar(
        select(Consultation)
        .where(Consultation.slug == slug)
        .options(selectinload(Consultation.topics))
    )
    if consultation is None:
        raise NotFound
    return consultation


@dataclass(frozen=True)
class Dates:
    """When a consultation opens and closes: what its phase follows from."""

    opens_at: datetime
    closes_at: datetime

    def phase_at(self, moment: datetime) -> Phase:
        return phase_between(self.opens_at, self.closes_at, moment)


_dates = KeptCopies(size=64)


def consultation_phases(session: Session, slug: str) -> Dates:
    """A consultation's dates, kept per worker while the reference data is unchanged.

    Raises:
        NotFound: no consultation has that slug.
    """

    def read() -> Dates:
        consultation = consultation_by_slug(session, slug)
        return Dates(consultation.opens_at, consultation.closes_at)

    return _dates.get(session, slug, (REFERENCE,), read)


@dataclass(frozen=True)
class TextBlock:
    #: "heading", "paragraph" or "list"
    kind: str
    lines: list[str]


def text_blocks(text: str) -> list[TextBlock]:
    """Split a plain-text body into headings, paragraphs and lists, so no HTML is ever stored."""
    blocks = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.strip().split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("## "):
            blocks.append(TextBlock("heading", [lines[0][3:]]))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(TextBlock("list", [line[2:] for line in lines]))
        else:
            blocks.append(TextBlock("paragraph", [" ".join(lines)]))
    return blocks
