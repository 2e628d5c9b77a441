"""Automatic flags on incoming comments: what each detector catches, and what it leaves alone."""

import pytest

from engagement.moderation.flags import (
    FLAG_LABELS,
    Flag,
    FlagHit,
    detect_flags,
    flags_of,
    redact,
    suggested_redactions,
)

#: Long enough not to be flagged as too short, and free of anything else a detector looks for.
PADDING = "I am writing about the proposed facial recognition pilot."


def found(text: str, language: str, flag: Flag) -> list[tuple[str, str]]:
    """What ``flag`` points at in ``text``: (the text of the span, the detail)."""
    return [
        (text[hit.start : hit.end], hit.detail)
        for hit in detect_flags(text, language)
        if hit.flag is flag
    ]


# Personal information -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Call me at 612-555-0199 about it.", "en", ("612-555-0199", "phone")),
        ("Mi número es (612) 555 0199, gracias.", "es", ("(612) 555 0199", "phone")),
        ("Igala soo xiriir 612.555.0199 fadlan.", "so", ("612.555.0199", "phone")),
        ("Hu rau kuv ntawm +1 612 555 0199 nawb.", "hmn", ("+1 612 555 0199", "phone")),
        ("Text 6125550199 any time.", "en", ("6125550199", "phone")),
        ("Write to jane.doe+mpls@example.org today.", "en", ("jane.doe+mpls@example.org", "email")),
        ("Escríbame a maría@correo.com por favor.", "es", ("maría@correo.com", "email")),
        ("He lives at 3021 Cedar Ave S, next door.", "en", ("3021 Cedar Ave S", "street_address")),
        ("The car is at 1234 E Lake Street now.", "en", ("1234 E Lake Street", "street_address")),
        ("Wuxuu deggan yahay 505 4th Ave S xalay.", "so", ("505 4th Ave S", "street_address")),
        (
            "Nws nyob 400 Groveland Terrace lawm.",
            "hmn",
            ("400 Groveland Terrace", "street_address"),
        ),
        ("Vive en la Calle Lake 1234 con su familia.", "es", ("Calle Lake 1234", "street_address")),
        (
            "Vive en Avenida Chicago #3021 desde hace años.",
            "es",
            ("Avenida Chicago #3021", "street_address"),
        ),
        ("His plate is ABC 123 and he parks here.", "en", ("ABC 123", "license_plate")),
        ("La placa del carro era 123-ABC, lo vi.", "es", ("123-ABC", "license_plate")),
        ("Taarikada gaariga waa XYZ 987 shalay.", "so", ("XYZ 987", "license_plate")),
        ("Daim ntawv tsheb yog DEF-456 xwb.", "hmn", ("DEF-456", "license_plate")),
        ("I saw ABC-123 parked outside again.", "en", ("ABC-123", "license_plate")),
    ],
)
def test_personal_information_is_flagged(
    text: str, language: str, expected: tuple[str, str]
) -> None:
    assert found(text, language, Flag.PERSONAL_INFORMATION) == [expected]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The 2021 ordinance passed 13-0, and the contract is worth $250,000.", "en"),
        ("The vote was 13\u20130 on 10/12/2021, after the 2019-2021 pilot in Ward 6.", "en"),
        ("It would cost 1,250,000 dollars over 3.5 years, per 100,000 residents.", "en"),
        ("I live in Cedar Riverside and work near Lake Street.", "en"),
        ("There were 13 people on the street and 5 blocks down Lake Street.", "en"),
        ("In 2020 Lake Street burned, and we need 1 safe place to talk.", "en"),
        ("La avenida tiene 3 carriles y la ordenanza de 2021 pasó 13 a 0.", "es"),
        ("Golaha ayaa codeeyay 13-0 sanadkii 2021, waxayna ku kacday $250,000.", "so"),
        ("Xyoo 2021 pawg sab laj pov npav 13-0, nqi $250,000.", "hmn"),
        ("Readers cost for 500 cars, and the license fees are 200 per year.", "en"),
        ("Case number 0612-555-0199 and 612-555-01999 are not phone numbers.", "en"),
    ],
)
def test_numbers_and_places_of_policy_talk_are_not_personal_information(
    text: str, language: str
) -> None:
    assert found(text, language, Flag.PERSONAL_INFORMATION) == []


def test_plate_shape_without_a_dash_needs_a_word_like_plate_before_it() -> None:
    assert found(f"{PADDING} Meet me at gate ABC 123.", "en", Flag.PERSONAL_INFORMATION) == []


# Links --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "link"),
    [
        ("More at www.example.org, please read it.", "en", "www.example.org"),
        (
            "Lea https://minneapolismn.gov/clearview (en inglés).",
            "es",
            ("https://minneapolismn.gov/clearview"),
        ),
        ("Fiiri http://example.com/a_(b). Mahadsanid.", "so", "http://example.com/a_(b)"),
        ("Saib site.org/txog-peb thiab qhia rau sawv daws.", "hmn", "site.org/txog-peb"),
        ("Sign the petition at bit.ly/abc123 today!", "en", "bit.ly/abc123"),
    ],
)
def test_links_are_flagged(text: str, language: str, link: str) -> None:
    assert found(text, language, Flag.LINK) == [(link, "url")]


@pytest.mark.parametrize(
    "text",
    [
        "Cameras, e.g. at 8 a.m. near U.S. Bank Stadium, i.e. downtown, are enough.",
        "The pilot is a disaster.Com on, council, vote it down.",
        "Write to jane@example.org with questions about the pilot.",
    ],
)
def test_abbreviations_and_e_mail_addresses_are_not_links(text: str) -> None:
    assert found(text, "en", Flag.LINK) == []


# Profanity and threats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("This pilot is total bullshit and the council knows it.", "en", ("bullshit", "bullshit")),
        ("The chief is a fucking liar about these cameras.", "en", ("fucking", "fuck")),
        ("El jefe de policía es un PENDÉJO, no queremos cámaras.", "es", ("PENDÉJO", "pendej")),
        ("El jefe de policía es un pendejo, no queremos cámaras.", "es", ("pendejo", "pendej")),
        ("Booliisku waa doqon, ma rabno kaamirooyinkan.", "so", ("doqon", "doqon")),
        ("Tub ceev xwm ruam heev, peb tsis xav tau lub koob yees duab.", "hmn", ("ruam", "ruam")),
        ("Waxaan leeyahay this is bullshit, ma rabno.", "so", ("bullshit", "bullshit")),
        ("Ese policía es un cabron y un mentiroso.", "es", ("cabron", "cabrón")),
    ],
)
def test_listed_words_are_profanity_in_the_comments_language_and_english(
    text: str, language: str, expected: tuple[str, str]
) -> None:
    assert found(text, language, Flag.PROFANITY) == [expected]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("We must protect our class of assessment and the Scunthorpe problem.", "en"),
        ("Quieren retardar la votación, y eso es un problema para el barrio.", "es"),
        ("Police used dogs; tub ceev xwm siv dev thiab npua tsis muaj.", "hmn"),
        ("It was a bad idea, and doqon is a Somali word, not an English one.", "en"),
    ],
)
def test_words_that_only_contain_or_resemble_listed_ones_are_not_profanity(
    text: str, language: str
) -> None:
    assert found(text, language, Flag.PROFANITY) == []


@pytest.mark.parametrize(
    ("text", "language", "phrase"),
    [
        ("If this passes I will kill the chief, I swear.", "en", "I will kill"),
        ("They should burn it down like before, all of it.", "en", "burn it down"),
        ("Si aprueban esto, te voy a matar, concejal.", "es", "te voy a matar"),
        ("Si aprueban esto, Te Voy A Matár, concejal.", "es", "Te Voy A Matár"),
        ("Haddii aad ansixisaan, waan ku dili doonaa adiga.", "so", "waan ku dili doonaa"),
        ("Yog nej pom zoo, kuv yuav tua koj tiag tiag.", "hmn", "kuv yuav tua"),
        ("Yog nej pom zoo, lawv yuav tua koj tiag tiag.", "hmn", "yuav tua koj"),
        ("Los policías deserve to die, eso digo.", "es", "deserve to die"),
    ],
)
def test_threat_phrases_are_flagged(text: str, language: str, phrase: str) -> None:
    assert found(text, language, Flag.THREAT) == [(phrase, "threat")]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Police shootings went up, and the council killed the proposal in 2021.", "en"),
        ("The Third Precinct burned down in 2020; this pilot would kill our privacy.", "en"),
        ("La policía mató a George Floyd y no confiamos en sus cámaras.", "es"),
        ("Booliisku waxay dileen dad badan, ma rabno kaamirooyin.", "so"),
        ("Tub ceev xwm tua neeg lawm, peb tsis ntseeg lawv.", "hmn"),
    ],
)
def test_talk_about_police_violence_is_not_a_threat(text: str, language: str) -> None:
    assert found(text, language, Flag.THREAT) == []


# Too short ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("No cameras!", "characters"),
        ("  ", "characters"),
        ("Absolutely, unconditionally opposed", "words"),
    ],
)
def test_short_comments_are_flagged(text: str, detail: str) -> None:
    assert detect_flags(text, "en") == [FlagHit(Flag.TOO_SHORT, 0, len(text), detail)]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Please do not approve this pilot.", "en"),
        ("No apruebe este programa, por favor.", "es"),
        ("Fadlan ha ansixinina mashruucan.", "so"),
        ("Thov tsis txhob pom zoo rau qhov no.", "hmn"),
    ],
)
def test_four_words_and_twenty_letters_are_long_enough(text: str, language: str) -> None:
    assert detect_flags(text, language) == []


# Order, spans and redaction -----------------------------------------------------------------------


def test_every_flag_has_a_label_and_copies_is_never_detected() -> None:
    text = f"{PADDING} Call 612-555-0199, see www.example.org, bullshit, I will kill. Ok"
    assert set(FLAG_LABELS) == set(Flag)
    assert Flag.COPIES not in flags_of(detect_flags(text, "en"))


def test_threat_comes_first_then_the_order_of_the_enum() -> None:
    text = "bullshit www.example.org 612-555-0199 te voy a matar"
    assert flags_of(detect_flags(text, "es")) == [
        Flag.THREAT,
        Flag.PERSONAL_INFORMATION,
        Flag.PROFANITY,
        Flag.LINK,
    ]


def test_hits_are_in_the_order_of_the_text_with_spans_in_the_original_offsets() -> None:
    text = "¡Ñoño PENDÉJO! Llámame al 612-555-0199 o escribe a yo@correo.es, por favor."
    hits = detect_flags(text, "es")
    assert [(hit.flag, text[hit.start : hit.end]) for hit in hits] == [
        (Flag.PROFANITY, "PENDÉJO"),
        (Flag.PERSONAL_INFORMATION, "612-555-0199"),
        (Flag.PERSONAL_INFORMATION, "yo@correo.es"),
    ]


def test_spans_cover_decomposed_accents_and_characters_that_fold_to_two() -> None:
    text = f"Straße und pende\u0301jo. {PADDING}"
    hit = found(text, "es", Flag.PROFANITY)
    assert hit == [("pende\u0301jo", "pendej")]


def test_suggested_redactions_merge_the_personal_information_only() -> None:
    hits = [
        FlagHit(Flag.PERSONAL_INFORMATION, 30, 40, "phone"),
        FlagHit(Flag.PROFANITY, 0, 5, "bullshit"),
        FlagHit(Flag.PERSONAL_INFORMATION, 10, 20, "street_address"),
        FlagHit(Flag.PERSONAL_INFORMATION, 15, 25, "license_plate"),
        FlagHit(Flag.PERSONAL_INFORMATION, 25, 28, "phone"),
    ]
    assert suggested_redactions(hits) == [(10, 28), (30, 40)]


def test_suggested_redactions_of_a_real_comment_hide_the_phone_and_the_address() -> None:
    text = "Call me at 612-555-0199 or come to 3021 Cedar Ave S. No cameras!"
    redacted = redact(text, suggested_redactions(detect_flags(text, "en")), "[removed]")
    assert redacted == "Call me at [removed] or come to [removed]. No cameras!"


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], "abcdefghij"),
        ([(0, 3)], "#defghij"),
        ([(7, 10), (0, 2)], "#cdefg#"),
        ([(2, 5), (4, 6), (3, 4)], "ab#ghij"),
        ([(2, 4), (4, 6)], "ab#ghij"),
        ([(0, 10)], "#"),
    ],
)
def test_redact_replaces_merged_spans_with_the_marker(
    spans: list[tuple[int, int]], expected: str
) -> None:
    assert redact("abcdefghij", spans, "#") == expected


@pytest.mark.parametrize("span", [(-1, 3), (3, 3), (5, 2), (8, 11), (10, 11)])
def test_redact_refuses_spans_outside_the_text_or_empty(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="is not inside a text of 10 characters"):
        redact("abcdefghij", [(0, 1), span], "#")


def test_an_unknown_language_reads_the_english_lists() -> None:
    assert found(f"{PADDING} Bullshit.", "fr", Flag.PROFANITY) == [("Bullshit", "bullshit")]
    assert found(f"{PADDING} Bullshit.", "../../etc", Flag.PROFANITY) == [("Bullshit", "bullshit")]
    assert found(f"{PADDING} Pendejo.", "es-MX", Flag.PROFANITY) == [("Pendejo", "pendej")]
