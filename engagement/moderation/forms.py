from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from engagement.comments.forms import CommentForm, channel_choices, clean_text
from engagement.comments.models import (
    CHANNEL_LABELS,
    REJECTION_REASON_LABELS,
    Channel,
    RejectionReason,
)
from engagement.forms import BaseForm, language_choices
from engagement.i18n import LANGUAGES
from engagement.moderation.flags import FLAG_LABELS, Flag
from engagement.moderation.models import REPORT_REASON_LABELS, ReportReason

NOTE_LENGTH = Length(max=2000, message=_l("Keep the note under 2,000 characters."))


class QueueFilterForm(BaseForm):
    class Meta:
        csrf = False

    consultation = SelectField(_l("Consultation"), choices=[], default="")
    language = SelectField(_l("Language"), choices=language_choices(), default="")
    neighborhood = SelectField(_l("Neighborhood"), choices=[], default="")
    flag = SelectField(
        _l("Flag"),
        choices=[SelectChoice("", _l("Any or none"))]
        + [SelectChoice(flag.value, FLAG_LABELS[flag]) for flag in Flag],
        default="",
    )
    channel = SelectField(_l("Channel"), choices=channel_choices(), default="")
    #: Set by the "all copies" link of a form letter; kept as a hidden field by the filters.
    campaign = IntegerField(
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
    )


class DecisionForm(BaseForm):
    """Publish, keep published, or restore: the version the moderator saw is all it carries."""

    version = IntegerField(validators=[InputRequired()])


class RejectForm(DecisionForm):
    reason = SelectField(
        _l("Reason"),
        # No reason is preselected: rejecting must be a choice, not a default.
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(r.value, REJECTION_REASON_LABELS[r]) for r in RejectionReason],
        validators=[InputRequired(message=_l("Choose a reason."))],
        invalid_choice_message=_l("Choose a reason from the list."),
    )
    note = TextAreaField(
        _l("Note (required for \u201canother reason\u201d)"),
        filters=[clean_text],
        validators=[Optional(), NOTE_LENGTH],
    )


class HideForm(DecisionForm):
    note = TextAreaField(
        _l("Why it is hidden"),
        id="hide-note",  # the reject form on the same page has its own "note"
        filters=[clean_text],
        validators=[Optional(), NOTE_LENGTH],
    )


class RedactForm(DecisionForm):
    suggested = SelectMultipleField(
        _l("Suggested parts to remove"),
        description=_l("Found automatically: phone numbers, e-mail and street addresses, plates."),
        choices=[],
        validate_choice=False,
    )
    phrases = TextAreaField(
        _l("Other text to remove, one piece per line"),
        description=_l(
            "Copy the exact words, for example a name. Every place they appear is removed."
        ),
        filters=[clean_text],
        validators=[Optional(), Length(max=5000, message=_l("Use at most %(max)d characters."))],
    )


class BulkForm(BaseForm):
    #: "comment id:version" for each ticked comment.
    selected = SelectMultipleField(_l("Selected comments"), choices=[], validate_choice=False)
    reason = SelectField(
        _l("Reason for rejecting the selected comments"),
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(r.value, REJECTION_REASON_LABELS[r]) for r in RejectionReason],
        default="",
    )
    note = TextAreaField(_l("Note"), filters=[clean_text], validators=[Optional(), NOTE_LENGTH])


class StaffEntryForm(CommentForm):
    """A comment that came on paper, by phone or e-mail, or at a hearing, typed in by staff."""

    website = None
    language = SelectField(
        _l("Language of the comment"),
        choices=[
            SelectChoice(code, lang.native_name, render_kw={"lang": code})
            for code, lang in LANGUAGES.items()
        ],
        validators=[InputRequired(message=_l("Choose a language from the list."))],
        invalid_choice_message=_l("Choose a language from the list."),
    )
    consultation = SelectField(
        _l("Consultation"),
        choices=[],
        validators=[InputRequired(message=_l("Choose the consultation."))],
        invalid_choice_message=_l("Choose a consultation from the list."),
    )
    channel = SelectField(
        _l("How it was received"),
        choices=[
            SelectChoice(c.value, CHANNEL_LABELS[c])
            for c in (Channel.PAPER, Channel.PHONE, Channel.EMAIL, Channel.IN_PERSON)
        ],
        validators=[InputRequired(message=_l("Choose how the comment was received."))],
        invalid_choice_message=_l("Choose a channel from the list."),
    )
    received_on = DateField(
        _l("Date received"),
        validators=[DataRequired(message=_l("Give the date the comment was received."))],
        format="%Y-%m-%d",
    )
    source = TextAreaField(
        _l("Source document (optional)"),
        description=_l("For example a scan number, a voicemail id or the hearing sign-up number."),
        filters=[clean_text],
        validators=[Optional(), Length(max=200, message=_l("Keep it under 200 characters."))],
    )


class ReportForm(BaseForm):
    reason = SelectField(
        _l("What is wrong with this comment?"),
        choices=[SelectChoice(r.value, REPORT_REASON_LABELS[r]) for r in ReportReason],
        validators=[InputRequired(message=_l("Choose what is wrong."))],
        invalid_choice_message=_l("Choose a reason from the list."),
    )
    note = TextAreaField(
        _l("Anything moderators should know (optional)"),
        filters=[clean_text],
        validators=[Optional(), NOTE_LENGTH],
    )
