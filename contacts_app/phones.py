"""The one place that knows `phonenumbers`: parsing, formatting and search fragments."""

import functools
import re
from dataclasses import dataclass

import phonenumbers

DEFAULT_REGION = "US"

# Characters people put in a phone number besides digits.
_PHONE_PUNCTUATION = re.compile(r"^[\d\s()+\-.]+$")
_NON_DIGITS = re.compile(r"\D")
# The commonest shape of a North American number: (415) 555-2671, 415.555.2671, +1 415 555 2671.
# Bulk imports read it without phonenumbers.parse, several times faster, same result.
_NANP_SHAPE = re.compile(r"(\+1|1)?[\s.-]?\(?([2-9]\d\d)\)?[\s.-]?(\d{3})[\s.-]?(\d{4})")
_NANP_MAIN_REGION = phonenumbers.region_code_for_country_code(1)
# Why phonenumbers could not parse a number, as a key of _problem's sentences.
_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "country",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "short",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "short",
    phonenumbers.NumberParseException.TOO_LONG: "long",
}
FALLBACK_EXAMPLE = "(415) 555-2671"
ABROAD_EXAMPLE = "+44 20 7946 0958"


def example_number(region: str = DEFAULT_REGION) -> str:
    """A number as people of the region write it, for messages: (201) 555-0123 in the US."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return FALLBACK_EXAMPLE
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _problem(text: str, why: str, region: str) -> str:
    """What is wrong with the number and how to write it, in people's words (not the library's)."""
    example = example_number(region)
    if why == "short":
        return f"“{text}” has too few digits. Enter the whole number with its area code, like {example}."
    if why == "long":
        return (
            f"“{text}” has too many digits for a {region} number. "
            f"A number from abroad starts with + and its country code, like {ABROAD_EXAMPLE}."
        )
    if why == "country":
        return f"“{text}” starts with a country code that does not exist. Check the digits after the +."
    if why == "length":
        return f"“{text}” has the wrong number of digits for a {region} number. Numbers look like {example}."
    if why == "unused":
        return f"No phone number “{text}” is in use. Check the area code; numbers look like {example}."
    return f"“{text}” is not a phone number we can text. Enter it like {example}."


@dataclass(frozen=True)
class PhoneError(ValueError):
    value: str
    reason: str

    def __str__(self) -> str:
        return self.reason


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return the number in E.164, or raise PhoneError saying why it is not a number."""
    text = (raw or "").strip()
    if not text:
        raise PhoneError(raw, "Phone is required.")
    if not _PHONE_PUNCTUATION.match(text):
        example = example_number(region)
        raise PhoneError(raw, f"“{text}” is not a phone number. Use only digits, spaces and ( ) - . +, like {example}.")
    fast = _normalize_nanp_shape(text, region)
    if fast is not None:
        return fast
    candidates = [text]
    digits = _NON_DIGITS.sub("", text)
    # "14155552671" is how exports write North American numbers; read it as +1 in any region.
    # Only that shape: any other long digit string would turn a typo into a foreign number
    # ("415 555 26711" is a valid Swiss number once a plus is put in front).
    if not text.startswith("+") and len(digits) == 11 and digits.startswith("1"):
        candidates.append("+" + digits)
    why = ""
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException as exc:
            why = why or _PARSE_REASONS.get(exc.error_type, "")
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        why = why or _why_invalid(number, region)
    raise PhoneError(raw, _problem(text, why, region))


def _why_invalid(number: phonenumbers.PhoneNumber, region: str) -> str:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return "short"
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        # Usually a foreign number written the way it is dialled at home.
        return "long"
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        return "country"
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
        return "unused"
    if reason == phonenumbers.ValidationResult.INVALID_LENGTH:
        return "length"
    return ""


def _normalize_nanp_shape(text: str, region: str) -> str | None:
    """E.164 for a valid number of the main NANP region written in the common shape, else None.

    None means "take the general path", never "invalid": the general path gives the same answer
    for every number this accepts (tests/test_csv_reader.py compares both on many shapes).
    """
    match = _NANP_SHAPE.fullmatch(text)
    if match is None:
        return None
    prefix = match.group(1)
    if prefix != "+1" and _country_code_of(region) != 1:
        return None
    national = match.group(2) + match.group(3) + match.group(4)
    # Valid for the main region means valid outright; other NANP regions take the general path.
    if valid_in_main_nanp_region(national):
        return "+1" + national
    return None


@functools.cache
def _country_code_of(region: str) -> int:
    return phonenumbers.country_code_for_region(region)


def _main_nanp_patterns() -> tuple[re.Pattern, re.Pattern]:
    """phonenumbers' own rule for "valid in the main NANP region", as two compiled patterns.

    `is_valid_number_for_region` checks the region's general pattern and then each number
    type's pattern in turn, compiling and looking up each on every call (~20 µs a number).
    The same patterns, joined once, answer in ~1 µs; tests compare both on many numbers.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(_NANP_MAIN_REGION)
    types = [
        getattr(metadata, name)
        for name in (
            "premium_rate",
            "toll_free",
            "shared_cost",
            "voip",
            "personal_number",
            "pager",
            "uan",
            "voicemail",
            "fixed_line",
            "mobile",
        )
    ]
    usable = [
        desc.national_number_pattern
        for desc in types
        if desc is not None
        and desc.national_number_pattern
        and (not desc.possible_length or _NANP_NATIONAL_DIGITS in desc.possible_length)
    ]
    general = metadata.general_desc
    if general.possible_length and _NANP_NATIONAL_DIGITS not in general.possible_length:
        usable = []
    return re.compile(general.national_number_pattern), re.compile("|".join(f"(?:{p})" for p in usable) or "(?!)")


_NANP_NATIONAL_DIGITS = 10
_MAIN_NANP_GENERAL, _MAIN_NANP_ANY_TYPE = _main_nanp_patterns()


def valid_in_main_nanp_region(national: str) -> bool:
    """The same answer as phonenumbers.is_valid_number_for_region for a 10-digit national number."""
    return (
        len(national) == _NANP_NATIONAL_DIGITS
        and _MAIN_NANP_GENERAL.fullmatch(national) is not None
        and _MAIN_NANP_ANY_TYPE.fullmatch(national) is not None
    )


# Every page of 50 contacts formats 50 numbers, 25-30 µs each with phonenumbers: 8% of a web
# worker's CPU under load. The same numbers come back page after page; 32,768 of them take ~6 MB.
@functools.lru_cache(maxsize=32_768)
def format_phone(e164: str, region: str = DEFAULT_REGION) -> str:
    """National format for numbers of the account's region, international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_digits(query: str) -> str | None:
    """The digits to look for when a search query is written like (part of) a phone number."""
    text = query.strip()
    if not text or not _PHONE_PUNCTUATION.match(text):
        return None
    digits = _NON_DIGITS.sub("", text)
    return digits or None


def phone_search_key(e164: str) -> str:
    """The digits a search looks in: the E.164 digits, plus the national digits when they differ.

    People type numbers as they see them: "020 7946 0958" is not a part of "442079460958".
    North American numbers need nothing more ("4155552671" is in "14155552671"), and they are
    most rows, so they skip the parser.
    """
    digits = e164.lstrip("+")
    if e164.startswith("+1"):
        return digits
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return digits
    national = _NON_DIGITS.sub("", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return digits if national in digits else f"{digits} {national}"


def known_region(code: str) -> str | None:
    """The upper-cased region code ("GB") if phonenumbers knows it, else None."""
    code = (code or "").strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None
