import re
import secrets
import unicodedata
from typing import Any

from flask import current_app
from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from engagement.comments.models import (
    BODY_MAX_LENGTH,
    CHANNEL_LABELS,
    DISPLAY_NAME_MAX_LENGTH,
    POSITION_LABELS,
    POSITION_NAMES,
    Position,
)
from engagement.comments.queries import FormChoices
from engagement.forms import UNREADABLE, BaseForm, language_choices

#: Control characters other than tab and newline: invisible, and NUL can't even be stored.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: What the browser's decoding leaves where the bytes sent were not valid UTF-8.
_REPLACEMENT_CHARACTER = "\ufffd"


def clean_text(value: str | None) -> str | None:
    """Normalise line endings and Unicode form, and trim; mark control characters, don't drop them.

    Marking them with U+FFFD shows the resident where they were; the validator then asks for
    them to be removed, so nothing is changed behind the resident's back.
    """
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL_CHARACTERS.sub(_REPLACEMENT_CHARACTER, value).strip()


def readable_text(form: BaseForm, field: Any) -> None:
    if field.data and _REPLACEMENT_CHARACTER in field.data:
        raise ValidationError(UNREADABLE)


def at_most(limit: int) -> Any:
    """A length check whose message gives both numbers in the reader's number format."""

    def check(form: BaseForm, field: Any) -> None:
        if field.data and len(field.data) > limit:
            raise ValidationError(
                gettext(
                    "This is %(length)s characters long; the limit is %(limit)s. "
                    "Please shorten it.",
                    length=format_number(len(field.data)),
                    limit=format_number(limit),
                )
            )

    return check


def _token_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="comment-submission")


def new_submission_token() -> str:
    """A signed one-time token for one rendering of the comment form."""
    return str(_token_serializer().dumps(secrets.token_hex(16)))


def submission_token_id(token: str) -> str | None:
    """The random part of a token we issued, or None when it was altered."""
    try:
        value = _token_serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value) else None


def issued_by_us(form: BaseForm, field: Any) -> None:
    if not field.data or submission_token_id(field.data) is None:
        raise ValidationError(
            _l("This form was changed after we sent it. Check your comment and send it again.")
        )


def left_empty(form: BaseForm, field: Any) -> None:
    if field.data:
        raise ValidationError(_l("Please leave this field empty."))


class CommentForm(BaseForm):
    body = TextAreaField(
        _l("Your comment"),
        description=LazyString(
            lambda: gettext("Up to %(limit)s characters.", limit=format_number(BODY_MAX_LENGTH))
        ),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Write your comment before sending.")),
            at_most(BODY_MAX_LENGTH),
            readable_text,
        ],
    )
    position = RadioField(
        _l("Your position on the proposed pilot"),
        choices=[SelectChoice(position.value, POSITION_LABELS[position]) for position in Position],
        validators=[InputRequired(message=_l("Choose where you stand on the pilot."))],
        invalid_choice_message=_l("Choose one of the three positions."),
    )
    topics = SelectMultipleField(
        _l("Topics your comment is about"),
        description=_l("Choose any that apply, or none."),
        choices=[],
        invalid_choice_message=_l("Choose topics from the list."),
    )
    neighborhood = SelectField(
        _l("Where you live"),
        description=_l("Your neighborhood is shown with your comment."),
        choices=[],
        validators=[
            InputRequired(message=_l("Choose your neighborhood, or one of the other answers."))
        ],
        invalid_choice_message=_l(
            "That neighborhood is not on our list. Choose one from the list."
        ),
    )
    display_name = StringField(
        _l("Name to show with your comment (optional)"),
        description=_l("Leave empty to be shown as a resident of your neighborhood."),
        filters=[clean_text],
        validators=[
            Optional(),
            at_most(DISPLAY_NAME_MAX_LENGTH),
            readable_text,
        ],
    )
    contact_email = EmailField(
        _l("E-mail for status updates (optional, private)"),
        description=_l("Used only to tell you when your comment is reviewed. Never published."),
        filters=[clean_text],
        validators=[
            Optional(),
            Length(max=254, message=_l("This e-mail address is too long.")),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message=_l("Check the e-mail address: it should look like name@example.com."),
            ),
        ],
    )
    #: Hidden from people by CSS; bots fill it in.
    website = StringField(_l("Leave this field empty"), validators=[left_empty])
    submission_token = HiddenField(validators=[issued_by_us])


class CommentFilterForm(BaseForm):
    """The filters above the published comments; read from the query string."""

    class Meta:
        csrf = False

    topic = SelectField(
        _l("Topic"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a topic from the list."),
    )
    position = SelectField(
        _l("Position"),
        choices=[SelectChoice("", _l("All positions"))]
        + [SelectChoice(position.value, POSITION_NAMES[position]) for position in Position],
        default="",
        invalid_choice_message=_l("Choose a position from the list."),
    )
    neighborhood = SelectField(
        _l("Neighborhood"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a neighborhood from the list."),
    )
    language = SelectField(
        _l("Language of the comment"),
        choices=language_choices(),
        default="",
        invalid_choice_message=_l("Choose a language from the list."),
    )


class ReceiptLookupForm(BaseForm):
    class Meta:
        csrf = False

    code = StringField(
        _l("Receipt code"),
        description=_l("For example 7KQ2-M9XD-4RTB. Capital or small letters both work."),
        filters=[clean_text],
        validators=[
            DataRequired(message=_l("Enter the receipt code you were given.")),
            Length(max=40, message=_l("A receipt code has 12 letters and numbers.")),
        ],
    )


def fill_choices(form: CommentForm | CommentFilterForm, choices: FormChoices) -> None:
    """Give a form its topic and neighborhood choices, as the view read them."""
    # A topic name shown in another language than the page's carries its own lang attribute.
    topics = [
        SelectChoice(value, name.text, render_kw={"lang": name.lang} if name.is_fallback else {})
        for value, name in choices.topics
    ]
    neighborhoods = [
        SelectChoice(value, label, optgroup=community)
        for community, members in choices.neighborhoods.items()
        for value, label in members
    ]
    if isinstance(form, CommentForm):
        form.topics.choices = topics
        other = str(_l("Other answers"))
        form.neighborhood.choices = neighborhoods + [
            SelectChoice(value, str(label), optgroup=other)
            for value, label in choices.other_answers
        ]
    else:
        form.topic.choices = [SelectChoice("", str(_l("All topics"))), *topics]
        form.neighborhood.choices = [SelectChoice("", str(_l("All neighborhoods"))), *neighborhoods]


def channel_choices() -> list[SelectChoice]:
    """ "All channels", then each way a comment can reach us."""
    return [SelectChoice("", _l("All channels"))] + [
        SelectChoice(channel.value, label) for channel, label in CHANNEL_LABELS.items()
    ]
