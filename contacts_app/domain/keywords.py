"""What an inbound text asks for: the carrier keywords, read the way carriers read them.

A keyword counts only when it is the whole message (any case, with spaces and punctuation
around it ignored). Longer messages are never acted on, but one that reads like a
revocation is flagged for a person to review, because consent may be revoked by any
reasonable means, not only by the exact keyword.
"""

import re
from enum import StrEnum

OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
CONFIRM_KEYWORDS = frozenset({"YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

POSSIBLE_OPT_OUT_LABEL = "Possible opt-out — review"


class KeywordKind(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    CONFIRM = "confirm"
    HELP = "help"
    POSSIBLE_OPT_OUT = "possible_opt_out"
    NONE = "none"


# Phrases that, inside a longer message, suggest the sender wants no more texts.
_REVOCATION_PATTERNS = [
    re.compile(pattern)
    for pattern in (
        r"\bstop\b",
        r"\bunsubscribe\b",
        r"\bopt\s*-?\s*out\b",
        r"\brevoke\b",
        r"\bremove me\b",
        r"\btake me off\b",
        r"\bleave me alone\b",
        r"\bno more (texts|text messages|messages|sms)\b",
        r"\b(do not|don'?t|dont|never)\s+(text|message|contact|sms)\b",
        r"\b(quit|cancel|end)\b.*\b(text|texts|texting|messages|messaging|sms|subscription)\b",
    )
]
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_INNER_SPACES = re.compile(r"\s+")


def keyword_text(body: str) -> str:
    """The message as a keyword: upper-cased, inner spaces collapsed, outer spaces and punctuation dropped."""
    text = _EDGE_PUNCTUATION.sub("", (body or "").strip())
    return _INNER_SPACES.sub(" ", text).upper()


def classify(body: str) -> str:
    """The KeywordKind of an inbound message body."""
    word = keyword_text(body)
    if word in OPT_OUT_KEYWORDS:
        return KeywordKind.OPT_OUT
    if word in OPT_IN_KEYWORDS:
        return KeywordKind.OPT_IN
    if word in CONFIRM_KEYWORDS:
        return KeywordKind.CONFIRM
    if word in HELP_KEYWORDS:
        return KeywordKind.HELP
    if reads_like_revocation(body):
        return KeywordKind.POSSIBLE_OPT_OUT
    return KeywordKind.NONE


def reads_like_revocation(body: str) -> bool:
    text = " ".join((body or "").lower().replace("’", "'").split())
    return any(pattern.search(text) for pattern in _REVOCATION_PATTERNS)
