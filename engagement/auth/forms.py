from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from engagement.auth.models import EMAIL_MAX_LENGTH
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
