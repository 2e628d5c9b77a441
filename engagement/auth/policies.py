"""Who may do what: one predicate per permission, and a decorator for views."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import AnonymousUserMixin, current_user

from engagement.auth.models import StaffRole, StaffUser

View = TypeVar("View", bound=Callable[..., Any])

Someone = StaffUser | AnonymousUserMixin


def _has_role(user: Someone, *roles: StaffRole) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in roles)


def can_moderate(user: Someone) -> bool:
    """Moderators and administrators review comments and decide what is published."""
    return _has_role(user, StaffRole.MODERATOR, StaffRole.ADMIN)


def can_administer(user: Someone) -> bool:
    """Only administrators manage staff accounts and consultations."""
    return _has_role(user, StaffRole.ADMIN)


def can_read_reports(user: Someone) -> bool:
    """Every staff role reads the council reports, including the counts not yet published."""
    return _has_role(user, StaffRole.COUNCIL, StaffRole.MODERATOR, StaffRole.ADMIN)


def can_see_contact_data(user: Someone) -> bool:
    """Residents' private e-mail addresses are for those who answer them: moderators and admins.

    Council members read comments without them (Minn. Stat. § 13.356).
    """
    return _has_role(user, StaffRole.MODERATOR, StaffRole.ADMIN)


def require_role(*roles: StaffRole) -> Callable[[View], View]:
    """Let a view run only for signed-in staff with one of ``roles``.

    Someone not signed in is sent to the sign-in page, which brings them back afterwards;
    staff without the role get 403.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not _has_role(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorator
