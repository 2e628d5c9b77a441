from typing import TypeGuard

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response as BaseResponse

from engagement.auth.forms import DeactivateForm, LoginForm, LogoutForm, NewStaffForm
from engagement.auth.models import ROLE_LABELS, StaffRole, StaffUser
from engagement.auth.operations import LoginFailed, authenticate, create_staff, deactivate_staff
from engagement.auth.policies import can_administer, can_moderate, can_read_reports, require_role
from engagement.auth.queries import active_staff, all_staff
from engagement.consultations.queries import consultations_newest_first
from engagement.db import db, utcnow
from engagement.errors import DomainError
from engagement.extensions import limiter
from engagement.i18n import translated

bp = Blueprint("auth", __name__, url_prefix="/<lang>/staff")

SIGN_IN_REQUIRED = _l("Please sign in with your staff account to see this page.")
TOO_MANY_ATTEMPTS = _l(
    "There have been many sign-in attempts from your connection. Wait a minute, then try again."
)


def init_app(app: Flask, login_manager: LoginManager) -> None:
    """Bind Flask-Login: who is signed in, and where someone who must sign in is sent."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = SIGN_IN_REQUIRED
    login_manager.login_message_category = "info"
    # Flashed messages travel in the session cookie, which holds plain strings.
    login_manager.localize_callback = str
    # A session cookie replayed from another browser or address is emptied, not trusted.
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)


def _load_user(user_id: str) -> StaffUser | None:
    """The staff member of this session, while the account is active."""
    if not user_id.isdigit():
        return None
    try:
        return active_staff(db.session, int(user_id))
    except DBAPIError:
        # Every page's menu asks who is signed in, the "database unavailable" page too; that
        # page must still render, so during an outage everyone is anonymous.
        db.session.rollback()
        return None


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Whether ``next`` is a path on this site, so sign-in can't send staff to another site.

    Browsers read "//host" and "/\\host" as another host, and drop tabs and newlines first.
    """
    return bool(
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    )


def _start_new_session() -> None:
    """Empty the session, and forget the CSRF token that belonged to it."""
    session.clear()
    # Flask-WTF keeps the request's signed token in g; a form rendered after this point must
    # get one for the new session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _login_page(form: LoginForm, status: int) -> tuple[str, int]:
    return render_template("auth/login.html", form=form), status


def _on_rate_limit(_limit: RequestLimit) -> Response:
    form = LoginForm()
    form.form_errors.append(str(TOO_MANY_ATTEMPTS))
    return current_app.make_response(_login_page(form, 429))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], on_breach=_on_rate_limit
)
def login() -> BaseResponse | tuple[str, int]:
    form = LoginForm()
    if request.method == "GET" or not form.validate():
        return _login_page(form, 200 if request.method == "GET" else 422)
    try:
        user = authenticate(db.session, form.email.data, form.password.data, utcnow())
    except LoginFailed as error:
        # The count of failures must be kept, or the lock would never come.
        db.session.commit()
        form.form_errors.append(str(error.message))
        return _login_page(form, error.status_code)
    db.session.commit()
    _start_new_session()  # nothing planted in the cookie before signing in survives it
    login_user(user)
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for("auth.home"), code=303)


@bp.post("/logout")
def logout() -> BaseResponse:
    if not LogoutForm().validate():
        abort(400)
    logout_user()
    _start_new_session()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"), code=303)


@bp.get("/")
@login_required
def home() -> str:
    return render_template(
        "auth/home.html",
        user=current_user,
        role=ROLE_LABELS[current_user.role],
        logout_form=LogoutForm(),
        can_moderate=can_moderate(current_user),
        can_read_reports=can_read_reports(current_user),
        can_administer=can_administer(current_user),
        consultations=[
            (c.slug, translated(c.title).text) for c in consultations_newest_first(db.session)
        ],
    )


@bp.route("/accounts", methods=["GET", "POST"])
@require_role(StaffRole.ADMIN)
def accounts() -> BaseResponse | tuple[str, int]:
    form = NewStaffForm()
    if request.method == "POST" and form.validate():
        try:
            user = create_staff(
                db.session, form.email.data, StaffRole(form.role.data), form.password.data,
                form.display_name.data or None,
            )  # fmt: skip
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
        else:
            flash(_("Account opened for %(name)s.", name=user.display_name), "success")
            return redirect(url_for("auth.accounts"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "auth/accounts.html",
        form=form,
        staff=all_staff(db.session),
        deactivate=DeactivateForm(formdata=None),
    ), status


@bp.post("/accounts/<int(max=2147483647):user_id>/deactivate")
@require_role(StaffRole.ADMIN)
def deactivate(user_id: int) -> BaseResponse:
    form = DeactivateForm()
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    if not form.validate():
        flash(_("The form had expired. Please try again."), "error")
    elif user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
    else:
        deactivate_staff(db.session, user.email)
        db.session.commit()
        flash(_("%(name)s can no longer sign in.", name=user.display_name), "success")
    return redirect(url_for("auth.accounts"), code=303)
