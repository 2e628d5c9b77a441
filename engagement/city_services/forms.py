from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Form,
    FormField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired

from engagement.city_services.records import (
    CONTENT_LANGUAGES,
    PLAIN_FIELDS,
    TRANSLATED_FIELDS,
    Problem,
)
from engagement.city_services.search import MAX_QUERY_LENGTH
from engagement.comments.forms import at_most, clean_text, readable_text
from engagement.forms import UNREADABLE, BaseForm
from engagement.i18n import LANGUAGES


def unreadable_query_fields() -> dict[str, str]:
    """Query-string parameters whose bytes are not UTF-8, read with � in their place.

    The GET twin of engagement.forms.unreadable_fields: Werkzeug keeps an invalid escape like
    "%E1" as those three characters, which would be searched as if the resident typed them.
    """
    found = {}
    for pair in request.query_string.split(b"&"):
        name, _equals, value = pair.partition(b"=")
        raw = unquote_to_bytes(value.replace(b"+", b" "))
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            found[unquote_to_bytes(name).decode("utf-8", "replace")] = raw.decode(
                "utf-8", "replace"
            )
    return found


class ServiceSearchForm(BaseForm):
    """The search box on the services page; read from the query string."""

    class Meta:
        csrf = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # BaseForm's validate() marks these fields, as it does for a form's POST body.
        self._unreadable.update(unreadable_query_fields())

    q = SearchField(
        _l("What do you need help with?"),
        description=_l("A word or two in any language, for example: garbage, basura, qashin."),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Type a word or two about what you need.")),
            at_most(MAX_QUERY_LENGTH),
            readable_text,
        ],
    )


class WardForm(BaseForm):
    """Find my ward: the neighborhood, chosen from the City's list."""

    class Meta:
        csrf = False

    neighborhood = SelectField(
        _l("Your neighborhood"),
        choices=[],
        validators=[InputRequired(message=_l("Choose your neighborhood from the list."))],
        invalid_choice_message=_l(
            "That neighborhood is not on our list. Choose one from the list."
        ),
    )


class LanguageFields(Form):
    """A service's text in one language (one fieldset of the edit form)."""

    name = StringField(_l("Name"), filters=[clean_text])
    description = TextAreaField(
        _l("Description"),
        description=_l("One to three plain sentences: what this service is for."),
        filters=[clean_text],
    )
    prepare = TextAreaField(_l("What to have ready"), filters=[clean_text])
    keywords = StringField(
        _l("Keywords"),
        description=_l("Words people may search with, separated by semicolons (;)."),
        filters=[clean_text],
    )
    hours = StringField(_l("Opening hours"), filters=[clean_text])


LANGUAGE_LINE_CHOICES = [SelectChoice("", _l("None"))] + [
    SelectChoice(code, LANGUAGES[code].native_name, render_kw={"lang": code})
    for code in ("es", "so", "hmn")
]


class ServiceForm(BaseForm):
    """An administrator's edit of one service, all four languages on one form.

    The form only carries the values: every rule is checked by records.check_record, the
    same check a CSV import goes through, and its problems come back onto these fields.
    """

    version = IntegerField(validators=[InputRequired()])
    active = BooleanField(_l("Shown to the public"))
    category = SelectField(
        _l("Category"), choices=[], invalid_choice_message=_l("Choose a category from the list.")
    )
    department = StringField(
        _l("Department"),
        description=_l("Its proper name, the same in every language."),
        filters=[clean_text],
    )
    en = FormField(LanguageFields, label=LANGUAGES["en"].native_name)
    es = FormField(LanguageFields, label=LANGUAGES["es"].native_name)
    so = FormField(LanguageFields, label=LANGUAGES["so"].native_name)
    hmn = FormField(LanguageFields, label=LANGUAGES["hmn"].native_name)
    phone = StringField(
        _l("Phone"), description=_l("Like 612-673-3000, or 311 or 911."), filters=[clean_text]
    )
    phone_uncertain = BooleanField(_l("The number could not be confirmed: show 311 instead"))
    url = StringField(_l("Web address"), filters=[clean_text])
    address = StringField(_l("Address for walk-in visits"), filters=[clean_text])
    language_line = SelectField(
        _l("311 interpreted line for"),
        description=_l("Only for the 311 lines in Spanish, Somali and Hmong."),
        choices=LANGUAGE_LINE_CHOICES,
        invalid_choice_message=_l("Choose a language from the list."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each language's inputs say which language they hold, for screen readers and spelling.
        for lang in CONTENT_LANGUAGES:
            for field in self[lang].form:
                field.render_kw = {**(field.render_kw or {}), "lang": lang}

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        # BaseForm marks unreadable bytes in top-level fields; these are in the fieldsets
        # ("es-name"), so they are marked here the same way.
        for name, text in self._unreadable.items():
            lang, _sep, field_name = name.partition("-")
            if lang in CONTENT_LANGUAGES and field_name in TRANSLATED_FIELDS:
                field = self[lang].form[field_name]
                field.data = text
                field.errors = [*field.errors, str(UNREADABLE)]
                valid = False
        return valid

    def record(self) -> dict[str, str]:
        """The posted values as a flat record (see records.COLUMNS); the code comes from the URL."""
        record = {
            "active": "true" if self.active.data else "false",
            "category": self.category.data or "",
            "phone_uncertain": "true" if self.phone_uncertain.data else "false",
        }
        for name in ("department", "phone", "url", "address", "language_line"):
            record[name] = self[name].data or ""
        for lang in CONTENT_LANGUAGES:
            for name in TRANSLATED_FIELDS:
                record[f"{name}_{lang}"] = self[lang].form[name].data or ""
        return record

    def show_problems(self, problems: list[Problem]) -> None:
        """Put each problem under the field it is about."""
        for problem in problems:
            field = self._field_for(problem.column)
            if field is None:
                self.form_errors.append(str(problem.message))
            else:
                field.errors = [*field.errors, str(problem.message)]

    def _field_for(self, column: str) -> Any:
        if column in PLAIN_FIELDS or column in ("active", "category"):
            return self[column]
        name, _sep, lang = column.rpartition("_")
        if lang in CONTENT_LANGUAGES and name in TRANSLATED_FIELDS:
            return self[lang].form[name]
        return None

    @property
    def form_errors_summary(self) -> list[tuple[str, str]]:
        """Every field's messages for the summary, the language fieldsets' fields included."""
        found = []
        for field in self:
            fields = field.form if isinstance(field, FormField) else [field]
            found += [(f.id, str(message)) for f in fields for message in f.errors]
        return found + [("", str(message)) for message in self.form_errors]


def initial_data(record: dict[str, str], version: int) -> dict[str, Any]:
    """What the edit form shows for a service's record, before anyone changes it."""
    data: dict[str, Any] = {
        "version": version,
        "active": record["active"] == "true",
        "phone_uncertain": record["phone_uncertain"] == "true",
        "category": record["category"],
        **{name: record[name] for name in ("department", "phone", "url", "address")},
        "language_line": record["language_line"],
    }
    for lang in CONTENT_LANGUAGES:
        data[lang] = {name: record[f"{name}_{lang}"] for name in TRANSLATED_FIELDS}
    return data
