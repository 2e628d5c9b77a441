"""Whole public pages kept by each worker and validated for browsers and the City's proxy.

A page that is the same for every anonymous visitor (no form tokens, no flash, nobody signed
in) is drawn once per address, language and content version (engagement.versions), then served
from memory until a change is committed: a comment published, a topic renamed. It carries a
strong ETag (answered with 304) and a short public Cache-Control, so the proxy and browsers can
reuse it too. Staff, visitors with a message waiting and every non-GET request get a fresh page.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, make_response, request, session
from flask_login import current_user

from engagement.db import db
from engagement.i18n import current_language
from engagement.versions import PUBLIC, REFERENCE, KeptCopies

View = TypeVar("View", bound=Callable[..., Any])

_pages = KeptCopies(size=512)
#: Headers a kept page is served with (the rest, like security headers, are added per request).
_KEPT_HEADERS = ("Content-Type", "Content-Language")


def public_page(max_age: int = 30) -> Callable[[View], View]:
    """Serve the view's page from a per-worker copy while the content is unchanged."""

    def decorator(view: View) -> View:
        @wraps(view)
        def served(*args: Any, **kwargs: Any) -> Any:
            if not shared_page():
                return view(*args, **kwargs)
            stamp = _pages.stamp(db.session, (REFERENCE, PUBLIC))
            key = (request.host_url, request.path, request.query_string, current_language())
            etag = hashlib.sha256(repr((key, stamp)).encode()).hexdigest()[:32]
            kept = _pages.find(db.session, key, stamp)
            if kept is None:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200 or response.is_streamed or _touched_session():
                    return response
                kept = (
                    response.get_data(),
                    {
                        name: response.headers[name]
                        for name in _KEPT_HEADERS
                        if name in response.headers
                    },
                )
                _pages.keep(db.session, key, stamp, kept)
            body, headers = kept
            answer = Response(body, status=200, headers=headers)
            answer.set_etag(etag)
            answer.cache_control.public = True
            answer.cache_control.max_age = max_age
            return answer.make_conditional(request)

        return served  # type: ignore[return-value]

    return decorator


def shared_page() -> bool:
    """Whether this visitor gets the page everyone gets."""
    return (
        request.method in ("GET", "HEAD")
        and not current_app.debug
        and "_flashes" not in session
        and not current_user.is_authenticated
    )


def _touched_session() -> bool:
    """A view that wrote to the visitor's session made a page of that visitor's own."""
    return bool(session.modified)


#: Stand-ins for a visitor's own tokens in a kept form page (never valid tokens themselves).
CSRF_MARK = "\x00csrf-token\x00"
SUBMISSION_MARK = "\x00submission-token\x00"


@dataclass(frozen=True)
class FormPage:
    """A page with a form, drawn once, with marks where each visitor's tokens go."""

    page: str
    #: What the page depends on besides the content version (a consultation's phase).
    condition: Any


_form_pages = KeptCopies(size=64)


def shared_form_page(
    key: Any,
    condition: Any,
    draw: Callable[[], tuple[str, int, str, str]],
    tokens: Callable[[], tuple[str, str]],
) -> tuple[str, int]:
    """A form page for everyone: drawn by ``draw`` (page, status, csrf token, submission token
    it used) once per key, content version and ``condition``; served with fresh ``tokens()``.

    Only the parts that differ per visitor (the CSRF and submission tokens) are made per
    request; the rest (the consultation text, the choice lists, navigation) is shared.
    """
    stamp = _form_pages.stamp(db.session, (REFERENCE,))
    kept: FormPage | None = _form_pages.find(db.session, key, stamp)
    if kept is not None and kept.condition == condition:
        csrf, submission = tokens()
        return kept.page.replace(CSRF_MARK, csrf).replace(SUBMISSION_MARK, submission), 200
    page, status, csrf, submission = draw()
    if status == 200 and csrf and submission and page.count(csrf) == 1:
        skeleton = page.replace(csrf, CSRF_MARK).replace(submission, SUBMISSION_MARK)
        _form_pages.keep(db.session, key, stamp, FormPage(skeleton, condition))
    return page, status
