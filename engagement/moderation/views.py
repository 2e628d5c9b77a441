import csv
import io
from collections.abc import Iterator
from datetime import datetime, time

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from engagement.auth.models import StaffRole
from engagement.auth.policies import can_see_contact_data, require_role
from engagement.comments.forms import fill_choices, new_submission_token, submission_token_id
from engagement.comments.models import (
    Channel,
    Comment,
    Position,
    RejectionReason,
)
from engagement.comments.operations import CommentDraft, comment_by_submission_token, hash_client
from engagement.comments.queries import form_choices, published_comment
from engagement.consultations.queries import consultation_by_slug, consultations_newest_first
from engagement.db import db, utcnow
from engagement.errors import DomainError
from engagement.extensions import limiter
from engagement.geography.queries import neighborhoods_by_community
from engagement.i18n import CITY_TIME, current_language, translated
from engagement.moderation.flags import Flag, suggested_redactions
from engagement.moderation.forms import (
    BulkForm,
    DecisionForm,
    HideForm,
    QueueFilterForm,
    RedactForm,
    RejectForm,
    ReportForm,
    StaffEntryForm,
)
from engagement.moderation.models import ReportReason
from engagement.moderation.operations import (
    NoteRequired,
    available_decisions,
    bulk_decide,
    enter_comment,
    hide_comment,
    highlight_comment,
    publish_comment,
    publish_redacted,
    redacted_text,
    reject_comment,
    report_comment,
    restore_comment,
    spans_to_remove,
)
from engagement.moderation.queries import (
    QueueFilters,
    ReviewItem,
    comment_for_review,
    full_log,
    moderation_queue,
    moderation_summary,
    next_in_queue,
)

bp = Blueprint("moderation", __name__, url_prefix="/<lang>")

MODERATORS = (StaffRole.MODERATOR, StaffRole.ADMIN)
READERS = (StaffRole.COUNCIL, StaffRole.MODERATOR, StaffRole.ADMIN)

# --- public ------------------------------------------------------------------------------


@bp.get("/consultations/<slug>/moderation")
def summary(slug: str) -> str:
    consultation = consultation_by_slug(db.session, slug)
    return render_template(
        "moderation/summary.html",
        consultation=consultation,
        summary=moderation_summary(db.session, consultation),
    )


@bp.route("/consultations/<slug>/comments/<code>/report", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REPORT_RATE_LIMIT"], methods=["POST"])
def report(slug: str, code: str) -> BaseResponse | tuple[str, int]:
    consultation = consultation_by_slug(db.session, slug)
    comment = published_comment(db.session, consultation, code)
    form = ReportForm()
    if request.method == "POST" and form.validate():
        client = hash_client(
            request.remote_addr or "", current_app.config["SECRET_KEY"], utcnow().date()
        )
        report_comment(db.session, comment, ReportReason(form.reason.data), form.note.data, client)
        db.session.commit()
        flash(_("Thank you. Moderators will look at this comment again."), "success")
        return redirect(url_for("comments.index", slug=slug))
    status = 422 if form.errors else 200
    return render_template(
        "moderation/report.html", consultation=consultation, comment=comment, form=form
    ), status


# --- staff -------------------------------------------------------------------------------


@bp.get("/staff/moderation/")
@require_role(*MODERATORS)
def queue() -> tuple[str, int]:
    form = QueueFilterForm(request.args)
    consultations = consultations_newest_first(db.session)
    form.consultation.choices = [SelectChoice("", _("All consultations"))] + [
        SelectChoice(str(c.id), translated(c.title).text) for c in consultations
    ]
    form.neighborhood.choices = [SelectChoice("", _("All neighborhoods"))] + [
        SelectChoice(slug, name, optgroup=group.community)
        for group in neighborhoods_by_community(db.session)
        for slug, name in group.neighborhoods
    ]
    if not form.validate():
        return render_template("moderation/queue.html", form=form, page=None, bulk=BulkForm()), 400
    filters = QueueFilters(
        consultation_id=int(form.consultation.data) if form.consultation.data else None,
        language=form.language.data or None,
        neighborhood=form.neighborhood.data or None,
        flag=Flag(form.flag.data) if form.flag.data else None,
        channel=Channel(form.channel.data) if form.channel.data else None,
        campaign=form.campaign.data,
    )
    page = moderation_queue(db.session, filters, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "moderation/queue.html",
        form=form,
        page=page,
        bulk=BulkForm(),
    ), 200


@bp.get("/staff/moderation/comments/<int(max=2147483647):comment_id>")
@require_role(*MODERATORS)
def review(comment_id: int) -> tuple[str, int]:
    return _render_review(comment_for_review(db.session, comment_id))


def _suggested_choices(item: ReviewItem) -> list[SelectChoice]:
    body = item.comment.body
    return [SelectChoice(f"{s}-{e}", body[s:e]) for s, e in suggested_redactions(item.hits)]


def _render_review(
    item: ReviewItem,
    *,
    redact_form: RedactForm | None = None,
    preview: str | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    comment = item.comment
    if redact_form is None:
        redact_form = RedactForm(formdata=None, version=comment.version)
        redact_form.suggested.choices = _suggested_choices(item)
        # Suggested personal information starts ticked: the usual case is to remove it all.
        redact_form.suggested.data = [choice.value for choice in redact_form.suggested.choices]
    return render_template(
        "moderation/review.html",
        item=item,
        comment=comment,
        can=available_decisions(comment),
        decision=DecisionForm(formdata=None, version=comment.version),
        reject=reject_form or RejectForm(formdata=None, version=comment.version),
        hide=HideForm(formdata=None, version=comment.version),
        redact=redact_form,
        preview=preview,
        show_contact=can_see_contact_data(current_user),
    ), status


def _after_decision(comment_id: int, message: str) -> BaseResponse:
    """Commit (the resident's e-mail, if any, goes out from a job) and go on to the next
    comment in the queue."""
    db.session.commit()
    flash(message, "success")
    upcoming = next_in_queue(db.session, comment_id)
    if upcoming is None:
        return redirect(url_for("moderation.queue"), code=303)
    return redirect(url_for("moderation.review", comment_id=upcoming), code=303)


def _refused(comment_id: int, error: DomainError) -> BaseResponse:
    db.session.rollback()
    flash(str(error.message), "error")
    return redirect(url_for("moderation.review", comment_id=comment_id), code=303)


@bp.post("/staff/moderation/comments/<int(max=2147483647):comment_id>/publish")
@require_role(*MODERATORS)
def publish(comment_id: int) -> BaseResponse:
    form = DecisionForm()
    if not form.validate():
        return _refused(comment_id, DomainError(_l("The form had expired. Please try again.")))
    try:
        publish_comment(db.session, comment_id, form.version.data, current_user)
    except DomainError as error:
        return _refused(comment_id, error)
    return _after_decision(comment_id, _("Published."))


@bp.post("/staff/moderation/comments/<int(max=2147483647):comment_id>/redact")
@require_role(*MODERATORS)
def redact(comment_id: int) -> BaseResponse | tuple[str, int]:
    item = comment_for_review(db.session, comment_id)
    form = RedactForm()
    form.suggested.choices = _suggested_choices(item)
    if not form.validate():
        return _render_review(item, redact_form=form, status=422)
    spans = spans_to_remove(item.comment.body, form.suggested.data or [], form.phrases.data or "")
    if "preview" in request.form:
        preview = redacted_text(item.comment, spans) if spans else ""
        return _render_review(item, redact_form=form, preview=preview)
    try:
        publish_redacted(db.session, comment_id, form.version.data, current_user, spans)
    except DomainError as error:
        return _refused(comment_id, error)
    return _after_decision(comment_id, _("Published with personal information removed."))


@bp.post("/staff/moderation/comments/<int(max=2147483647):comment_id>/reject")
@require_role(*MODERATORS)
def reject(comment_id: int) -> BaseResponse | tuple[str, int]:
    form = RejectForm()
    if not form.validate():
        item = comment_for_review(db.session, comment_id)
        return _render_review(item, reject_form=form, status=422)
    try:
        reject_comment(
            db.session, comment_id, form.version.data, current_user,
            RejectionReason(form.reason.data), form.note.data,
        )  # fmt: skip
    except NoteRequired as error:
        db.session.rollback()
        form.note.errors.append(str(error.message))
        item = comment_for_review(db.session, comment_id)
        return _render_review(item, reject_form=form, status=error.status_code)
    except DomainError as error:
        return _refused(comment_id, error)
    return _after_decision(comment_id, _("Rejected."))


@bp.post("/staff/moderation/comments/<int(max=2147483647):comment_id>/hide")
@require_role(*MODERATORS)
def hide(comment_id: int) -> BaseResponse:
    form = HideForm()
    if not form.validate():
        return _refused(comment_id, DomainError(_l("The form had expired. Please try again.")))
    try:
        hide_comment(db.session, comment_id, form.version.data, current_user, form.note.data)
    except DomainError as error:
        return _refused(comment_id, error)
    return _after_decision(comment_id, _("Hidden from the public list."))


@bp.post("/staff/moderation/comments/<int(max=2147483647):comment_id>/restore")
@require_role(*MODERATORS)
def restore(comment_id: int) -> BaseResponse:
    form = DecisionForm()
    if not form.validate():
        return _refused(comment_id, DomainError(_l("The form had expired. Please try again.")))
    try:
        restore_comment(db.session, comment_id, form.version.data, current_user)
    except DomainError as error:
        return _refused(comment_id, error)
    db.session.commit()
    flash(_("Restored: the comment is back in the queue."), "success")
    return redirect(url_for("moderation.review", comment_id=comment_id), code=303)


@bp.post("/staff/moderation/comments/<int(max=2147483647):comment_id>/highlight")
@require_role(*MODERATORS)
def highlight(comment_id: int) -> BaseResponse:
    form = DecisionForm()
    wanted = request.form.get("highlighted")
    if not form.validate() or wanted not in ("yes", "no"):
        return _refused(comment_id, DomainError(_l("The form had expired. Please try again.")))
    try:
        highlight_comment(
            db.session, comment_id, form.version.data, current_user, highlighted=wanted == "yes"
        )
    except DomainError as error:
        return _refused(comment_id, error)
    db.session.commit()
    flash(
        _("Marked as a representative quote.")
        if wanted == "yes"
        else _("Removed from the quotes."),
        "success",
    )
    return redirect(url_for("moderation.review", comment_id=comment_id), code=303)


@bp.post("/staff/moderation/bulk")
@require_role(*MODERATORS)
def bulk() -> BaseResponse:
    form = BulkForm()
    seen = dict(_parse_seen(form.selected.data or []))
    if not form.validate() or not seen:
        flash(_("Tick at least one comment first."), "error")
        return redirect(url_for("moderation.queue"), code=303)
    rejecting = "reject" in request.form
    if rejecting and not form.reason.data:
        flash(_("Choose a reason for rejecting the selected comments."), "error")
        return redirect(url_for("moderation.queue"), code=303)
    try:
        result = bulk_decide(
            db.session, seen, current_user,
            reason=RejectionReason(form.reason.data) if rejecting else None, note=form.note.data,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("moderation.queue"), code=303)
    db.session.commit()
    flash(_("%(count)s comments done.", count=len(result.done)), "success")
    for _comment_id, message in result.skipped:
        flash(message, "error")
    return redirect(url_for("moderation.queue"), code=303)


def _parse_seen(values: list[str]) -> Iterator[tuple[int, int]]:
    for value in values:
        comment_id, _sep, version = value.partition(":")
        if comment_id.isdigit() and version.isdigit() and len(comment_id + version) < 18:
            yield int(comment_id), int(version)


@bp.get("/staff/moderation/log.csv")
@require_role(*READERS)
def log_csv() -> Response:
    """The whole moderation log for oversight: who, what, when, which comment, why."""
    header = [_("time (UTC)"), _("receipt code"), _("action"), _("by"), _("reason"), _("note"),
              _("status before"), _("status after"), _("bulk"), _("removed spans")]  # fmt: skip

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def line(values: list[object]) -> str:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(values)
            return buffer.getvalue()

        yield line(header)
        for entry in full_log(db.session):
            yield line([
                entry.created_at.isoformat(timespec="seconds"), entry.comment.receipt_code,
                entry.action.value, entry.actor, entry.reason.value if entry.reason else "",
                entry.note or "", entry.before.get("status") or "", entry.after.get("status") or "",
                _("yes") if entry.bulk else "", entry.after.get("redactions") or "",
            ])  # fmt: skip

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=moderation-log.csv"
    return response


@bp.route("/staff/moderation/enter", methods=["GET", "POST"])
@require_role(*MODERATORS)
def enter() -> BaseResponse | tuple[str, int]:
    consultations = consultations_newest_first(db.session)
    form = StaffEntryForm(
        data={"language": current_language()} if request.method == "GET" else None
    )
    if submission_token_id(form.submission_token.data or "") is None:
        form.submission_token.data = new_submission_token()
    form.consultation.choices = [
        SelectChoice(c.slug, translated(c.title).text) for c in consultations
    ]
    chosen = next((c for c in consultations if c.slug == form.consultation.data), None)
    chosen = chosen or (consultations[0] if consultations else None)
    if chosen is not None:
        chosen = consultation_by_slug(db.session, chosen.slug)
        fill_choices(form, form_choices(db.session, chosen, current_language()))
    if request.method == "POST" and form.validate() and chosen is not None:
        draft = CommentDraft(
            body=form.body.data, position=Position(form.position.data),
            topic_slugs=form.topics.data or [], neighborhood=form.neighborhood.data,
            display_name=form.display_name.data, contact_email=form.contact_email.data,
            locale=form.language.data, channel=Channel(form.channel.data),
        )  # fmt: skip
        received_at = datetime.combine(form.received_on.data, time(12), CITY_TIME)
        try:
            comment = enter_comment(
                db.session, chosen, draft, current_user, received_at=received_at,
                source_reference=form.source.data,
                submission_token=submission_token_id(form.submission_token.data),
            )  # fmt: skip
            db.session.commit()
        except IntegrityError:  # a double click raced past the check: the first one stored it
            db.session.rollback()
            token = submission_token_id(form.submission_token.data) or ""
            comment = comment_by_submission_token(db.session, token)
            if comment is None:
                raise
            return _entered(comment)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
        else:
            return _entered(comment)
    status = 422 if request.method == "POST" else 200
    return render_template("moderation/enter.html", form=form), status


def _entered(comment: Comment) -> BaseResponse:
    message = _("Entered. Give the resident this receipt code: %(code)s", code=comment.receipt_code)
    flash(message, "success")
    return redirect(url_for("moderation.enter"), code=303)
