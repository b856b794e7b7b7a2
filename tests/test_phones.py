"""Phone parsing, formatting and search fragments (no database, no Reflex)."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contacts_app.phones import (
    PhoneError,
    format_phone,
    normalize_phone,
    phone_search_digits,
    valid_in_main_nanp_region,
)

LONDON = "+442079460958"
SAN_FRANCISCO = "+14155552671"


@pytest.mark.parametrize(
    "written",
    [
        "(415) 555-2671",
        "415.555.2671",
        "415-555-2671",
        "415 555 2671",
        "4155552671",
        "+1 415 555 2671",
        "+1 (415) 555-2671",
        "+14155552671",
        "14155552671",
        "1-415-555-2671",
        "  (415) 555-2671  ",
    ],
)
def test_every_common_way_of_writing_a_us_number_gives_the_same_e164(written):
    assert normalize_phone(written, "US") == SAN_FRANCISCO


@pytest.mark.parametrize("written", ["+44 20 7946 0958", "+442079460958", "+44 (0)20 7946 0958", "011 44 20 7946 0958"])
def test_international_number_is_understood_in_a_us_account(written):
    assert normalize_phone(written, "US") == LONDON


def test_national_number_is_read_against_the_accounts_region():
    assert normalize_phone("020 7946 0958", "GB") == LONDON


def test_us_number_with_country_code_is_understood_in_a_gb_account():
    assert normalize_phone("+1 415 555 2671", "GB") == SAN_FRANCISCO
    assert normalize_phone("14155552671", "GB") == SAN_FRANCISCO


def test_region_defaults_to_us():
    assert normalize_phone("(415) 555-2671") == SAN_FRANCISCO


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_phone_is_required(blank):
    with pytest.raises(PhoneError, match="Phone is required."):
        normalize_phone(blank)


@pytest.mark.parametrize("written", ["call me", "1-800-FLOWERS", "415555267x1", "jane@example.com"])
def test_text_that_is_not_a_number_says_which_characters_are_allowed(written):
    with pytest.raises(PhoneError) as raised:
        normalize_phone(written)
    assert str(raised.value) == (
        f"“{written}” is not a phone number. Use only digits, spaces and ( ) - . +, like (201) 555-0123."
    )
    assert raised.value.value == written


@pytest.mark.parametrize("written", ["555-12", "415-555-267", "12"])
def test_too_short_number_says_it_has_too_few_digits(written):
    with pytest.raises(PhoneError, match=r"has too few digits. Enter the whole number with its area code, like \("):
        normalize_phone(written)


def test_number_with_an_extra_digit_is_too_long_not_read_as_a_foreign_number():
    with pytest.raises(PhoneError) as raised:
        normalize_phone("415 555 26711")
    assert "has too many digits for a US number" in str(raised.value)
    assert "A number from abroad starts with + and its country code, like +44 20 7946 0958." in str(raised.value)


def test_foreign_number_written_nationally_is_invalid_in_a_us_account():
    with pytest.raises(PhoneError, match="“020 7946 0958” has too many digits for a US number"):
        normalize_phone("020 7946 0958", "US")


def test_unknown_country_code_is_named():
    with pytest.raises(PhoneError, match="starts with a country code that does not exist"):
        normalize_phone("+999 123456")


def test_number_of_the_right_length_that_is_not_in_use_is_invalid():
    with pytest.raises(PhoneError, match="No phone number “555-555-5555” is in use. Check the area code"):
        normalize_phone("555-555-5555")


def test_us_number_is_shown_in_national_format_in_a_us_account():
    assert format_phone(SAN_FRANCISCO, "US") == "(415) 555-2671"


def test_foreign_number_is_shown_in_international_format_in_a_us_account():
    assert format_phone(LONDON, "US") == "+44 20 7946 0958"


def test_gb_number_is_shown_in_national_format_in_a_gb_account():
    assert format_phone(LONDON, "GB") == "020 7946 0958"


def test_us_number_is_shown_in_international_format_in_a_gb_account():
    assert format_phone(SAN_FRANCISCO, "GB") == "+1 415-555-2671"


def test_formatting_something_that_is_not_a_number_shows_it_unchanged():
    assert format_phone("not a number", "US") == "not a number"


def test_formatting_round_trips_through_parsing():
    for region, e164 in [("US", SAN_FRANCISCO), ("GB", LONDON), ("US", LONDON), ("GB", SAN_FRANCISCO)]:
        assert normalize_phone(format_phone(e164, region), region) == e164


@pytest.mark.parametrize(
    ("query", "digits"),
    [
        ("415 555", "415555"),
        ("(415)", "415"),
        ("+1415", "1415"),
        ("+1 (415) 555-2671", "14155552671"),
        ("2671", "2671"),
        ("415.555", "415555"),
        ("  555-26  ", "55526"),
    ],
)
def test_query_written_like_a_phone_number_searches_its_digits(query, digits):
    assert phone_search_digits(query) == digits


@pytest.mark.parametrize("query", ["", "   ", "jane", "jane 2671", "a1", "+", "()", "jane@example.com"])
def test_query_that_is_not_a_phone_fragment_has_no_search_digits(query):
    assert phone_search_digits(query) is None


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_the_quick_north_american_check_agrees_with_phonenumbers(number):
    national = f"{number:010d}"
    expected = (
        phonenumbers.is_valid_number_for_region(phonenumbers.PhoneNumber(country_code=1, national_number=number), "US")
        and len(str(number)) == 10
    )
    assert valid_in_main_nanp_region(national) == expected, national


def test_the_quick_north_american_check_agrees_on_every_area_code():
    for area in range(200, 1000):
        for exchange in (200, 211, 555, 734, 958):
            national = f"{area}{exchange}0123"
            expected = phonenumbers.is_valid_number_for_region(
                phonenumbers.PhoneNumber(country_code=1, national_number=int(national)), "US"
            )
            assert valid_in_main_nanp_region(national) == expected, national
