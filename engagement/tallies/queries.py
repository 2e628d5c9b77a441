"""Counting what residents said: the numbers of the council report, the public tallies and the API.

Every number here is computed from the comments that are counted (``is_published``; staff may
add the ones still waiting for review, and the report then says so). Two counts stand side by
side everywhere:

* **comments**: every counted comment;
* **campaigns once**: each form-letter campaign counted once in a row, however many copies of
  it the row holds (a row's comments that are in no campaign, plus the number of distinct
  campaigns among its comments).

Rows that split the comments by place follow one rule, said on every page that shows them: a
comment counts in its neighborhood, that neighborhood's community, and **every ward the
neighborhood lies in** (so ward rows can add up to more than the total); comments from outside
Minneapolis or with no place given have their own rows. Days are days in Minneapolis time.

The data is read with three grouped queries over the counted comments (see ``tally``); on
PostgreSQL they read only the ``ix_comments_tally`` index, never the comments' text.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from engagement.campaigns.models import Campaign
from engagement.comments.models import (
    Channel,
    Comment,
    CommentStatus,
    Position,
    Residence,
)
from engagement.comments.queries import (
    PUBLIC_FIELDS,
    PUBLISHED_STATUSES,
    is_published,
    origin_conditions,
    utc_timestamp,
)
from engagement.consultations.models import Consultation
from engagement.errors import NotFound
from engagement.geography.models import Community, Neighborhood, neighborhood_wards
from engagement.i18n import CITY_TIME
from engagement.moderation.models import ModerationEvent
from engagement.moderation.queries import ModerationSummary, moderation_summary
from engagement.tallies.models import ReportFile

#: The statuses counted when staff ask to include comments still waiting for review.
WITH_PENDING = (*PUBLISHED_STATUSES, CommentStatus.PENDING)
#: How many neighborhoods a campaign's spread lists before "and N more".
SPREAD_SHOWN = 5
#: The largest campaigns the report describes one by one (the tables count them all).
CAMPAIGNS_SHOWN = 20


@dataclass(frozen=True)
class TallyFilters:
    #: Days in Minneapolis time, both included.
    since: date | None = None
    until: date | None = None
    topic: str | None = None
    community: str | None = None
    neighborhood: str | None = None
    ward: int | None = None
    language: str | None = None
    channel: Channel | None = None
    #: Staff only: also count comments still waiting for review.
    include_pending: bool = False

    @property
    def active(self) -> bool:
        return any(
            value not in (None, False)
            for key, value in vars(self).items()
            if key != "include_pending"
        )


@dataclass(frozen=True)
class Count:
    comments: int = 0
    #: Each campaign counted once: comments in no campaign plus distinct campaigns.
    campaigns_once: int = 0


@dataclass(frozen=True)
class Row:
    """One line of a table: a topic, a neighborhood, a language... split by position."""

    key: str
    label: Any
    by_position: dict[Position, Count]
    total: Count

    def share(self, position: Position) -> float:
        """The position's share of the row's comments, 0 when the row is empty."""
        return (
            self.by_position[position].comments / self.total.comments
            if self.total.comments
            else 0.0
        )


@dataclass(frozen=True)
class CampaignSummary:
    id: int
    copies: int
    #: The campaign's first published copy; None while no copy is published (its text is then
    #: not shown, even to staff counting the comments waiting for review).
    representative: Comment | None
    by_position: dict[Position, int]
    #: (a neighborhood's name, or the Residence of copies with none; copies), most first.
    spread: list[tuple[Any, int]]
    places: int


@dataclass(frozen=True)
class Tally:
    consultation: Consultation
    filters: TallyFilters
    as_of: datetime
    total: Row
    by_topic: list[Row]
    by_neighborhood: list[Row]
    by_community: list[Row]
    by_ward: list[Row]
    by_language: list[Row]
    by_channel: list[Row]
    #: (day in Minneapolis, comments received that day and counted).
    by_day: list[tuple[date, int]]
    campaigns: list[CampaignSummary]
    #: Topic slug → the comments moderators marked as representative quotes.
    highlights: dict[str, list[Comment]] = field(default_factory=dict)
    intake: ModerationSummary | None = None

    @property
    def tables(self) -> dict[str, list[Row]]:
        return {
            "topic": self.by_topic,
            "neighborhood": self.by_neighborhood,
            "community": self.by_community,
            "ward": self.by_ward,
            "language": self.by_language,
            "channel": self.by_channel,
        }


def _day_start(day: date) -> datetime:
    """Midnight in Minneapolis, in UTC (the first day a datetime can hold, at the very least)."""
    if day <= date.min + timedelta(days=1):
        return datetime.min.replace(tzinfo=UTC)
    return datetime.combine(day, time.min, tzinfo=CITY_TIME).astimezone(UTC)


def _counted_status(filters: TallyFilters) -> ColumnElement[bool]:
    return Comment.status.in_(WITH_PENDING) if filters.include_pending else is_published()


def counted_conditions(
    consultation: Consultation, filters: TallyFilters
) -> list[ColumnElement[bool]]:
    """The SQL conditions of "counted, under these filters": one place for every table."""
    conditions: list[ColumnElement[bool]] = [
        Comment.consultation_id == consultation.id,
        _counted_status(filters),
    ]
    if filters.since is not None:
        conditions.append(Comment.submitted_at >= _day_start(filters.since))
    if filters.until is not None and filters.until < date.max:
        conditions.append(Comment.submitted_at < _day_start(filters.until + timedelta(days=1)))
    if filters.topic:
        topic = next((t for t in consultation.topics if t.slug == filters.topic), None)
        # An unknown topic matches nothing (the forms only offer the consultation's topics).
        mask = topic.mask if topic is not None else 0
        conditions.append(Comment.topic_bits.op("&")(mask) != 0)
    conditions += origin_conditions(
        neighborhood=filters.neighborhood,
        community=filters.community,
        ward=filters.ward,
        language=filters.language,
        channel=filters.channel,
    )
    return conditions


class _Counter:
    """The comments of one cell of a table, and which campaigns they belong to."""

    __slots__ = ("campaigns", "comments", "single")

    def __init__(self) -> None:
        self.comments = 0
        self.single = 0
        self.campaigns: set[int] = set()

    def add(self, count: int, campaign_id: int | None) -> None:
        self.comments += count
        if campaign_id is None:
            self.single += count
        else:
            self.campaigns.add(campaign_id)

    def count(self) -> Count:
        return Count(self.comments, self.single + len(self.campaigns))


#: table → row key → position (None: all positions) → counter.
_Cells = dict[str, dict[Any, dict[Position | None, _Counter]]]


def _cells() -> _Cells:
    return defaultdict(lambda: defaultdict(lambda: defaultdict(_Counter)))


def _row(cells: Mapping[Position | None, _Counter], key: str, label: Any) -> Row:
    by_position = {
        position: cells[position].count() if position in cells else Count() for position in Position
    }
    return Row(key, label, by_position, cells[None].count() if None in cells else Count())


def tally(
    session: Session,
    consultation: Consultation,
    filters: TallyFilters,
    *,
    now: datetime,
    with_intake: bool = True,
) -> Tally:
    """Every table of the council report, for one consultation under the filters.

    Three grouped reads of the counted comments (by place, language and channel; by topics; by
    hour), each small however many comments there are, rolled up here into every table. A
    campaign's copies stay apart in the grouping (by campaign id), so "each campaign once" is
    exact in every cell.
    """
    where = counted_conditions(consultation, filters)
    cells = _cells()
    places = session.execute(
        select(
            Comment.position,
            Comment.residence,
            Comment.neighborhood_id,
            Comment.locale,
            Comment.channel,
            Comment.campaign_id,
            func.count(),
        )
        .where(*where)
        .group_by(
            Comment.position,
            Comment.residence,
            Comment.neighborhood_id,
            Comment.locale,
            Comment.channel,
            Comment.campaign_id,
        )
    ).all()
    neighborhoods = {n.id: n for n in session.scalars(select(Neighborhood))}
    wards: dict[int, list[int]] = defaultdict(list)
    for n_id, number in session.execute(select(neighborhood_wards)):
        wards[n_id].append(number)
    campaigns = _CampaignCounts()
    for position, residence, n_id, locale, channel, campaign_id, count in places:
        position = Position(position)
        neighborhood = neighborhoods.get(n_id) if n_id is not None else None
        keys = [
            ("all", "all"),
            ("neighborhood", neighborhood.slug if neighborhood else str(residence)),
            ("language", locale),
            ("channel", str(channel)),
        ]
        if neighborhood is not None:
            keys.append(("community", neighborhood.community_id))
            keys.extend(("ward", number) for number in wards[neighborhood.id])
        for table, key in keys:
            cells[table][key][position].add(count, campaign_id)
            cells[table][key][None].add(count, campaign_id)
        if campaign_id is not None:
            place = n_id if n_id is not None else Residence(residence)
            campaigns.add(campaign_id, position, place, count)

    topic_of_bit = {topic.bit: topic for topic in consultation.topics}
    for position, bits, campaign_id, count in session.execute(
        select(Comment.position, Comment.topic_bits, Comment.campaign_id, func.count())
        .where(*where)
        .group_by(Comment.position, Comment.topic_bits, Comment.campaign_id)
    ):
        for bit, topic in topic_of_bit.items():
            if bits & (1 << bit):
                cells["topic"][topic.slug][Position(position)].add(count, campaign_id)
                cells["topic"][topic.slug][None].add(count, campaign_id)

    by_slug = {n.slug: n for n in neighborhoods.values()}
    communities = {c.id: c for c in session.scalars(select(Community))}
    by_neighborhood = sorted(
        (
            _row(c, key, by_slug[key].name)
            for key, c in cells["neighborhood"].items()
            if key in by_slug
        ),
        key=lambda row: row.label,
    )
    by_neighborhood.extend(
        _row(cells["neighborhood"][str(residence)], str(residence), residence)
        for residence in (Residence.OUTSIDE, Residence.UNDISCLOSED)
        if str(residence) in cells["neighborhood"]
    )
    return Tally(
        consultation=consultation,
        filters=filters,
        as_of=now,
        total=_row(cells["all"]["all"], "all", None),
        by_topic=[_row(cells["topic"][t.slug], t.slug, t.name) for t in consultation.topics],
        by_neighborhood=by_neighborhood,
        by_community=sorted(
            (
                _row(c, communities[c_id].slug, communities[c_id].name)
                for c_id, c in cells["community"].items()
            ),
            key=lambda row: row.label,
        ),
        by_ward=[_row(cells["ward"][n], str(n), n) for n in sorted(cells["ward"])],
        by_language=[_row(cells["language"][k], k, k) for k in sorted(cells["language"])],
        by_channel=[
            _row(cells["channel"][str(channel)], str(channel), channel)
            for channel in Channel
            if str(channel) in cells["channel"]
        ],
        by_day=_by_day(session, where),
        campaigns=campaigns.summaries(session, filters, neighborhoods),
        highlights=highlights(session, consultation, where),
        intake=moderation_summary(session, consultation) if with_intake else None,
    )


def _by_day(session: Session, where: list[ColumnElement[bool]]) -> list[tuple[date, int]]:
    """Comments per day in Minneapolis: grouped by UTC hour in SQL, then moved to local days.

    SQLite has no time-zone database, so the database groups by the hour (the same on both)
    and Python, which knows when daylight saving time starts, assigns each hour to its day.
    """
    hour = _utc_hour(session)
    days: dict[date, int] = defaultdict(int)
    for started, comments in session.execute(
        select(hour, func.count()).where(*where).group_by(hour)
    ):
        moment = started if isinstance(started, datetime) else datetime.fromisoformat(started)
        days[moment.replace(tzinfo=UTC).astimezone(CITY_TIME).date()] += comments
    return sorted(days.items())


def _utc_hour(session: Session) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Comment.submitted_at)).label("hour")
    # SQLite keeps the time as text, "2026-11-19 13:00:49.000000": the hour is its first 13
    # characters, which is much cheaper to group by than a date function.
    return (func.substr(Comment.submitted_at, 1, 13) + ":00:00").label("hour")


class _CampaignCounts:
    """Copies of each campaign among the counted comments, by position and by neighborhood."""

    def __init__(self) -> None:
        self.copies: dict[int, int] = defaultdict(int)
        self.positions: dict[int, dict[Position, int]] = defaultdict(lambda: defaultdict(int))
        #: Campaign → neighborhood id, or the Residence of copies without one → copies.
        self.spread: dict[int, dict[Any, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, campaign_id: int, position: Position, place: Any, count: int) -> None:
        self.copies[campaign_id] += count
        self.positions[campaign_id][position] += count
        self.spread[campaign_id][place] += count

    def summaries(
        self,
        session: Session,
        filters: TallyFilters,
        neighborhoods: Mapping[int, Neighborhood],
    ) -> list[CampaignSummary]:
        """The campaigns, largest first, each with its first counted copy as its text."""
        ranked = sorted(self.copies, key=lambda c: (-self.copies[c], c))[:CAMPAIGNS_SHOWN]
        if not ranked:
            return []
        # The text is the campaign's first published copy, whatever the filters (the same
        # letter under every filter), and never a copy still waiting for review.
        first_ids = session.scalars(
            select(func.min(Comment.id))
            .where(is_published(), Comment.campaign_id.in_(ranked))
            .group_by(Comment.campaign_id)
        ).all()
        representatives = {
            comment.campaign_id: comment
            for comment in session.scalars(select(Comment).where(Comment.id.in_(first_ids)))
        }
        summaries = []
        for campaign_id in ranked:
            places = sorted(self.spread[campaign_id].items(), key=lambda item: -item[1])
            summaries.append(
                CampaignSummary(
                    id=campaign_id,
                    copies=self.copies[campaign_id],
                    representative=representatives.get(campaign_id),
                    by_position=dict(self.positions[campaign_id]),
                    spread=[
                        (neighborhoods[place].name if isinstance(place, int) else place, count)
                        for place, count in places[:SPREAD_SHOWN]
                    ],
                    places=len(places),
                )
            )
        return summaries


def highlights(
    session: Session, consultation: Consultation, where: list[ColumnElement[bool]]
) -> dict[str, list[Comment]]:
    """Quotes moderators chose, by topic (a quote on two topics shows under both)."""
    # Sorted here, not in SQL: an ORDER BY would lead the database to the listing index instead
    # of the small index of highlighted comments.
    quotes = sorted(
        session.scalars(
            select(Comment)
            .where(*where, Comment.highlighted)
            .options(selectinload(Comment.topics), selectinload(Comment.neighborhood))
        ),
        key=lambda quote: (quote.submitted_at, quote.id),
    )
    by_topic: dict[str, list[Comment]] = {topic.slug: [] for topic in consultation.topics}
    for quote in quotes:
        for topic in quote.topics:
            by_topic[topic.slug].append(quote)
    return {slug: quotes for slug, quotes in by_topic.items() if quotes}


def open_data_rows(
    session: Session, consultation: Consultation, *, batch: int = 5_000
) -> Iterator[list[Any]]:
    """The published comments, in the order received, as rows of ``PUBLIC_FIELDS``, in constant
    memory.

    The same values as ``public_record`` (the API's), read as plain columns in windows of ids
    (never OFFSET) with the small tables joined in memory, so that a million rows stream fast.
    """
    neighborhoods = {
        n_id: (slug, community)
        for n_id, slug, community in session.execute(
            select(Neighborhood.id, Neighborhood.slug, Community.slug).join(Community)
        )
    }
    wards: dict[int, list[int]] = defaultdict(list)
    for n_id, number in session.execute(
        select(neighborhood_wards.c.neighborhood_id, neighborhood_wards.c.ward_number).order_by(
            neighborhood_wards.c.ward_number
        )
    ):
        wards[n_id].append(number)
    topics = sorted(consultation.topics, key=lambda topic: topic.position)
    # Windows of ids, read through the primary key alone and filtered here: given the consultation
    # and status as well, SQLite picks an index on them and sorts the whole consultation for
    # every batch (quadratic at a million). Published means PUBLISHED_STATUSES, as everywhere.
    last_id = session.scalar(
        select(func.max(Comment.id)).where(Comment.consultation_id == consultation.id)
    )
    start = 0
    while last_id is not None and start < last_id:
        end = start + batch
        comments = session.execute(
            select(
                Comment.id,
                Comment.receipt_code,
                Comment.submitted_at,
                Comment.published_at,
                Comment.position,
                Comment.topic_bits,
                Comment.residence,
                Comment.neighborhood_id,
                Comment.locale,
                Comment.channel,
                Comment.campaign_id,
                Comment.display_name,
                Comment.body,
                Comment.published_body,
                Comment.fingerprint,
                Comment.consultation_id,
                Comment.status,
            )
            .where(Comment.id > start, Comment.id <= end)
            .order_by(Comment.id)
        ).all()
        start = end
        for (
            _id,
            receipt,
            submitted,
            published,
            position,
            bits,
            residence,
            n_id,
            locale,
            channel,
            campaign,
            display_name,
            body,
            published_body,
            fingerprint,
            consultation_id,
            status,
        ) in comments:
            if consultation_id != consultation.id or status not in PUBLISHED_STATUSES:
                continue
            place = neighborhoods.get(n_id) if n_id is not None else None
            record = {
                "receipt_code": receipt,
                "submitted_at": utc_timestamp(submitted),
                "published_at": utc_timestamp(published or submitted),
                "position": position.value,
                "topics": [topic.slug for topic in topics if bits & topic.mask],
                "residence": residence.value,
                "neighborhood": place[0] if place else None,
                "community": place[1] if place else None,
                "wards": wards.get(n_id, []) if n_id is not None else [],
                "language": locale,
                "channel": channel.value,
                "campaign": campaign,
                "display_name": display_name,
                # Redacted: the public copy, and no fingerprint (see public_record).
                "text": body if published_body is None else published_body,
                "fingerprint": fingerprint if published_body is None else None,
            }
            yield [record[name] for name in PUBLIC_FIELDS]


def open_data_version(session: Session, consultation: Consultation) -> str:
    """A tag that changes whenever the open data may have: for the CSV's ETag, without reading it.

    Every decision a moderator takes (publish, redact, hide, restore...) writes a moderation event
    with a new, higher id; a new comment has a higher id; finding campaigns again creates them
    anew (a later ``found_at``); a campaign grows only when a comment arrives. A counter that can
    only grow cannot come back to an old value, so an old copy of the file is never served as new.
    """
    last_event = session.scalar(select(func.max(ModerationEvent.id)))
    last_comment = session.scalar(
        select(func.max(Comment.id)).where(Comment.consultation_id == consultation.id)
    )
    campaigns, last_found = session.execute(
        select(func.count(Campaign.id), func.max(Campaign.found_at)).where(
            Campaign.consultation_id == consultation.id
        )
    ).one()
    found = last_found.timestamp() if last_found else 0
    return f"{consultation.id}-{last_event or 0}-{last_comment or 0}-{campaigns}-{found}"


def report_file_of(session: Session, consultation: Consultation, report_id: int) -> ReportFile:
    """A PDF report asked for on this consultation.

    Raises:
        NotFound: no such report for this consultation.
    """
    found = session.get(ReportFile, report_id)
    if found is None or found.consultation_id != consultation.id:
        raise NotFound
    return found
