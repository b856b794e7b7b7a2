"""Account settings an administrator chooses: the business name that consent texts use for {business}."""

from sqlmodel import Session

from contacts_app.models import Account

MAX_BUSINESS_NAME_LENGTH = 100


class BusinessNameInvalid(ValueError):
    pass


def clean_business_name(raw: str | None) -> str:
    """The name as texts will show it; BusinessNameInvalid says what is wrong."""
    name = " ".join((raw or "").split())
    if not name:
        raise BusinessNameInvalid("Enter the business name your customers know you by.")
    if len(name) > MAX_BUSINESS_NAME_LENGTH:
        raise BusinessNameInvalid(
            f"The business name is too long ({len(name)} characters; the limit is {MAX_BUSINESS_NAME_LENGTH})."
        )
    return name


def business_name(session: Session, account_id: int) -> str:
    account = session.get(Account, account_id)
    return account.name if account else ""


def set_business_name(session: Session, account_id: int, name: str) -> str:
    """Consent requests start with this name ("{business}: we'd like to send you text messages...")."""
    clean = clean_business_name(name)
    account = session.get(Account, account_id)
    account.name = clean
    session.add(account)
    session.flush()
    return clean
