"""When a marketing text may reach a person: 8 am to 9 pm in their own time zone, or the narrower
window the account chose (some states end at 8 pm; a business may want its own hours).

The zone comes from the number (phonenumbers' time-zone data: one zone for most North American
area codes, the country's zone for mobiles elsewhere); where the number spans several zones the
account's zone decides. A text due outside the window is held until it opens, never dropped.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_time_zones
from sqlmodel import Session

from contacts_app.models import AccountSettings, utcnow

UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class SendingWindow:
    opens: time = time(8, 0)
    closes: time = time(21, 0)

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("Quiet hours must end before they start again on the same day (e.g. 8:00 to 21:00).")


DEFAULT_WINDOW = SendingWindow()
# Shorter than this and a blast to a few thousand people at a line's rate would spill over for days.
MIN_WINDOW = timedelta(hours=1)


@dataclass
class SendingWindowInvalid(Exception):
    """Field name -> message, for the settings form."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


def _spoken(moment: time) -> str:
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'am' if moment.hour < 12 else 'pm'}"


def describe_window(window: SendingWindow) -> str:
    """ "8 am to 9 pm", "9:30 am to 8 pm"."""
    return f"{_spoken(window.opens)} to {_spoken(window.closes)}"


def account_window(session: Session, account_id: int) -> SendingWindow:
    settings = session.get(AccountSettings, account_id)
    if settings is None or settings.send_window_opens is None or settings.send_window_closes is None:
        return DEFAULT_WINDOW
    return SendingWindow(settings.send_window_opens, settings.send_window_closes)


def _clock_time(value: str, field: str, label: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise SendingWindowInvalid({field: f"{label}: enter a time like 08:00 (got “{value.strip()}”)."}) from None


def set_sending_window(session: Session, account_id: int, opens: str, closes: str) -> SendingWindow:
    """The account's window, "HH:MM" each; only inside 8 am to 9 pm, the federal limit, never wider."""
    start = _clock_time(opens, "send_window_opens", "Send from")
    end = _clock_time(closes, "send_window_closes", "Send until")
    errors = {}
    if start < DEFAULT_WINDOW.opens:
        errors["send_window_opens"] = (
            f"Send from: not before {_spoken(DEFAULT_WINDOW.opens)} in the recipient's time zone (the law's limit)."
        )
    if end > DEFAULT_WINDOW.closes:
        errors["send_window_closes"] = (
            f"Send until: not after {_spoken(DEFAULT_WINDOW.closes)} in the recipient's time zone (the law's limit)."
        )
    if not errors and datetime.combine(datetime.min, end) - datetime.combine(datetime.min, start) < MIN_WINDOW:
        errors["send_window_closes"] = "Send until: at least an hour after Send from."
    if errors:
        raise SendingWindowInvalid(errors)
    settings = session.get(AccountSettings, account_id) or AccountSettings(account_id=account_id)
    default = (start, end) == (DEFAULT_WINDOW.opens, DEFAULT_WINDOW.closes)
    settings.send_window_opens, settings.send_window_closes = (None, None) if default else (start, end)
    settings.updated_at = utcnow()
    session.add(settings)
    session.flush()
    return SendingWindow(start, end)


def recipient_time_zone(phone: str, account_zone: str, at: datetime | None = None) -> str:
    """The recipient's zone name from an E.164 number, or `account_zone` when it is ambiguous.

    Zones that keep the same clock at `at` (London, Jersey, Guernsey) are not ambiguous."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return account_zone
    zones = [zone for zone in phone_time_zones.time_zones_for_number(number) if zone != UNKNOWN_ZONE]
    if not zones:
        # Mobiles carry no place: fall back to the country's zones (one for most countries).
        zones = [
            zone
            for zone in phone_time_zones._country_level_time_zones_for_number(number)  # noqa: SLF001
            if zone != UNKNOWN_ZONE
        ]
    moment = at or datetime.now(UTC)
    offsets = {moment.astimezone(ZoneInfo(zone)).utcoffset() for zone in zones}
    return zones[-1] if len(offsets) == 1 else account_zone


# phonenumbers' zone data keys on at most this many leading digits: numbers that share them share a zone.
ZONE_PREFIX_DIGITS = 9


def zone_finder(account_zone: str, at: datetime | None = None) -> Callable[[str], str]:
    """`recipient_time_zone` for many numbers (a blast): looked up once per leading digits and length."""
    moment = at or datetime.now(UTC)
    known: dict[tuple[str, int], str] = {}

    def find(phone: str) -> str:
        key = (phone[: ZONE_PREFIX_DIGITS + 1], len(phone))
        zone = known.get(key)
        if zone is None:
            zone = known[key] = recipient_time_zone(phone, account_zone, moment)
        return zone

    return find


def next_allowed_send(due: datetime, zone: str, window: SendingWindow = DEFAULT_WINDOW) -> datetime:
    """`due` (aware, any zone) if it falls inside the window in `zone`, else when the window next opens (UTC)."""
    local = due.astimezone(ZoneInfo(zone))
    if window.opens <= local.time() < window.closes:
        return due.astimezone(UTC)
    day = local.date() if local.time() < window.opens else local.date() + timedelta(days=1)
    # Built from the wall-clock time, so a daylight-saving change in between is honoured.
    opening = datetime.combine(day, window.opens, tzinfo=ZoneInfo(zone))
    return opening.astimezone(UTC)
