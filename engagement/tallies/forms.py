from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import TextInput

from engagement.comments.forms import channel_choices
from engagement.comments.models import Channel
from engagement.consultations.models import Consultation
from engagement.forms import BaseForm, language_choices
from engagement.geography.models import Community, Ward
from engagement.geography.queries import neighborhoods_by_community
from engagement.i18n import translated
from engagement.tallies.queries import TallyFilters


class TallyFilterForm(BaseForm):
    """The filters above the tallies; read from the query string, so a filtered report has a URL."""

    class Meta:
        csrf = False

    # Plain text inputs, not type="date": a mistyped date must come back as typed, with its
    # message, and a date input cannot hold text that is not a date.
    since = DateField(
        _l("From"),
        widget=TextInput(),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("The first day, as YYYY-MM-DD."),
    )
    until = DateField(
        _l("Until"),
        widget=TextInput(),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("The last day, included, as YYYY-MM-DD."),
    )
    topic = SelectField(
        _l("Topic"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a topic from the list."),
    )
    community = SelectField(
        _l("Community"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a community from the list."),
    )
    neighborhood = SelectField(
        _l("Neighborhood"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a neighborhood from the list."),
    )
    ward = SelectField(
        _l("Ward"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a ward from the list."),
    )
    language = SelectField(
        _l("Language of the comment"),
        choices=language_choices(),
        default="",
        invalid_choice_message=_l("Choose a language from the list."),
    )
    channel = SelectField(
        _l("How it reached us"),
        choices=channel_choices(),
        default="",
        invalid_choice_message=_l("Choose a channel from the list."),
    )
    include_pending = BooleanField(_l("Also count comments still waiting for review"))

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(
            name
            for name in vars(cls)
            if not name.startswith("_")
            and name != "Meta"
            and hasattr(getattr(cls, name), "field_class")
        )

    def validate_until(self, field: Any) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last day must be on or after the first day."))

    def fill(self, session: Session, consultation: Consultation, lang: str, *, staff: bool) -> None:
        """Give the selects their choices; drop the staff-only box on public pages."""
        names = [(topic.slug, translated(topic.name, lang)) for topic in consultation.topics]
        self.topic.choices = [SelectChoice("", _l("All topics"))] + [
            SelectChoice(slug, name.text, render_kw={"lang": name.lang} if name.is_fallback else {})
            for slug, name in names
        ]
        self.community.choices = [SelectChoice("", _l("All communities"))] + [
            SelectChoice(slug, name)
            for slug, name in session.execute(
                select(Community.slug, Community.name).order_by(Community.name)
            )
        ]
        self.neighborhood.choices = [SelectChoice("", _l("All neighborhoods"))] + [
            SelectChoice(slug, name, optgroup=group.community)
            for group in neighborhoods_by_community(session)
            for slug, name in group.neighborhoods
        ]
        self.ward.choices = [SelectChoice("", _l("All wards"))] + [
            SelectChoice(str(number), _l("Ward %(number)s", number=number))
            for number in session.scalars(select(Ward.number).order_by(Ward.number))
        ]
        if not staff:
            del self.include_pending

    def filters(self) -> TallyFilters:
        include_pending = "include_pending" in self._fields and bool(self.include_pending.data)
        return TallyFilters(
            since=self.since.data,
            until=self.until.data,
            topic=self.topic.data or None,
            community=self.community.data or None,
            neighborhood=self.neighborhood.data or None,
            ward=int(self.ward.data) if self.ward.data else None,
            language=self.language.data or None,
            channel=Channel(self.channel.data) if self.channel.data else None,
            include_pending=include_pending,
        )


def filter_summary(form: TallyFilterForm) -> list[str]:
    """The filters in force, as "Topic: Cost" in the reader's language, for the report's header."""
    summary = []
    for field in form:
        if field.type == "SelectField" and field.data:
            chosen = next(
                (c.label for c in field.iter_choices() if c.value == field.data), field.data
            )
            summary.append(f"{field.label.text}: {chosen}")
        elif field.type == "DateField" and field.data:
            summary.append(f"{field.label.text}: {field.data.isoformat()}")
        elif field.type == "BooleanField" and field.data:
            summary.append(str(field.label.text))
    return summary
