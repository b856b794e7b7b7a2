"""The account's time zone: for scheduling (a blast "at 9:00") and for numbers whose zone is ambiguous."""

from zoneinfo import available_timezones

import phonenumbers
from phonenumbers import timezone as phone_time_zones
from sqlmodel import Session

from contacts_app.models import Account, AccountSettings, utcnow

# Countries spanning several zones: the zone most of their people live in, until the account sets one.
MAIN_ZONE = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "RU": "Europe/Moscow",
}


def region_zone(region: str) -> str:
    region = (region or "US").upper()
    if region in MAIN_ZONE:
        return MAIN_ZONE[region]
    example = phonenumbers.example_number(region)
    zones = phone_time_zones._country_level_time_zones_for_number(example) if example else ()  # noqa: SLF001
    known = [zone for zone in zones if zone != "Etc/Unknown"]
    return known[-1] if known else "UTC"


def account_time_zone(session: Session, account_id: int) -> str:
    settings = session.get(AccountSettings, account_id)
    if settings is not None and settings.time_zone:
        return settings.time_zone
    account = session.get(Account, account_id)
    return region_zone(account.default_region if account else "US")


class UnknownTimeZone(ValueError):
    pass


def set_account_time_zone(session: Session, account_id: int, zone: str) -> str:
    """Set the account's zone (an IANA name such as America/Chicago); blank: the region's main zone."""
    clean = (zone or "").strip()
    if clean and clean not in available_timezones():
        raise UnknownTimeZone(f"There is no time zone called “{clean}” (write it like America/Chicago).")
    settings = session.get(AccountSettings, account_id) or AccountSettings(account_id=account_id)
    settings.time_zone = clean or None
    settings.updated_at = utcnow()
    session.add(settings)
    session.flush()
    return account_time_zone(session, account_id)
