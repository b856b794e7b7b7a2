"""The account's consent request text: the template administrators edit and the text that is sent."""

from dataclasses import dataclass

from sqlmodel import Session

from contacts_app.models import Account, AccountSettings, utcnow

DEFAULT_CONSENT_MESSAGE = (
    "{business}: we'd like to send you text messages. Reply YES to receive texts, STOP to opt out."
)
MAX_CONSENT_MESSAGE_LENGTH = 640


def consent_message_for(session: Session, account_id: int) -> str:
    """The account's consent text, with {business} replaced by the account's name."""
    account = session.get(Account, account_id)
    settings = session.get(AccountSettings, account_id)
    text = (settings.consent_message if settings else None) or DEFAULT_CONSENT_MESSAGE
    return text.replace("{business}", account.name if account else "")


def consent_message_template(session: Session, account_id: int) -> str:
    """The text as edited in Settings (placeholders kept), or the default."""
    settings = session.get(AccountSettings, account_id)
    return (settings.consent_message if settings else None) or DEFAULT_CONSENT_MESSAGE


@dataclass
class ConsentMessageInvalid(Exception):
    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


def set_consent_message(session: Session, account_id: int, text: str | None) -> str:
    """Save the account's consent text; blank restores the default. Returns the template in force."""
    clean = (text or "").strip()
    if len(clean) > MAX_CONSENT_MESSAGE_LENGTH:
        raise ConsentMessageInvalid(
            {"consent_message": f"The consent message is too long (the limit is {MAX_CONSENT_MESSAGE_LENGTH})."}
        )
    if clean and "STOP" not in clean.upper():
        raise ConsentMessageInvalid({"consent_message": "The consent message must tell people to reply STOP."})
    settings = session.get(AccountSettings, account_id) or AccountSettings(account_id=account_id)
    settings.consent_message = clean or None
    settings.updated_at = utcnow()
    session.add(settings)
    session.flush()
    return clean or DEFAULT_CONSENT_MESSAGE
