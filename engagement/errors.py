"""Domain errors, and the app-wide error pages and JSON errors, in the reader's language."""

from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from engagement.db import db


class DomainError(Exception):
    """A rule of the platform said no. ``message`` is safe to show to the person who asked."""

    status_code = 422
    message: LazyString = _l("This request could not be completed.")

    def __init__(self, message: LazyString | str | None = None) -> None:
        if message is not None:
            self.message = message  # type: ignore[assignment]
        super().__init__(str(self.message))


class NotFound(DomainError):
    status_code = 404
    message = _l("We could not find what you asked for.")


class Conflict(DomainError):
    status_code = 409
    message = _l("Someone else changed this at the same time. Reload the page and try again.")


#: Title and explanation for each HTTP error we show a page for.
ERROR_TEXTS: dict[int, tuple[LazyString, LazyString]] = {
    400: (
        _l("Something in this request was not right"),
        _l("The address or the form had a value we could not use. Go back and try again."),
    ),
    403: (
        _l("You don't have access to this page"),
        _l("If you work for the City, sign in with an account that has access."),
    ),
    404: (
        _l("Page not found"),
        _l("The page may have moved, or the address may have a typo."),
    ),
    405: (
        _l("This action isn't available here"),
        _l("Go back to the page you came from and try again."),
    ),
    409: (
        _l("This was changed at the same time"),
        _l("Someone else changed this at the same time. Reload the page and try again."),
    ),
    413: (
        _l("What you sent is too large"),
        _l(
            "A comment can be up to 10,000 characters. Go back with your browser's Back button: "
            "your text should still be there to shorten."
        ),
    ),
    422: (
        _l("This could not be done"),
        _l("This request could not be completed."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have sent many requests in a short time. Wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("The error has been logged. Try again in a few minutes, or call 311 for help."),
    ),
    503: (
        _l("The site is busy or under maintenance"),
        _l("We could not reach our database just now. Wait a minute and try again."),
    ),
}


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/healthz", "/open311/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


#: The JSON API's names for error statuses: part of its contract (engagement/api/openapi.json).
API_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    429: "too_many_requests",
    500: "server_error",
    503: "service_unavailable",
}

#: Explanations that fit an API client better than the page texts above.
API_ERROR_TEXTS: dict[int, LazyString] = {
    404: _l("Nothing is published at this address. /api/v1/openapi.json lists every address."),
    405: _l("The API can only be read: use GET."),
}


def error_response(
    code: int, message: LazyString | str | None = None, *, parameter: str | None = None
) -> tuple[Any, int]:
    """The error page, or JSON for clients that want it; ``parameter`` names the API's input
    that was wrong."""
    title, explanation = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    if request.path.startswith("/api/"):
        error = {
            "code": API_ERROR_CODES.get(code, "server_error" if code >= 500 else "bad_request"),
            "message": str(message or API_ERROR_TEXTS.get(code, explanation)),
        }
        if parameter is not None:
            error["parameter"] = parameter
        return {"error": error}, code
    text = str(message or explanation)
    if wants_json():
        return {"error": {"code": code, "message": text}}, code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[Any, int]:
        # Some limits answer with their own page (the comment form keeps the resident's text).
        if error.response is not None:
            return error.response
        return error_response(error.code or 500)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> tuple[Any, int]:
        db.session.rollback()
        return error_response(error.status_code, error.message)

    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError) -> tuple[Any, int]:
        app.logger.exception("database error")
        db.session.rollback()
        return error_response(503)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[Any, int]:
        app.logger.exception("unhandled error")
        db.session.rollback()
        return error_response(500)
