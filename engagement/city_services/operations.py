"""Changing the catalog: the seed file, an administrator's edit, a CSV import. Each is checked
by the same rules (records.check_record), and staff edits and imports are logged."""

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from engagement.auth.models import StaffUser
from engagement.city_services.models import (
    EditSource,
    Service,
    ServiceCategory,
    ServiceEdit,
)
from engagement.city_services.records import (
    COLUMNS,
    CONTENT_LANGUAGES,
    KEYWORD_SEPARATOR,
    Problem,
    ServiceData,
    check_record,
    record_of,
    record_of_data,
)
from engagement.db import utcnow
from engagement.errors import Conflict, DomainError, NotFound

#: The catalog the seed loads, written from the City's published facts in four languages.
CATALOG = Path(__file__).with_name("catalog.json")
COMMAND_LINE = "command line"


class InvalidService(DomainError):
    """A staff edit broke a rule of the catalog; ``problems`` says which, column by column."""

    message = _l("Some fields need to be corrected.")

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems


class EditedMeanwhile(Conflict):
    """Someone saved the service after the editor opened it: nothing was overwritten."""

    def __init__(self, actor: str | None, at: datetime | None) -> None:
        if actor and at:
            message = _l(
                "%(name)s saved this service at %(time)s, after you opened it. Nothing was "
                "saved. Your changes are kept below; compare them with the latest change in "
                "the log, then save again.",
                name=actor,
                time=format_datetime(at, "short"),
            )
        else:
            message = _l(
                "This service was changed after you opened it. Nothing was saved. Your "
                "changes are kept below; check them, then save again."
            )
        super().__init__(message)


class ImportRejected(DomainError):
    """A file with any bad row is refused whole; ``problems`` lists each one with its line."""

    message = _l("The file was not imported. Nothing was changed.")

    def __init__(self, problems: list[str]) -> None:
        super().__init__()
        self.problems = problems


class CatalogInvalid(Exception):
    """The catalog file itself is wrong: a bug in the file, to be fixed before seeding."""


# --- the seed -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogLoad:
    categories: int
    created: int
    updated: int
    #: Services staff have edited (or imported) since: the seed leaves their work alone.
    kept: int


def catalog_rows(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The services of a catalog file as flat records.

    The file holds ``categories`` (slug, translated name) and ``services``: code, category,
    department, translated name, description, prepare, hours, keywords (a list per language),
    phone, phone_uncertain, url, address and language_line; tests/city_services/catalog.json
    is a small example.
    """
    rows = []
    for entry in data["services"]:
        row = {
            "code": entry["code"],
            "active": "true",
            "category": entry["category"],
            "department": entry.get("department") or "",
            "phone": entry.get("phone") or "",
            "phone_uncertain": "true" if entry.get("phone_uncertain") else "false",
            "url": entry.get("url") or "",
            "address": entry.get("address") or "",
            "language_line": entry.get("language_line") or "",
        }
        for lang in CONTENT_LANGUAGES:
            for field in ("name", "description", "prepare", "hours"):
                row[f"{field}_{lang}"] = (entry.get(field) or {}).get(lang) or ""
            words = (entry.get("keywords") or {}).get(lang) or []
            row[f"keywords_{lang}"] = f"{KEYWORD_SEPARATOR} ".join(words)
        rows.append(row)
    return rows


def load_catalog(session: Session, path: Path = CATALOG) -> CatalogLoad:
    """Create or update the categories and services of a catalog file.

    Idempotent: the same file twice changes nothing. A service that staff have edited or
    imported keeps their version (the seed runs at every `make run`, and must not undo a
    correction made in the staff area); services missing from the file are kept.

    Raises:
        CatalogInvalid: a service in the file breaks a rule of the catalog.
    """
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    categories = {c.slug: c for c in session.scalars(select(ServiceCategory))}
    for position, entry in enumerate(data["categories"]):
        category = categories.get(entry["slug"])
        if category is None:
            category = categories[entry["slug"]] = ServiceCategory(slug=entry["slug"])
            session.add(category)
        # Compared as stored: the column type drops empty translations.
        name = {lang: text for lang, text in entry["name"].items() if text}
        if category.name != name:
            category.name = name
        if category.position != position:
            category.position = position
    session.flush()

    checked = []
    for row in catalog_rows(data):
        service_data, problems = check_record(row, categories)
        if service_data is None:
            details = "; ".join(f"{p.column}: {p.message}" for p in problems)
            raise CatalogInvalid(f"{path.name}, service {row['code']!r}: {details}")
        checked.append(service_data)
    services = _services_by_code(session)
    edited = set(session.scalars(select(ServiceEdit.service_id).distinct()))
    created = updated = kept = 0
    for service_data in checked:
        service = services.get(service_data.code)
        if service is None:
            service = Service(code=service_data.code)
            session.add(service)
            created += 1
        elif service.id in edited:
            kept += 1
            continue
        elif record_of(service) == record_of_data(service_data):
            continue
        else:
            updated += 1
        _apply(service, service_data, categories[service_data.category])
    session.flush()
    return CatalogLoad(len(data["categories"]), created, updated, kept)


def _services_by_code(session: Session) -> dict[str, Service]:
    return {
        service.code: service
        for service in session.scalars(select(Service).options(joinedload(Service.category)))
    }


def _apply(service: Service, data: ServiceData, category: ServiceCategory) -> None:
    """Give the service these values, writing only the attributes that change."""
    values: dict[str, Any] = {
        "active": data.active,
        "department": data.department,
        "name": data.name,
        "description": data.description,
        "prepare": data.prepare,
        "keywords": data.keywords,
        "hours": data.hours,
        "phone": data.phone,
        "phone_uncertain": data.phone_uncertain,
        "url": data.url,
        "address": data.address,
        "language_line": data.language_line,
    }
    if service.category is not category:
        service.category = category
    for name, value in values.items():
        if getattr(service, name, None) != value:
            setattr(service, name, value)
    service.updated_at = utcnow()


# --- staff edits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceUpdate:
    service: Service
    #: False when the form was saved with nothing changed (no log entry is written).
    changed: bool


def update_service(
    session: Session,
    code: str,
    record: Mapping[str, str | None],
    *,
    seen_version: int,
    editor: StaffUser,
) -> ServiceUpdate:
    """Save an administrator's edit of a service, and log who changed what.

    The code can't change (it is the service's address and Open311 code). An edit applies
    only to the version the administrator saw, so two people editing at once never silently
    overwrite each other.

    Raises:
        NotFound: no such service.
        InvalidService: the record breaks a rule of the catalog (the same rules as an import).
        EditedMeanwhile: someone saved the service after ``seen_version``.
    """
    services = _services_by_code(session)
    service = services.get(code)
    if service is None:
        raise NotFound
    if service.version != seen_version:
        raise _edited_meanwhile(session, service)
    categories = {c.slug: c for c in session.scalars(select(ServiceCategory))}
    data, problems = check_record({**record, "code": code}, categories)
    if data is None:
        raise InvalidService(problems)
    before = record_of(service)
    if before == record_of_data(data):
        return ServiceUpdate(service, changed=False)
    _apply(service, data, categories[data.category])
    session.add(_log_entry(service, before, EditSource.STAFF, editor))
    try:
        session.flush()
    except StaleDataError as error:
        # Another save got in between our read and our write.
        raise EditedMeanwhile(None, None) from error
    return ServiceUpdate(service, changed=True)


def _edited_meanwhile(session: Session, service: Service) -> EditedMeanwhile:
    latest = session.scalar(
        select(ServiceEdit)
        .where(ServiceEdit.service_id == service.id)
        .order_by(ServiceEdit.created_at.desc(), ServiceEdit.id.desc())
        .limit(1)
    )
    if latest is None:
        return EditedMeanwhile(None, None)
    return EditedMeanwhile(latest.actor, latest.created_at)


def _log_entry(
    service: Service,
    before: dict[str, str],
    source: EditSource,
    editor: StaffUser | None,
    actor_name: str = COMMAND_LINE,
) -> ServiceEdit:
    return ServiceEdit(
        service=service,
        staff_user_id=editor.id if editor else None,
        actor=editor.display_name if editor else actor_name,
        source=source,
        before=before,
        after=record_of(service),
        created_at=utcnow(),
    )


# --- CSV import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def import_services(
    session: Session, data: bytes, *, actor_name: str = COMMAND_LINE
) -> ImportResult:
    """Create or update services from a CSV file like the one `services export` writes.

    Every row is checked before anything is written; one bad row refuses the whole file, so
    a file is imported completely or not at all. Services not in the file are left as they
    are. Each created or changed service gets an entry in the edit log.

    Raises:
        ImportRejected: the file is not UTF-8, its header is not the export's, or rows break
            the catalog's rules; every problem is listed with its line number.
    """
    rows = _read_rows(data)
    categories = {c.slug: c for c in session.scalars(select(ServiceCategory))}
    problems: list[str] = []
    checked: list[ServiceData] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        service_data, row_problems = check_record(row, categories)
        problems += [_on_line(line, p.column, str(p.message)) for p in row_problems]
        code = (row.get("code") or "").strip()
        if code and code in first_line:
            message = _l("this code is already on line %(line)s.", line=first_line[code])
            problems.append(_on_line(line, "code", str(message)))
        elif service_data is not None:
            checked.append(service_data)
        first_line.setdefault(code, line)
    if problems:
        raise ImportRejected(problems)

    services = _services_by_code(session)
    created = updated = unchanged = 0
    for service_data in checked:
        service = services.get(service_data.code)
        before = record_of(service) if service is not None else {}
        if service is not None and before == record_of_data(service_data):
            unchanged += 1
            continue
        if service is None:
            service = Service(code=service_data.code)
            session.add(service)
            created += 1
        else:
            updated += 1
        _apply(service, service_data, categories[service_data.category])
        session.add(_log_entry(service, before, EditSource.IMPORT, None, actor_name))
    session.flush()
    return ImportResult(created, updated, unchanged)


def _on_line(line: int, column: str, message: str) -> str:
    return str(
        _l("line %(line)s, %(column)s: %(message)s", line=line, column=column, message=message)
    )


def _read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with the line each starts on, after checking its header.

    Raises:
        ImportRejected: not UTF-8, an unknown, missing or repeated column, or a row with more
            or fewer cells than the header.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected(
            [
                str(
                    _l(
                        "The file is not UTF-8 text (unreadable byte at position %(position)s). "
                        "Save it as \u201cCSV UTF-8\u201d and import it again.",
                        position=error.start,
                    )
                )
            ]
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ImportRejected([str(_l("The file is empty."))])
    problems = []
    header = [name.strip() for name in header]
    unknown = [name or '""' for name in header if name not in COLUMNS]
    missing = [name for name in COLUMNS if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown:
        message = _l("unknown columns: %(names)s", names=", ".join(unknown))
        problems.append(_on_line(1, "header", str(message)))
    if missing:
        message = _l("missing columns: %(names)s", names=", ".join(missing))
        problems.append(_on_line(1, "header", str(message)))
    if repeated:
        message = _l("columns that appear twice: %(names)s", names=", ".join(repeated))
        problems.append(_on_line(1, "header", str(message)))
    if problems:
        raise ImportRejected(problems)
    rows = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            if len(cells) != len(header):
                message = _l(
                    "this row has %(cells)s cells; the header has %(columns)s.",
                    cells=len(cells),
                    columns=len(header),
                )
                problems.append(_on_line(line, "row", str(message)))
            else:
                rows.append((line, dict(zip(header, cells, strict=True))))
        line = reader.line_num + 1
    if problems:
        raise ImportRejected(problems)
    return rows
