"""Languages, locale selection (Hmong included, though CLDR has no locale for it), content fallback.

Every page lives under a language prefix (``/es/...``), so a shared link keeps its language.
Catalogs are chosen by our language code; dates and numbers by a Babel locale we name per
language, which is how Hmong gets sound formatting without a CLDR locale.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.support import NullTranslations, Translations
from flask import Flask, Response, abort, g, redirect, request, url_for
from flask_babel import Babel, Domain, format_date, format_time
from werkzeug.datastructures import MultiDict

DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"
#: Dates on pages, days in reports and comment periods are the City's.
CITY_TIME = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Language:
    code: str
    #: The language's name in itself, as the switcher shows it.
    native_name: str
    #: The Babel/CLDR locale used for dates and numbers.
    formatting_locale: str
    #: Babel date and time formats: a CLDR width ("long") or a pattern of our own.
    date_format: str = "long"
    time_format: str = "short"
    direction: str = "ltr"
    #: The City's free interpreted 311 line for this language, if it has one.
    phone_line: str | None = None


#: Adding a language: add its catalog under translations/ and one line here.
LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("en", "English", "en_US"),
        Language("es", "Español", "es_US", phone_line="612-673-2700"),
        Language("so", "Soomaali", "so", phone_line="612-673-3500"),
        # CLDR has no Hmong locale. Hmong readers in Minnesota live with US conventions, so
        # en_US formats numbers and times; dates are all digits (11/26/2026), so that no English
        # month name appears on a Hmong page. Words come from our hmn catalog, whose plural rule
        # is Hmong's single form.
        Language("hmn", "Hmoob", "en_US", date_format="M/d/yyyy", phone_line="612-673-2800"),
    )
}


def current_language() -> str:
    """The language of the page being served (English outside a request)."""
    return g.get("lang", DEFAULT_LANGUAGE) if g else DEFAULT_LANGUAGE


def preferred_language() -> str:
    """For a visitor who named no language: saved choice, then Accept-Language, then English."""
    saved = request.cookies.get(LANGUAGE_COOKIE)
    if saved in LANGUAGES:
        return saved
    best = request.accept_languages.best_match(list(LANGUAGES))
    return best or DEFAULT_LANGUAGE


@dataclass(frozen=True)
class TranslatedValue:
    text: str
    lang: str
    #: True when the reader's language was missing and another language stands in.
    is_fallback: bool


def translated(value: dict[str, str] | None, lang: str | None = None) -> TranslatedValue:
    """Pick the text of a translated field for ``lang``: the one fallback rule for content.

    The reader's language if we have it, else English, else any language we have, flagged so
    the page can mark it with its real ``lang`` and an "(in English)" note.
    """
    lang = lang or current_language()
    value = value or {}
    if value.get(lang):
        return TranslatedValue(value[lang], lang, is_fallback=False)
    for fallback in (DEFAULT_LANGUAGE, *value):
        if value.get(fallback):
            return TranslatedValue(value[fallback], fallback, is_fallback=True)
    return TranslatedValue("", lang, is_fallback=False)


class LanguageDomain(Domain):
    """Loads catalogs by our language code rather than by the Babel formatting locale."""

    def get_translations(self) -> Translations | NullTranslations:
        if not g:
            return NullTranslations()
        lang = current_language()
        key = (lang, self.domain[0])
        if key not in self.cache:
            translations = Translations()
            for dirname in self.translation_directories:
                catalog = Translations.load(dirname, [lang], self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            self.cache[key] = translations
        result: Translations = self.cache[key]
        return result


def this_page_url(lang: str | None = None, *, external: bool = False, **query: Any) -> str:
    """This page's address, in another language and/or with some query parameters changed
    (a parameter given as None is left out).

    The query string is carried over as it came, never through ``url_for``'s keyword arguments,
    so a parameter like ``_external`` or ``slug`` in the address can't change what is built.
    Pages outside the language prefix (error pages, say) link to the home page instead.
    """
    lang = lang or current_language()
    if request.endpoint is None or not g.get("lang_in_url"):
        return url_for("consultations.index", lang=lang, _external=external)
    path = url_for(request.endpoint, **(request.view_args or {}), lang=lang, _external=external)
    args = MultiDict(request.args)
    for name, value in query.items():
        if value is None:
            args.poplist(name)
        else:
            args.setlist(name, [str(value)])
    return f"{path}?{urlencode(list(args.items(multi=True)))}" if args else path


@contextmanager
def in_language(lang: str) -> Iterator[None]:
    """Render text in another language for a while (an e-mail to a resident, a marker in their
    comment), inside the current app context."""
    previous = g.get("lang")
    g.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    try:
        yield
    finally:
        if previous is None:
            g.pop("lang", None)
        else:
            g.lang = previous


def local_date(moment: datetime) -> str:
    """A date in the reader's language, in the City's time zone."""
    return str(format_date(moment, LANGUAGES[current_language()].date_format))


def local_datetime(moment: datetime) -> str:
    """A date and time in the reader's language, in the City's time zone."""
    language = LANGUAGES[current_language()]
    return (
        f"{format_date(moment, language.date_format)}, {format_time(moment, language.time_format)}"
    )


def _select_formatting_locale() -> str:
    return LANGUAGES[current_language()].formatting_locale


def _pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "lang" in values:
        lang = values.pop("lang")
        g.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        g.lang_in_url = lang in LANGUAGES
        if not g.lang_in_url:
            abort(404)


def _language_of_unknown_page() -> None:
    """An address that matches no page still says /so/..., so its 404 page is in Somali."""
    if "lang" not in g and request.url_rule is None:
        prefix = request.path.strip("/").split("/", 1)[0]
        if prefix in LANGUAGES:
            g.lang = prefix


def _add_language(endpoint: str, values: dict[str, Any]) -> None:
    from flask import current_app

    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_language()


def _remember_language(response: Response) -> Response:
    """Remember the language a visitor reads in, so the bare address opens in it next time."""
    lang = g.get("lang")
    if g.get("lang_in_url") and request.cookies.get(LANGUAGE_COOKIE) != lang:
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=_select_formatting_locale)
    babel.domain_instance = LanguageDomain()
    app.url_value_preprocessor(_pull_language)
    app.url_defaults(_add_language)
    app.before_request(_language_of_unknown_page)
    app.after_request(_remember_language)

    @app.get("/")
    def root() -> Response:
        """The bare address opens the site in the visitor's language."""
        return redirect(url_for("consultations.index", lang=preferred_language()))

    # Globals, so that macros imported without context can use them too.
    app.jinja_env.globals.update(
        languages=LANGUAGES, translated=translated, this_page_url=this_page_url
    )
    app.jinja_env.filters.update(local_date=local_date, local_datetime=local_datetime)

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {"current_language": LANGUAGES[current_language()]}
