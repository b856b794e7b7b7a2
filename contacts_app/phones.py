"""The one place that knows `phonenumbers`: parsing, formatting and search fragments."""

import re
from dataclasses import dataclass

import phonenumbers

DEFAULT_REGION = "US"

# Characters people put in a phone number besides digits.
_PHONE_PUNCTUATION = re.compile(r"^[\d\s()+\-.]+$")
_NON_DIGITS = re.compile(r"\D")
_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: ": the country code is unknown",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: ": it has too few digits",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: ": it has too few digits",
    phonenumbers.NumberParseException.TOO_LONG: ": it has too many digits",
}


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
    raise PhoneError(raw, f"“{text}” is not a valid phone number{why}.")


def _why_invalid(number: phonenumbers.PhoneNumber, region: str) -> str:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return ": it has too few digits"
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        # Usually a foreign number written the way it is dialled at home.
        return f": it has too many digits for a {region} number (other countries' numbers start with + and their code)"
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        return ": the country code is unknown"
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
        return ": no number of that form is in use (check the area code)"
    return ""


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
