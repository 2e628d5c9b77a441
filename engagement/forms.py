"""BaseForm: CSRF and translated validation messages for every form."""

from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from engagement.i18n import LANGUAGES

#: The messages WTForms or Flask-WTF can raise on their own, so that extraction puts them in our
#: catalogs and they reach residents translated. Our fields name their own messages; these are
#: the safety net.
BUILT_IN_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid integer value."),
    _l("Invalid email address."),
    _l("Not a valid date value."),
)

#: Flask-WTF reports CSRF failures in English with no translation hook; we say it our way.
CSRF_FAILED = _l(
    "This page was open too long or came from another site, so we could not accept it. "
    "Nothing you typed is lost: check it and send again."
)


UNREADABLE = _l(
    "Some characters could not be read and are shown as �. "
    "Please delete or retype them, then send again."
)


def unreadable_fields() -> dict[str, str]:
    """Fields of this form post whose bytes were not valid UTF-8, read with � in their place.

    Werkzeug keeps invalid percent-escapes as literal text ("%E9"), which would store something
    the resident never typed; reading the raw body first lets us say so instead.
    """
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return {}
    found = {}
    for pair in request.get_data(cache=True).split(b"&"):
        name, _equals, value = pair.partition(b"=")
        raw = unquote_to_bytes(value.replace(b"+", b" "))
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            found[unquote_to_bytes(name).decode("utf-8", "replace")] = raw.decode(
                "utf-8", "replace"
            )
    return found


class _CatalogTranslations:
    """Hands WTForms' own messages to our gettext catalogs."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> _CatalogTranslations:
            return _CatalogTranslations()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before the form reads request.form, so the raw body is still there to inspect.
        self._unreadable = unreadable_fields()
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        csrf_field = getattr(self, "csrf_token", None)
        if csrf_field is not None and csrf_field.errors:
            csrf_field.errors = [str(CSRF_FAILED)]
        for name, text in self._unreadable.items():
            if name in self._fields:
                self._fields[name].data = text
                self._fields[name].errors = [*self._fields[name].errors, str(UNREADABLE)]
                valid = False
        return valid

    @property
    def form_errors_summary(self) -> list[tuple[str, str]]:
        """(field id, message) for the error summary at the top of a form."""
        field_errors = [(field.id, str(message)) for field in self for message in field.errors]
        return field_errors + [("", str(message)) for message in self.form_errors]


def language_choices() -> list[SelectChoice]:
    """ "All languages", then each of our languages named in itself (and marked as such)."""
    return [SelectChoice("", _l("All languages"))] + [
        SelectChoice(language.code, language.native_name, render_kw={"lang": language.code})
        for language in LANGUAGES.values()
    ]
