"""An inbound text: store it, then apply the keyword rules of `keywords.py` through `consent.py`."""

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from contacts_app.domain import blasts, consent, events, review_flags
from contacts_app.domain.consent import Source
from contacts_app.domain.keywords import KeywordKind, classify
from contacts_app.models import Account, Contact, Line, Message, MessageDirection, MessageStatus
from contacts_app.phones import PhoneError, normalize_phone

MAX_BODY_LENGTH = 2000


class InboundAction(StrEnum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    CONSENT_CONFIRMED = "consent_confirmed"
    FLAGGED_FOR_REVIEW = "flagged_for_review"
    RECORDED = "recorded"


@dataclass
class InboundInvalid(Exception):
    """One message per field (from, to, body)."""

    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


class NoLineForNumber(InboundInvalid):
    """`To` is a phone number, but none of the account's lines has it."""


@dataclass(frozen=True)
class InboundResult:
    message_id: int
    contact_id: int | None
    phone: str
    keyword: str
    # What changed, in order (InboundAction values); "recorded" when nothing but the message.
    actions: tuple[str, ...]


def line_for_number(session: Session, account_id: int, to: str) -> Line:
    """The account's line whose number is `to` (any format)."""
    account = session.get(Account, account_id)
    region = account.default_region if account else "US"
    try:
        phone = normalize_phone(to, region)
    except PhoneError as exc:
        raise InboundInvalid({"to": f"To: {exc}"}) from exc
    line = session.exec(select(Line).where(Line.account_id == account_id, Line.phone == phone)).first()
    if line is None:
        raise NoLineForNumber({"to": f"To: {phone} is not a line of this account."})
    return line


def receive_inbound(session: Session, line: Line, from_phone: str, body: str) -> InboundResult:
    """Store the text from `from_phone` to `line` and act on its keyword; raises InboundInvalid."""
    account = session.get(Account, line.account_id)
    errors: dict[str, str] = {}
    phone = ""
    try:
        phone = normalize_phone(from_phone, account.default_region if account else "US")
    except PhoneError as exc:
        errors["from"] = f"From: {exc}"
    body = body or ""
    if len(body) > MAX_BODY_LENGTH:
        errors["body"] = f"Body is too long ({len(body)} characters; the limit is {MAX_BODY_LENGTH})."
    if errors:
        raise InboundInvalid(errors)

    contact = session.exec(select(Contact).where(Contact.line_id == line.id, Contact.phone == phone)).first()
    kind = classify(body)
    message = Message(
        line_id=line.id,
        contact_id=contact.id if contact else None,
        direction=MessageDirection.INBOUND,
        phone=phone,
        body=body,
        keyword=None if kind == KeywordKind.NONE else kind,
        status=MessageStatus.RECEIVED,
    )
    session.add(message)
    session.flush()
    events.emit(session, events.MESSAGE_RECEIVED, contact, line, message=message, occurred_at=message.created_at)

    actions = _apply_keyword(session, line, phone, contact, kind, body, message)
    return InboundResult(
        message_id=message.id,
        contact_id=contact.id if contact else None,
        phone=phone,
        keyword=kind,
        actions=tuple(actions) or (InboundAction.RECORDED,),
    )


def _apply_keyword(
    session: Session, line: Line, phone: str, contact: Contact | None, kind: str, body: str, message: Message
) -> list[str]:
    actions: list[str] = []
    if kind == KeywordKind.OPT_OUT:
        blasts.attribute_opt_out(session, message)
        if contact is None:
            changed = consent.suppress_number(session, line.id, phone, Source.KEYWORD, detail=body)
        else:
            changed = consent.opt_out(session, contact, Source.KEYWORD, detail=body)
            consent.decline_consent(session, contact, Source.KEYWORD, detail=body)
        if changed:
            actions.append(InboundAction.OPTED_OUT)
    elif kind == KeywordKind.OPT_IN:
        if contact is None:
            changed = consent.lift_number_suppression(session, line.id, phone, Source.KEYWORD, detail=body)
        else:
            changed = consent.opt_in(session, contact, Source.KEYWORD, detail=body)
        if changed:
            actions.append(InboundAction.OPTED_IN)
        if contact is not None and consent.confirm_consent(session, contact, Source.KEYWORD, detail=body):
            actions.append(InboundAction.CONSENT_CONFIRMED)
    elif kind == KeywordKind.CONFIRM:
        if contact is not None and consent.confirm_consent(session, contact, Source.KEYWORD, detail=body):
            actions.append(InboundAction.CONSENT_CONFIRMED)
    elif kind == KeywordKind.POSSIBLE_OPT_OUT:
        review_flags.flag_for_review(
            session, line.id, phone, review_flags.REVIEW_POSSIBLE_OPT_OUT, contact.id if contact else None, message.id
        )
        actions.append(InboundAction.FLAGGED_FOR_REVIEW)
    return actions
