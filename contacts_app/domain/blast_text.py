"""A blast's words: merge fields, the opt-out instruction, and what the composer's counter says.

`{full_name}` and `{first_name}` are the contact's; an empty one becomes the fallback the sender
chose ("Hi {first_name}" -> "Hi there"). The first blast a contact receives carries the opt-out
instruction ("Reply STOP to opt out") unless the text already tells people how to opt out.
"""

import re
from dataclasses import dataclass

from sqlmodel import Session

from contacts_app.domain.sms_segments import SegmentCount, count_segments
from contacts_app.models import AccountSettings, utcnow

MERGE_FIELDS = ("full_name", "first_name")
MERGE_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_OPT_OUT_INSTRUCTION = "Reply STOP to opt out"
MAX_INSTRUCTION_LENGTH = 100
# Ten segments of UCS-2 text: carriers refuse or split longer texts unreliably.
MAX_BLAST_LENGTH = 670
MAX_FALLBACK_LENGTH = 40
# A text that names the STOP keyword already tells people how to opt out.
_MENTIONS_STOP = re.compile(r"\bstop\b", re.IGNORECASE)


def unknown_merge_fields(body: str) -> list[str]:
    return sorted({name for name in MERGE_FIELD.findall(body or "") if name not in MERGE_FIELDS})


def first_name_of(full_name: str) -> str:
    words = (full_name or "").split()
    return words[0] if words else ""


def merge(body: str, full_name: str, fallback: str) -> str:
    """The text one contact receives (before the opt-out instruction)."""
    values = {"full_name": " ".join((full_name or "").split()), "first_name": first_name_of(full_name)}
    return MERGE_FIELD.sub(lambda match: values.get(match.group(1), match.group(0)) or fallback, body)


def says_how_to_opt_out(body: str) -> bool:
    return bool(_MENTIONS_STOP.search(body or ""))


def with_instruction(text: str, instruction: str) -> str:
    return f"{text}\n{instruction}"


def opt_out_instruction(session: Session, account_id: int) -> str:
    settings = session.get(AccountSettings, account_id)
    return (settings.opt_out_instruction if settings else None) or DEFAULT_OPT_OUT_INSTRUCTION


@dataclass
class BlastSettingsInvalid(Exception):
    errors: dict[str, str]

    def __str__(self) -> str:
        return " ".join(self.errors.values())


def set_blast_settings(
    session: Session, account_id: int, needs_consent: bool, instruction: str | None
) -> AccountSettings:
    """Whether blasts need confirmed consent, and the opt-out instruction (blank: the default)."""
    clean = " ".join((instruction or "").split())
    if len(clean) > MAX_INSTRUCTION_LENGTH:
        raise BlastSettingsInvalid(
            {
                "opt_out_instruction": f"Opt-out instruction is too long ({len(clean)} characters; "
                f"the limit is {MAX_INSTRUCTION_LENGTH})."
            }
        )
    if clean and not says_how_to_opt_out(clean):
        raise BlastSettingsInvalid({"opt_out_instruction": "The opt-out instruction must tell people to reply STOP."})
    settings = session.get(AccountSettings, account_id) or AccountSettings(account_id=account_id)
    settings.blasts_need_consent = bool(needs_consent)
    settings.opt_out_instruction = clean or None
    settings.updated_at = utcnow()
    session.add(settings)
    session.flush()
    return settings


@dataclass(frozen=True)
class ComposerCount:
    """The live counter under the message box."""

    count: SegmentCount
    # The same for a contact's first blast, which carries the opt-out instruction ("" when none is added).
    first_blast_summary: str

    @property
    def summary(self) -> str:
        return self.count.summary


def composer_count(body: str, instruction: str = DEFAULT_OPT_OUT_INSTRUCTION) -> ComposerCount:
    count = count_segments(body)
    if not body or says_how_to_opt_out(body):
        return ComposerCount(count, "")
    first = count_segments(with_instruction(body, instruction))
    return ComposerCount(count, f"With “{instruction}” on a contact's first blast: {first.summary}")
