"""The tallies and the open data as files: labels in the reader's language, CSV that streams.

The open-data CSV keeps machine-readable column names (``receipt_code``, ``position``...) that
never change with the language, so scripts keep working; the data dictionary page explains
each column in every language. The tallies CSV is for people: its headers and labels are in
the reader's language.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from engagement.assets import static_file
from engagement.comments.models import CHANNEL_LABELS, POSITION_NAMES, RESIDENCE_LABELS, Position
from engagement.comments.queries import PUBLIC_FIELDS, utc_timestamp
from engagement.i18n import LANGUAGES, translated
from engagement.tallies.charts import bars, choropleth, columns_by_day, stacked_bars
from engagement.tallies.queries import Count, Row, Tally

TABLE_NAMES = {
    "topic": _l("By topic"),
    "neighborhood": _l("By neighborhood"),
    "community": _l("By community"),
    "ward": _l("By ward"),
    "language": _l("By language"),
    "channel": _l("By channel"),
}


#: The heading of each table's first column.
FIRST_COLUMNS = {
    "topic": _l("Topic"),
    "neighborhood": _l("Neighborhood"),
    "community": _l("Community"),
    "ward": _l("Ward"),
    "language": _l("Language"),
    "channel": _l("Channel"),
}


def row_label(table: str, row: Row, lang: str) -> str:
    """What a table row is called, in the reader's language."""
    if table == "topic":
        return translated(row.label, lang).text
    if table == "neighborhood" and row.key in RESIDENCE_LABELS:
        return str(RESIDENCE_LABELS[row.label])
    if table == "ward":
        return _("Ward %(number)s", number=row.label)
    if table == "language":
        return LANGUAGES[row.key].native_name if row.key in LANGUAGES else row.key
    if table == "channel":
        return str(CHANNEL_LABELS[row.label])
    return str(row.label)


def _counts(count: Count) -> dict[str, int]:
    return {"comments": count.comments, "campaigns_once": count.campaigns_once}


def _row_json(table: str, row: Row, lang: str) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row_label(table, row, lang),
        **_counts(row.total),
        "by_position": {str(p): _counts(c) for p, c in row.by_position.items()},
    }


def tally_json(tally: Tally, lang: str) -> dict[str, Any]:
    """Every table of the report as plain JSON values (published counts only unless staff)."""
    filters = {
        key: (value.isoformat() if hasattr(value, "isoformat") else value)
        for key, value in vars(tally.filters).items()
        if value not in (None, False)
    }
    return {
        "consultation": tally.consultation.slug,
        "as_of": utc_timestamp(tally.as_of),
        "language": lang,
        "counted": "published_and_pending" if tally.filters.include_pending else "published",
        "filters": filters,
        "total": {
            **_counts(tally.total.total),
            "by_position": {str(p): _counts(c) for p, c in tally.total.by_position.items()},
        },
        "tables": {
            table: [_row_json(table, row, lang) for row in rows]
            for table, rows in tally.tables.items()
        },
        "by_day": [{"date": day.isoformat(), "comments": count} for day, count in tally.by_day],
        "campaigns": [
            {
                "id": campaign.id,
                "copies": campaign.copies,
                "by_position": {str(p): n for p, n in campaign.by_position.items()},
                "places": campaign.places,
                # Only a published copy's text, and only its code: never a pending one's.
                "text": campaign.representative.public_text if campaign.representative else None,
                "language": campaign.representative.locale if campaign.representative else None,
                "receipt_code": (
                    campaign.representative.receipt_code if campaign.representative else None
                ),
            }
            for campaign in tally.campaigns
        ],
        "highlights": {
            slug: [
                {
                    "receipt_code": quote.receipt_code,
                    "text": quote.public_text,
                    "language": quote.locale,
                }
                for quote in quotes
            ]
            for slug, quotes in tally.highlights.items()
        },
        "rules": {
            "campaigns_once": _(
                "Each form-letter campaign counted once in a row, however many copies it holds."
            ),
            "wards": _(
                "A neighborhood that lies in several wards counts in each of them, so ward rows "
                "can add up to more than the total."
            ),
        },
    }


def tally_charts(
    tally: Tally, lang: str, shapes: Mapping[str, Any] | None = None
) -> dict[str, Markup]:
    """The charts of a tally, each drawn beside its data table; maps only when ``shapes`` are given.

    The neighborhood table has no bar chart of its own (ninety bars help nobody): the maps show
    it instead.
    """
    series = [str(name) for name in POSITION_NAMES.values()]

    def by_position(table: str, title: str) -> Markup:
        return stacked_bars(
            title,
            _("Comments counted by position, one bar per row of the table below."),
            series,
            [
                (row_label(table, row, lang), [c.comments for c in row.by_position.values()])
                for row in tally.tables[table]
            ],
            chart_id=f"chart-{table}",
            number_format=format_decimal,
        )

    def totals(table: str, title: str) -> Markup:
        return bars(
            title,
            _("Comments counted, one bar per row of the table below."),
            [(row_label(table, row, lang), row.total.comments) for row in tally.tables[table]],
            chart_id=f"chart-{table}",
            number_format=format_decimal,
        )

    charts = {
        "topic": by_position("topic", _("Comments by topic and position")),
        "community": by_position("community", _("Comments by community and position")),
        "ward": by_position("ward", _("Comments by ward and position")),
        "language": totals("language", _("Comments by language")),
        "channel": totals("channel", _("Comments by channel")),
        "day": columns_by_day(
            _("Comments by day received"),
            _("Comments counted, by the day they were received."),
            [(format_date(day, "d MMM"), count) for day, count in tally.by_day],
            chart_id="chart-day",
            number_format=format_decimal,
        ),
    }
    if shapes:
        neighborhoods = [row for row in tally.by_neighborhood if row.key in shapes]
        names = {row.key: str(row.label) for row in neighborhoods}
        largest = max((row.total.comments for row in neighborhoods), default=0)
        no_data = _("No comments counted")
        charts["map"] = choropleth(
            _("Comments counted by neighborhood"),
            _(
                "Darker neighborhoods sent more comments. "
                "The numbers are in the table by neighborhood."
            ),
            shapes,
            names,
            {row.key: row.total.comments for row in neighborhoods},
            scale="sequential",
            legend=[format_decimal(0), format_decimal(largest)],
            no_data=no_data,
            domain=(0, max(largest, 1)),
            chart_id="chart-map",
            number_format=format_decimal,
        )
        charts["balance_map"] = choropleth(
            _("Support and opposition by neighborhood"),
            _(
                "Orange neighborhoods leaned towards opposing the pilot, blue ones towards "
                "supporting it: the share of comments in support minus the share opposed."
            ),
            shapes,
            names,
            {
                row.key: row.share(Position.SUPPORT) - row.share(Position.OPPOSE)
                for row in neighborhoods
            },
            scale="diverging",
            legend=[_("All oppose"), _("Even"), _("All support")],
            no_data=no_data,
            domain=(-1, 1),
            chart_id="chart-balance-map",
            number_format=lambda share: format_percent(share),
        )
    return {name: chart for name, chart in charts.items() if chart}


def tally_csv(tally: Tally, lang: str) -> str:
    """The tables as one CSV for a spreadsheet: one line per table, row and position."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Table"), _("Key"), _("Row"), _("Position"), _("Comments"), _("Campaigns counted once")]
    )

    def lines(table: str, key: str, label: str, row: Row) -> None:
        for position in Position:
            count = row.by_position[position]
            writer.writerow(
                [table, key, label, POSITION_NAMES[position], count.comments, count.campaigns_once]
            )
        writer.writerow(
            [table, key, label, _("All positions"), row.total.comments, row.total.campaigns_once]
        )

    lines(_("Total"), "all", _("All comments counted"), tally.total)
    for table, rows in tally.tables.items():
        for row in rows:
            lines(str(TABLE_NAMES[table]), row.key, row_label(table, row, lang), row)
    for day, count in tally.by_day:
        writer.writerow(
            [_("By day"), day.isoformat(), day.isoformat(), _("All positions"), count, ""]
        )
    return out.getvalue()


def report_pdf(page: str, base_url: str) -> bytes:
    """The printable report page as a PDF with selectable text, drawn by WeasyPrint.

    The page may load our own stylesheet (read from disk) and nothing else: no network.
    """
    from weasyprint import HTML  # Imported on first use: it is slow to load, and rarely needed.
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

    class OwnFilesOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = urlsplit(url).path
            name = path.removeprefix("/static/") if path.startswith("/static/") else None
            local = static_file(name) if name else None
            if local is None:
                raise URLFetchingError(f"The report may not load {url}")
            return URLFetcherResponse(
                url, local.read_bytes(), headers={"Content-Type": "text/css; charset=utf-8"}
            )

    return HTML(string=page, base_url=base_url, url_fetcher=OwnFilesOnly()).write_pdf()


def open_data_csv(rows: Iterable[list[Any]], *, chunk: int = 2_000) -> Iterator[str]:
    """Stream rows of ``PUBLIC_FIELDS`` as CSV text, a chunk of rows at a time.

    Lists (topics, wards) are joined with ";" as the data dictionary says; empty values are
    empty cells.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PUBLIC_FIELDS)
    pending = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        pending += 1
        if pending == chunk:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            pending = 0
    yield out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if value is None:
        return ""
    return value
