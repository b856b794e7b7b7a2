"""The one place that knows `phonenumbers`: parsing, formatting and search fragments."""

import re
from dataclasses import dataclass

import phonenumbers

DEFAULT_REGION = "US"

# Characters people put in a phone number besides digits.
_PHONE_PUNCTUATION = re.compile(r"^[\d\s()+\-.]+$")
_NON_DIGITS = re.compile(r"\D")


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
        raise PhoneError(raw, f"“{text}” is not a phone number: use digits, spaces, ( ) - . and +.")
    candidates = [text]
    digits = _NON_DIGITS.sub("", text)
    # "14155552671" written without the plus: try it as an international number too.
    if not text.startswith("+") and len(digits) > 10:
        candidates.append("+" + digits)
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise PhoneError(raw, f"“{text}” is not a valid phone number.")


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
