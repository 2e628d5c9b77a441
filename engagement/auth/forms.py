from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from engagement.auth.models import (
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    ROLE_LABELS,
    StaffRole,
)
from engagement.forms import BaseForm

#: Longer than any passphrase, short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 1024


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class LoginForm(BaseForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the e-mail address of your staff account.")),
            Length(max=EMAIL_MAX_LENGTH, message=_l("This e-mail address is too long.")),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=PASSWORD_MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutForm(BaseForm):
    """Only the CSRF token: another site must not be able to sign staff out."""


class NewStaffForm(BaseForm):
    """An administrator opens an account; the new member changes nothing else here."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the e-mail address of the new account.")),
            Length(max=EMAIL_MAX_LENGTH, message=_l("This e-mail address is too long.")),
        ],
    )
    display_name = StringField(
        _l("Name shown in the moderation log"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=DISPLAY_NAME_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in StaffRole],
        validators=[DataRequired(message=_l("Choose a role."))],
        invalid_choice_message=_l("Choose a role from the list."),
    )
    password = PasswordField(
        _l("First password"),
        description=_l("At least 12 characters. Give it to the person in a safe way."),
        validators=[
            DataRequired(message=_l("Enter a first password.")),
            Length(max=PASSWORD_MAX_LENGTH, message=_l("This password is too long.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class DeactivateForm(BaseForm):
    """Only the CSRF token: the account is named by the address."""
