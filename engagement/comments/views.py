from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from engagement.comments.forms import (
    CommentFilterForm,
    CommentForm,
    ReceiptLookupForm,
    fill_choices,
    submission_token_id,
)
from engagement.comments.models import (
    Position,
)
from engagement.comments.operations import (
    CommentDraft,
    comment_by_submission_token,
    hash_client,
    is_same_submission,
    submit_comment,
)
from engagement.comments.queries import (
    CommentFilters,
    ListPosition,
    comment_by_receipt,
    form_choices,
    published_comment,
    published_comments,
    receipt_by_code,
)
from engagement.consultations.queries import consultation_by_slug
from engagement.consultations.views import render_consultation
from engagement.db import db, utcnow
from engagement.errors import DomainError
from engagement.extensions import limiter, reading_limit
from engagement.i18n import current_language, this_page_url
from engagement.page_cache import public_page

bp = Blueprint("comments", __name__, url_prefix="/<lang>")

TOO_MANY_COMMENTS = _l(
    "You have sent several comments in a short time. Wait a few minutes, then press Send again. "
    "Your text is kept below."
)
#: A list address whose position (``before`` or ``after``) the list can't read.
BROKEN_LIST_ADDRESS = _l(
    "This address does not point to a place in the list of comments: part of it is missing or "
    "was changed. Start again from the newest comments."
)
DATABASE_UNAVAILABLE = _l(
    "We could not save your comment just now because our database did not answer. "
    "It has NOT been received yet. Your text is kept below: wait a minute, then press Send again."
)


def _keep_text(message: str, status: int) -> tuple[str, int]:
    """A page that holds everything the resident sent, ready to send again.

    Used when the comment could not even be checked (database down, too many requests), so
    that no resident loses what they wrote.
    """
    return render_template(
        "comments/try_again.html", message=message, fields=request.form, status=status
    ), status


def _on_rate_limit(_limit: RequestLimit) -> Response:
    page, status = _keep_text(str(TOO_MANY_COMMENTS), 429)
    return current_app.make_response((page, status))


@bp.post("/consultations/<slug>/comments")
@limiter.limit(lambda: current_app.config["COMMENT_RATE_LIMIT"], on_breach=_on_rate_limit)
def submit(slug: str) -> BaseResponse | tuple[str, int]:
    try:
        return _submit(slug)
    except DBAPIError:
        current_app.logger.exception("comment not stored: database unavailable")
        db.session.rollback()
        return _keep_text(str(DATABASE_UNAVAILABLE), 503)


def _submit(slug: str) -> BaseResponse | tuple[str, int]:
    consultation = consultation_by_slug(db.session, slug)
    form = CommentForm()
    fill_choices(form, form_choices(db.session, consultation, current_language()))
    if not form.validate():
        return render_consultation(consultation, form, status=422)
    token = submission_token_id(form.submission_token.data)
    draft = CommentDraft(
        body=form.body.data,
        position=Position(form.position.data),
        topic_slugs=form.topics.data or [],
        neighborhood=form.neighborhood.data,
        display_name=form.display_name.data,
        contact_email=form.contact_email.data,
        locale=current_language(),
    )
    client = hash_client(
        request.remote_addr or "", current_app.config["SECRET_KEY"], utcnow().date()
    )
    try:
        comment = submit_comment(
            db.session, consultation, draft, submission_token=token, client_hash=client
        )
        db.session.commit()
    except IntegrityError:
        # Two clicks raced each other: the other request stored it; show that receipt.
        db.session.rollback()
        comment = comment_by_submission_token(db.session, token)  # type: ignore[arg-type]
        if comment is None:
            raise
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error.message))
        return render_consultation(consultation, form, status=error.status_code)
    if is_same_submission(comment, draft):
        flash(_("Thank you. Your comment was received and stored."), "success")
    else:
        # Back button, changes, send: the first version stands, and the resident must know.
        flash(
            _(
                "You had already sent a comment from this page, so nothing new was stored. "
                "This is the receipt of what you sent first. To send another comment, "
                "open the form again."
            ),
            "warning",
        )
    return redirect(url_for("comments.receipt", code=comment.receipt_code), code=303)


@bp.get("/consultations/<slug>/comments")
@reading_limit
@public_page()
def index(slug: str) -> BaseResponse | tuple[str, int]:
    consultation = consultation_by_slug(db.session, slug)
    if "page" in request.args:
        return _without_page_number()
    form = CommentFilterForm(request.args)
    fill_choices(form, form_choices(db.session, consultation, current_language()))
    valid = form.validate()
    before, after = _list_positions(form)
    if not valid or form.form_errors:
        return render_template(
            "comments/index.html", consultation=consultation, form=form, page=None
        ), 400
    filters = CommentFilters(
        topic=form.topic.data or None,
        position=Position(form.position.data) if form.position.data else None,
        neighborhood=form.neighborhood.data or None,
        language=form.language.data or None,
    )
    page = published_comments(
        db.session,
        consultation,
        filters,
        before=before,
        after=after,
        per_page=current_app.config["COMMENTS_PER_PAGE"],
    )
    return render_template(
        "comments/index.html",
        consultation=consultation,
        form=form,
        filters=filters,
        page=page,
    ), 200


def _list_positions(form: CommentFilterForm) -> tuple[ListPosition | None, ListPosition | None]:
    """The position a list address starts at: ``before`` (older comments) or ``after``.

    A damaged or made-up position, or more than one, is an error of the form (the page answers
    400 with the filters kept), never a guess at what was meant.
    """
    tokens = {name: request.args.getlist(name) for name in ("before", "after")}
    given = [token for values in tokens.values() for token in values]
    if not given:
        return None, None
    position = ListPosition.from_token(given[0]) if len(given) == 1 else None
    if position is None:
        form.form_errors.append(str(BROKEN_LIST_ADDRESS))
        return None, None
    return (position, None) if tokens["before"] else (None, position)


def _without_page_number() -> BaseResponse:
    """Where an address of the list from before it had positions (``?page=N``) now leads.

    Page numbers were offsets, which cost more the deeper they go and never named the same
    comments for long. The first page is still the first page (a permanent redirect); any other
    number opens the list at its newest comments, with a word about why, and the filters kept.
    """
    newest = this_page_url(page=None)
    if request.args.getlist("page") == ["1"]:
        return redirect(newest, code=301)
    flash(
        _(
            "This list no longer has numbered pages, so it opens at the newest comments. "
            "Use “Older comments” at the end of the page to read on."
        ),
        "info",
    )
    return redirect(newest, code=302)


@bp.get("/consultations/<slug>/comments/<code>")
@reading_limit
@public_page()
def show(slug: str, code: str) -> str:
    consultation = consultation_by_slug(db.session, slug)
    comment = published_comment(db.session, consultation, code)
    return render_template(
        "comments/show.html",
        consultation=consultation,
        comment=comment,
    )


@bp.get("/receipts")
@limiter.limit(lambda: current_app.config["STATUS_LOOKUP_RATE_LIMIT"])
def lookup() -> BaseResponse | tuple[str, int]:
    form = ReceiptLookupForm(request.args)
    if not request.args:
        return render_template("comments/lookup.html", form=form), 200
    if not form.validate():
        return render_template("comments/lookup.html", form=form), 400
    try:
        comment = comment_by_receipt(db.session, form.code.data)
    except DomainError:
        form.code.errors.append(_("We found no comment with this code. Check it and try again."))
        return render_template("comments/lookup.html", form=form), 404
    return redirect(url_for("comments.receipt", code=comment.receipt_code))


@bp.get("/receipts/<code>")
@limiter.limit(lambda: current_app.config["STATUS_LOOKUP_RATE_LIMIT"])
def receipt(code: str) -> str:
    receipt = receipt_by_code(db.session, code)
    return render_template(
        "comments/receipt.html",
        receipt=receipt,
        comment=receipt.comment,
    )
