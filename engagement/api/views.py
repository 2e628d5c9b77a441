"""The public JSON API v1 (read-only, public data only) and the open-data dictionary page.

Every answer under /api/v1 is JSON in one language (``?lang=``, else Accept-Language, else
English; named in ``Content-Language`` and in the ``language`` field), carries a strong ETag
(``If-None-Match`` gives 304) and a Cache-Control, and may be read from any web site (CORS,
without credentials). The rate limits are the site's limiter, so their counters live with the
site's (Redis in production). Errors have one shape: ``{"error": {"code", "message",
"parameter"?}}`` (see ``engagement.errors.error_response``).

Adding an address: its view here, and its operation in openapi.json; tests/api fails until
the two match.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed

from engagement.api import queries, serializers
from engagement.api.parameters import (
    LANGUAGE_PARAMETER,
    InvalidParameter,
    Query,
    cursor_for,
)
from engagement.city_services.queries import open311_services, search_services
from engagement.city_services.search import MAX_QUERY_LENGTH
from engagement.comments.models import RESIDENCE_LABELS, Channel, Position
from engagement.comments.queries import (
    PUBLIC_FIELDS,
    CommentFilters,
    comment_counts,
    public_record,
    published_comments_feed,
    receipt_by_code,
)
from engagement.consultations.models import PHASE_LABELS, Consultation
from engagement.consultations.queries import consultation_by_slug, consultations_newest_first
from engagement.db import db, utcnow
from engagement.errors import NotFound, error_response
from engagement.extensions import limiter
from engagement.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language
from engagement.page_cache import public_page
from engagement.tallies.exports import open_data_csv, tally_json
from engagement.tallies.queries import (
    TallyFilters,
    open_data_rows,
    open_data_version,
    tally,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: The data dictionary is a page of the site, in the reader's language like every other page.
pages = Blueprint("open_data", __name__, url_prefix="/<lang>")

#: The API description, kept in the repository and served as it is.
OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")

#: Consultations and comments change as comments are published: a cache may keep them a minute.
LIST_CACHE = "public, max-age=60"
#: Topics, neighborhoods and the API description change with a deploy or a seed.
REFERENCE_CACHE = "public, max-age=3600"
#: The status of one comment is looked up by its code: it may hold a pending text only the
#: code's holder may read, and it changes with every decision. No cache may keep it.
RECEIPT_CACHE = "private, no-store"
ERROR_CACHE = "no-store"

COMMENTS_PER_PAGE = 20
MAX_COMMENTS_PER_PAGE = 100
TALLY_PARAMETERS = (
    "topic",
    "neighborhood",
    "community",
    "ward",
    "language",
    "channel",
    "since",
    "until",
)
COMMENT_PARAMETERS = (
    "topic",
    "position",
    "neighborhood",
    "community",
    "ward",
    "language",
    "channel",
    "since",
    "until",
    "cursor",
    "limit",
)

#: Read-only use from any web site; no cookies (the API has no use for them).
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match",
    "Access-Control-Expose-Headers": (
        "ETag, Content-Language, Retry-After, "
        "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
    ),
    "Access-Control-Max-Age": "86400",
}
DEFAULT_API_RATE_LIMIT = "120 per minute"


def _api_rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", DEFAULT_API_RATE_LIMIT))


def _lookup_rate_limit() -> str:
    return str(current_app.config["STATUS_LOOKUP_RATE_LIMIT"])


#: One budget per client for the whole API, checked when the view runs (after the language is
#: known, so a 429 is in the client's language).
api_limit = limiter.shared_limit(_api_rate_limit, scope="api")


# --- the API ------------------------------------------------------------------------------


@bp.get("/openapi.json")
@api_limit
def openapi() -> Response:
    Query(request.args, ())
    response = current_app.response_class(
        OPENAPI_DOCUMENT.read_bytes(), mimetype="application/json"
    )
    response.headers["Cache-Control"] = REFERENCE_CACHE
    # The description is written in English, whatever language was asked for.
    response.headers["Content-Language"] = DEFAULT_LANGUAGE
    return response


@bp.get("/consultations")
@api_limit
def consultations() -> Response:
    Query(request.args, ())
    found = consultations_newest_first(db.session)
    counts = comment_counts(db.session, [item.id for item in found])
    now = utcnow()
    return _answer(
        [serializers.consultation(item, counts[item.id], now) for item in found], LIST_CACHE
    )


@bp.get("/consultations/<slug>")
@api_limit
def consultation(slug: str) -> Response:
    Query(request.args, ())
    found = _consultation(slug)
    counts = comment_counts(db.session, [found.id])[found.id]
    return _answer(serializers.consultation(found, counts, utcnow()), LIST_CACHE)


@bp.get("/consultations/<slug>/comments")
@api_limit
@public_page(max_age=60)
def comments(slug: str) -> Response:
    query = Query(request.args, COMMENT_PARAMETERS)
    found = _consultation(slug)
    secret = current_app.config["SECRET_KEY"]
    page = published_comments_feed(
        db.session,
        found,
        _comment_filters(query, found),
        after=query.position("cursor", secret),
        limit=query.number("limit", low=1, high=MAX_COMMENTS_PER_PAGE) or COMMENTS_PER_PAGE,
    )
    return _answer(
        [public_record(comment) for comment in page.comments],
        LIST_CACHE,
        next_cursor=cursor_for(page.next_position, secret) if page.next_position else None,
        has_more=page.has_more,
    )


@bp.get("/consultations/<slug>/tallies")
@api_limit
@public_page(max_age=60)
def tallies(slug: str) -> Response:
    """Every table of the council report, for the published comments."""
    query = Query(request.args, TALLY_PARAMETERS)
    found = _consultation(slug)
    comment_filters = _comment_filters(query, found, moments=False)
    # Days out of order select nothing, as for the comments (filters combine with AND).
    since, until = query.day("since"), query.day("until")
    filters = TallyFilters(
        since=since,
        until=until,
        topic=comment_filters.topic,
        community=comment_filters.community,
        neighborhood=comment_filters.neighborhood,
        ward=comment_filters.ward,
        language=comment_filters.language,
        channel=comment_filters.channel,
    )
    result = tally(db.session, found, filters, now=utcnow())
    return _answer(tally_json(result, current_language()), LIST_CACHE)


@bp.get("/consultations/<slug>/comments.csv")
@api_limit
def comments_csv(slug: str) -> Response:
    """The open data: every published comment, one CSV row each, streamed."""
    Query(request.args, ())
    found = _consultation(slug)
    version = open_data_version(db.session, found)
    if request.if_none_match.contains(version):
        # Answered before the stream starts: an unread stream would outlive its request.
        unchanged = current_app.response_class(status=304)
        unchanged.set_etag(version)
        unchanged.headers["Cache-Control"] = LIST_CACHE
        return unchanged
    response = current_app.response_class(
        stream_with_context(open_data_csv(open_data_rows(db.session, found))),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{found.slug}-comments.csv"',
            "Cache-Control": LIST_CACHE,
        },
    )
    response.set_etag(version)
    return response


@bp.get("/services")
@api_limit
def services() -> Response:
    """The city-services catalog; with ``q``, the services matching it, best first."""
    query = Query(request.args, ("q",))
    text = query.text("q")
    if text is not None and len(text) > MAX_QUERY_LENGTH:
        raise InvalidParameter(
            "q",
            _l(
                "“%(parameter)s” can be at most %(count)s characters.",
                parameter="q",
                count=MAX_QUERY_LENGTH,
            ),
        )
    catalog = {item.code: item for item in open311_services(db.session)}
    if text is None:
        found = [serializers.service(item) for item in catalog.values()]
    else:
        found = [
            serializers.service(catalog[hit.code], round(hit.score, 3))
            for hit in search_services(db.session, text, current_language())
            if hit.code in catalog
        ]
    return _answer(found, REFERENCE_CACHE if text is None else LIST_CACHE)


@bp.get("/topics")
@api_limit
def topics() -> Response:
    query = Query(request.args, ("consultation",))
    slug = query.text("consultation")
    found = queries.topics_of(db.session, _consultation_parameter(slug) if slug else None)
    return _answer([serializers.topic(item) for item in found], REFERENCE_CACHE)


@bp.get("/neighborhoods")
@api_limit
def neighborhoods() -> Response:
    Query(request.args, ())
    found = queries.neighborhoods_with_wards(db.session)
    return _answer([serializers.neighborhood(item) for item in found], REFERENCE_CACHE)


@bp.get("/receipts/<code>")
@api_limit
@limiter.shared_limit(_lookup_rate_limit, scope="receipt-lookup")
def receipt(code: str) -> Response:
    Query(request.args, ())
    found = receipt_by_code(db.session, code)
    return _answer(serializers.receipt(found), RECEIPT_CACHE)


def _answer(data: Any, cache_control: str, **extra: Any) -> Response:
    """A JSON answer in the envelope every address shares, its keys in the order written."""
    body = json.dumps({"language": current_language(), "data": data, **extra}, ensure_ascii=False)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Cache-Control"] = cache_control
    return response


def _comment_filters(
    query: Query, consultation: Consultation, *, moments: bool = True
) -> CommentFilters:
    """The filters of the public comments page, plus community, ward, channel and dates.

    ``moments``: read ``since`` and ``until`` as moments (the tallies read them as days).

    A slug that names nothing is an error, not an empty list: a typo must not read as "no
    comments".
    """
    topic = query.text("topic")
    if topic is not None and topic not in {item.slug for item in consultation.topics}:
        raise InvalidParameter(
            "topic",
            _l(
                "This consultation has no topic with this slug. "
                "/api/v1/topics?consultation=%(slug)s lists its topics.",
                slug=consultation.slug,
            ),
        )
    neighborhood = query.text("neighborhood")
    if neighborhood is not None and not queries.is_neighborhood(db.session, neighborhood):
        raise InvalidParameter(
            "neighborhood",
            _l("No neighborhood has this slug. /api/v1/neighborhoods lists them all."),
        )
    community = query.text("community")
    if community is not None and not queries.is_community(db.session, community):
        raise InvalidParameter(
            "community",
            _l(
                "No community has this slug. "
                "/api/v1/neighborhoods lists every neighborhood with its community."
            ),
        )
    ward = None
    if query.text("ward") is not None:
        wards = queries.ward_numbers(db.session) or [1]
        ward = query.number("ward", low=wards[0], high=wards[-1])
    position = query.choice("position", [item.value for item in Position])
    channel = query.choice("channel", [item.value for item in Channel])
    return CommentFilters(
        topic=topic,
        position=Position(position) if position else None,
        neighborhood=neighborhood,
        language=query.choice("language", list(LANGUAGES)),
        community=community,
        ward=ward,
        channel=Channel(channel) if channel else None,
        since=query.moment("since") if moments else None,
        until=query.moment("until") if moments else None,
    )


def _consultation(slug: str) -> Consultation:
    """The consultation of an address.

    Raises:
        NotFound: no consultation has this slug (a NUL in it is refused before the database:
            PostgreSQL can't compare text holding one).
    """
    if "\x00" in slug:
        raise NotFound
    return consultation_by_slug(db.session, slug)


def _consultation_parameter(slug: str) -> Consultation:
    try:
        return _consultation(slug)
    except NotFound:
        raise InvalidParameter(
            "consultation",
            _l("No consultation has this slug. /api/v1/consultations lists them all."),
        ) from None


# --- what every answer under /api/v1 gets ---------------------------------------------------


def _is_api_request() -> bool:
    prefix = bp.url_prefix or ""
    return request.path == prefix or request.path.startswith(f"{prefix}/")


@bp.before_app_request
def _choose_language() -> None:
    """``?lang=``, else Accept-Language, else English.

    Unlike the pages, the API ignores the saved-language cookie: an answer must depend only on
    its address and on the headers named in ``Vary``, or shared caches would mix languages.
    Runs for addresses that match no route too, so that their 404 is in the asked language.
    """
    if not _is_api_request():
        return
    g.lang = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
    if request.url_rule is not None and LANGUAGE_PARAMETER in request.args:
        values = request.args.getlist(LANGUAGE_PARAMETER)
        asked = Query(MultiDict([(LANGUAGE_PARAMETER, value) for value in values]), ())
        g.lang = asked.choice(LANGUAGE_PARAMETER, list(LANGUAGES)) or g.lang


@bp.errorhandler(InvalidParameter)
def _invalid_parameter(error: InvalidParameter) -> tuple[Any, int]:
    return error_response(error.status_code, error.message, parameter=error.parameter)


@bp.after_app_request
def _finish(response: Response) -> Response:
    """Language, CORS and caching headers, and the ETag (with 304 when the client has it)."""
    if not _is_api_request():
        return response
    response.headers.setdefault("Content-Language", current_language())
    response.vary.add("Accept-Language")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers.update(CORS_HEADERS)
    exception = request.routing_exception
    if response.status_code == 405 and isinstance(exception, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(sorted(exception.valid_methods or ()))
    if response.status_code >= 400:
        response.headers["Cache-Control"] = ERROR_CACHE
    elif response.status_code == 200 and request.method in ("GET", "HEAD"):
        _make_conditional(response)
    return response


def _make_conditional(response: Response) -> None:
    """A strong ETag from the body (the same bytes give the same tag, whichever worker
    answers), and 304 without a body when the client already holds it.

    A streamed answer (an export) is not read here, or it would no longer stream: its view
    sets its own ETag, from something cheaper than the body, and this still answers 304.
    """
    if response.get_etag()[0] is None and not response.is_streamed:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    etag = response.get_etag()[0]
    if etag is not None and request.if_none_match.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")


@bp.teardown_app_request
def _forget_language(_error: BaseException | None) -> None:
    # Tests share one app context between requests; the next page picks its own language.
    if _is_api_request():
        g.pop("lang", None)


# --- the data dictionary ------------------------------------------------------------------


@pages.get("/open-data")
def dictionary() -> str:
    return render_template(
        "api/open_data.html",
        fields=PUBLIC_FIELDS,
        residence_labels=RESIDENCE_LABELS,
        phase_labels=PHASE_LABELS,
        consultations_for_download=consultations_newest_first(db.session),
    )
