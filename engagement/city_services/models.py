from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engagement.db import (
    Base,
    TranslatedText,
    UTCDateTime,
    append_only,
    enum_column,
    utcnow,
)

CODE_MAX_LENGTH = 80
#: Minneapolis 311 from outside the city, and the number shown instead of an uncertain one.
MAIN_311_PHONE = "612-673-3000"
#: The languages with a free interpreted 311 line of their own.
LANGUAGE_LINES = ("es", "so", "hmn")
#: An empty translated field, as the database default for the optional ones.
NO_TEXT = text("'{}'")


class ServiceCategory(Base):
    """A heading residents browse the catalog by ("Report a problem"), in every language."""

    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    #: Display order, as in the catalog file.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    services: Mapped[list["Service"]] = relationship(back_populates="category", lazy="raise")


class Service(Base):
    """One city service: what it is for, what to have ready, and how to reach it."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(
            "language_line IS NULL OR language_line IN ('es', 'so', 'hmn')",
            name="known_language_line",
        ),
        CheckConstraint("length(code) > 0", name="code_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Open311 service_code and the page address: stable, lowercase letters, digits, hyphens.
    #: Our own slugs, not the City's internal codes.
    code: Mapped[str] = mapped_column(String(CODE_MAX_LENGTH), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    #: A proper name ("Public Works"), the same in every language.
    department: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    description: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    #: What to have ready before calling or filling in the form.
    prepare: Mapped[dict[str, str]] = mapped_column(TranslatedText, server_default=NO_TEXT)
    #: Words residents may search with, per language: ``{"es": ["basura", "reciclaje"]}``.
    keywords: Mapped[dict[str, list[str]]] = mapped_column(TranslatedText, server_default=NO_TEXT)
    phone: Mapped[str | None] = mapped_column(String(40))
    #: The research could not confirm the number: pages show the 311 number instead.
    phone_uncertain: Mapped[bool] = mapped_column(default=False, server_default=false())
    url: Mapped[str | None] = mapped_column(String(500))
    #: Where to go in person, if anywhere.
    address: Mapped[str | None] = mapped_column(String(300))
    hours: Mapped[dict[str, str]] = mapped_column(TranslatedText, server_default=NO_TEXT)
    #: Set on the 311 interpreted lines only: the language the line answers in.
    language_line: Mapped[str | None] = mapped_column(String(10))
    #: Inactive services stay in the database (and in the edit log) but are not shown.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    #: Optimistic concurrency: an edit applies only to the version the editor saw.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    category: Mapped[ServiceCategory] = relationship(back_populates="services")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def shown_phone(self) -> str | None:
        """The number residents are given: 311's when the service's own is uncertain."""
        return MAIN_311_PHONE if self.phone_uncertain else self.phone


class EditSource(StrEnum):
    STAFF = "staff"
    IMPORT = "import"


EDIT_SOURCE_LABELS = {
    EditSource.STAFF: _l("Edited in the staff area"),
    EditSource.IMPORT: _l("Imported from a file"),
}


@append_only
class ServiceEdit(Base):
    """One entry of the append-only log of changes to a service: who, when, before and after.

    Rows are never updated or deleted: the ORM refuses to, and database triggers refuse any
    UPDATE or DELETE that reaches the table by another path.
    """

    __tablename__ = "service_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    #: The staff member; None when the command line imported a file.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: The actor's name as it was then, so the record stays readable if an account changes.
    actor: Mapped[str] = mapped_column(String(120))
    source: Mapped[EditSource] = mapped_column(enum_column(EditSource, "service_edit_source"))
    #: The service as one flat record (the CSV columns) before and after; {} before a creation.
    before: Mapped[dict[str, str]] = mapped_column(JSON)
    after: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    service: Mapped[Service] = relationship()
