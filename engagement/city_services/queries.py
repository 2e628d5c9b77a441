"""Reading the catalog: search, browsing, a service's page, find my ward, the edit log, exports."""

import csv
import io
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from engagement.city_services.models import (
    CODE_MAX_LENGTH,
    EditSource,
    Service,
    ServiceCategory,
    ServiceEdit,
)
from engagement.city_services.records import CODE_PATTERN, COLUMNS, changed_columns, record_of
from engagement.city_services.search import CatalogEntry, SearchIndex
from engagement.consultations.models import Consultation
from engagement.errors import NotFound
from engagement.geography.models import Neighborhood
from engagement.i18n import TranslatedValue, translated

#: A council member's page, by ward number (the City's pattern, from the research notes).
WARD_PAGE = "https://www.minneapolismn.gov/government/city-council/members/ward-{number}/"
#: Where to look when we don't know a neighborhood's ward.
COUNCIL_PAGE = "https://www.minneapolismn.gov/government/city-council/"
#: Services whose page points to a consultation residents may want to comment on: people who
#: come to complain about the police should learn about the facial-recognition pilot, and
#: the pilot's page points back (templates/consultations/show.html).
POLICE_COMPLAINT_SERVICE = "opcr-complaint"
RELATED_CONSULTATIONS = {POLICE_COMPLAINT_SERVICE: "clearview-ai-pilot"}
SERVICES_FOR_CONSULTATIONS = {slug: code for code, slug in RELATED_CONSULTATIONS.items()}


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceHit:
    """One search result, with its text in the reader's language where we have it."""

    code: str
    name: TranslatedValue
    description: TranslatedValue
    category: str
    score: float


@dataclass(frozen=True)
class ServiceSearch:
    text: str
    hits: list[ServiceHit]
    #: The closest known name or keyword, offered when nothing matched.
    suggestion: TranslatedValue | None


#: One index per database (engine, or a test's connection): an app's workers each keep their
#: own copy and check it against the database on every search (see _catalog_version).
_indexes: "weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], SearchIndex]]" = (
    weakref.WeakKeyDictionary()
)
_indexes_lock = threading.Lock()


def _catalog_version(session: Session) -> tuple[Any, ...]:
    """A value that changes whenever any service is added, edited, imported or removed.

    Every UPDATE raises a service's version (the version_id_col), an INSERT raises the highest
    id, a DELETE lowers the count: one cheap aggregate read, correct across workers.
    """
    row = session.execute(
        select(
            func.count(Service.id),
            func.max(Service.id),
            func.sum(Service.version),
            func.max(Service.updated_at),
        )
    ).one()
    return tuple(row)


def search_index(session: Session) -> SearchIndex:
    """The search index of the active services, rebuilt only when the catalog has changed."""
    version = _catalog_version(session)
    bind = session.get_bind()
    with _indexes_lock:
        cached = _indexes.get(bind)
    if cached is not None and cached[0] == version:
        return cached[1]
    services = session.scalars(
        select(Service)
        .where(Service.active)
        .options(joinedload(Service.category))
        .order_by(Service.code)
    )
    index = SearchIndex(
        CatalogEntry(
            code=service.code,
            category=service.category.slug,
            name=service.name,
            description=service.description,
            keywords=service.keywords or {},
            prepare=service.prepare or {},
        )
        for service in services
    )
    with _indexes_lock:
        _indexes[bind] = (version, index)
    return index


def search_services(session: Session, text: str, lang: str) -> list[ServiceHit]:
    """Active services matching what a resident typed, best first.

    Names, keywords and descriptions in every language are searched, ignoring case and
    accents and forgiving a typo or two; see engagement.city_services.search for the ranking.
    """
    return [
        ServiceHit(
            code=hit.entry.code,
            name=translated(hit.entry.name, lang),
            description=translated(hit.entry.description, lang),
            category=hit.entry.category,
            score=hit.score,
        )
        for hit in search_index(session).search(text, lang)
    ]


def suggest_keyword(session: Session, text: str, lang: str) -> TranslatedValue | None:
    """The known name or keyword closest to ``text`` ("did you mean"), with its language."""
    found = search_index(session).suggest(text, lang)
    if found is None:
        return None
    word, word_lang = found
    return TranslatedValue(word, word_lang, is_fallback=False)


def find_services(session: Session, text: str, lang: str) -> ServiceSearch:
    """A search page's answer: the results, or a suggestion when there are none."""
    hits = search_services(session, text, lang)
    return ServiceSearch(text, hits, None if hits else suggest_keyword(session, text, lang))


# --- browsing and pages ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceSummary:
    code: str
    name: TranslatedValue
    description: TranslatedValue


@dataclass(frozen=True)
class CategoryGroup:
    slug: str
    name: TranslatedValue
    services: list[ServiceSummary]


def catalog_by_category(session: Session, lang: str) -> list[CategoryGroup]:
    """Every active service under its category, categories in catalog order, services by name."""
    categories = session.scalars(select(ServiceCategory).order_by(ServiceCategory.position))
    services = session.scalars(select(Service).where(Service.active))
    by_category: dict[int, list[ServiceSummary]] = {}
    for service in services:
        by_category.setdefault(service.category_id, []).append(
            ServiceSummary(
                service.code,
                translated(service.name, lang),
                translated(service.description, lang),
            )
        )
    return [
        CategoryGroup(
            category.slug,
            translated(category.name, lang),
            sorted(by_category[category.id], key=lambda s: s.name.text.casefold()),
        )
        for category in categories
        if category.id in by_category
    ]


def category_names(session: Session, lang: str) -> dict[str, TranslatedValue]:
    """Each category's name in the reader's language, by slug."""
    return {
        category.slug: translated(category.name, lang)
        for category in session.scalars(select(ServiceCategory).order_by(ServiceCategory.position))
    }


@dataclass(frozen=True)
class ServicePage:
    service: Service
    category: TranslatedValue
    #: The reader's 311 interpreted line, when it is in the catalog.
    language_line: Service | None
    #: A consultation this service's visitors may want to comment on.
    consultation: Consultation | None


def service_by_code(session: Session, code: str, *, include_inactive: bool = False) -> Service:
    """One service with its category.

    Raises:
        NotFound: no such service, or (for the public) it is inactive.
    """
    # Anything else can't be a code; PostgreSQL would even refuse a NUL byte as an error.
    if len(code) > CODE_MAX_LENGTH or not CODE_PATTERN.fullmatch(code):
        raise NotFound
    service = session.scalar(
        select(Service).where(Service.code == code).options(joinedload(Service.category))
    )
    if service is None or not (service.active or include_inactive):
        raise NotFound
    return service


def language_line_service(session: Session, lang: str) -> Service | None:
    """The 311 line that answers in ``lang`` (Spanish, Somali, Hmong), if the catalog has it."""
    return session.scalar(
        select(Service).where(Service.language_line == lang, Service.active).limit(1)
    )


def service_page(session: Session, code: str, lang: str) -> ServicePage:
    """What a service's page shows.

    Raises:
        NotFound: no such active service.
    """
    service = service_by_code(session, code)
    slug = RELATED_CONSULTATIONS.get(service.code)
    consultation = (
        session.scalar(select(Consultation).where(Consultation.slug == slug)) if slug else None
    )
    return ServicePage(
        service=service,
        category=translated(service.category.name, lang),
        language_line=language_line_service(session, lang),
        consultation=consultation,
    )


# --- find my ward ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WardLink:
    number: int
    url: str


@dataclass(frozen=True)
class WardLookup:
    neighborhood: str
    community: str
    #: Empty when the City's ward pages don't list this neighborhood.
    wards: list[WardLink]


def ward_lookup(session: Session, neighborhood_slug: str) -> WardLookup:
    """The community and council ward(s) of a neighborhood, with each ward's council page.

    Raises:
        NotFound: no neighborhood with this slug.
    """
    neighborhood = session.scalar(
        select(Neighborhood)
        .where(Neighborhood.slug == neighborhood_slug)
        .options(joinedload(Neighborhood.community), selectinload(Neighborhood.wards))
    )
    if neighborhood is None:
        raise NotFound
    return WardLookup(
        neighborhood=neighborhood.name,
        community=neighborhood.community.name,
        wards=[
            WardLink(ward.number, WARD_PAGE.format(number=ward.number))
            for ward in neighborhood.wards
        ],
    )


# --- staff ----------------------------------------------------------------------------------


def services_for_staff(session: Session) -> list[Service]:
    """Every service, inactive ones included, with its category, by code."""
    return list(
        session.scalars(
            select(Service).options(joinedload(Service.category)).order_by(Service.code)
        )
    )


def category_choices(session: Session, lang: str) -> list[tuple[str, TranslatedValue]]:
    return list(category_names(session, lang).items())


@dataclass(frozen=True)
class Change:
    column: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    created_at: datetime
    actor: str
    source: EditSource
    changes: list[Change]


def service_history(session: Session, service_id: int) -> list[HistoryEntry]:
    """The edit log of one service, newest first, each entry with the columns it changed."""
    entries = session.scalars(
        select(ServiceEdit)
        .where(ServiceEdit.service_id == service_id)
        .order_by(ServiceEdit.created_at.desc(), ServiceEdit.id.desc())
    )
    return [
        HistoryEntry(
            entry.created_at,
            entry.actor,
            entry.source,
            [
                Change(column, entry.before.get(column, ""), entry.after.get(column, ""))
                for column in changed_columns(entry.before, entry.after)
            ],
        )
        for entry in entries
    ]


def latest_edit(session: Session, service_id: int) -> ServiceEdit | None:
    return session.scalar(
        select(ServiceEdit)
        .where(ServiceEdit.service_id == service_id)
        .order_by(ServiceEdit.created_at.desc(), ServiceEdit.id.desc())
        .limit(1)
    )


def services_csv(session: Session) -> str:
    """Every service as CSV, one row each, by code: what `flask services export` writes.

    Importing this text back changes nothing, and exporting again gives the same text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for service in services_for_staff(session):
        record = record_of(service)
        writer.writerow([record[column] for column in COLUMNS])
    return buffer.getvalue()


# --- Open311 --------------------------------------------------------------------------------


def open311_services(session: Session) -> list[Service]:
    """The active services, by category then code, as the Open311 service list gives them."""
    return list(
        session.scalars(
            select(Service)
            .join(Service.category)
            .where(Service.active)
            .options(joinedload(Service.category))
            .order_by(ServiceCategory.position, Service.code)
        )
    )


def catalog_changed_at(session: Session) -> datetime | None:
    """When a service last changed (Open311's changeset), or None for an empty catalog."""
    return session.scalar(select(func.max(Service.updated_at)))
