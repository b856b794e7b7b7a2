"""When a marketing text may reach a person: 8 am to 9 pm in their own time zone.

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

UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class SendingWindow:
    opens: time = time(8, 0)
    closes: time = time(21, 0)

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("Quiet hours must end before they start again on the same day (e.g. 8:00 to 21:00).")


DEFAULT_WINDOW = SendingWindow()


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
