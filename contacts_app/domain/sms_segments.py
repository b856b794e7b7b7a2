"""How carriers count a text: characters, encoding and SMS segments (what a blast costs).

GSM-7 fits 160 characters in one segment and 153 in each part of a longer text (the rest of a
part carries the header that joins them); the extension characters (^ { } \\ [ ] ~ | € and form
feed) take two. One character outside GSM-7 (an emoji, a curly quote) switches the whole text to
UCS-2: 70 in one segment, 67 per part, with characters beyond the Basic Multilingual Plane
taking two. The splitting itself is smsutil's, which never cuts an escape pair or a surrogate pair.
"""

from dataclasses import dataclass

import smsutil
from smsutil.codecs import GSM_CHARSET

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"


@dataclass(frozen=True)
class SegmentCount:
    characters: int
    segments: int
    encoding: str
    # The first character that forced UCS-2, as the sender typed it ("" for GSM-7).
    ucs2_because: str = ""

    @property
    def summary(self) -> str:
        """What the composer shows under the message box."""
        plural = "segment" if self.segments == 1 else "segments"
        text = f"{self.characters:,} characters · {self.segments:,} SMS {plural} ({self.encoding})"
        if self.ucs2_because:
            text += f" because of “{self.ucs2_because}”"
        return text


def first_non_gsm_character(text: str) -> str:
    return next((char for char in text if char not in GSM_CHARSET), "")


def count_segments(text: str) -> SegmentCount:
    """Characters and segments of `text` as the carrier will bill it (an empty text is 0 segments)."""
    if not text:
        return SegmentCount(characters=0, segments=0, encoding=GSM_7)
    culprit = first_non_gsm_character(text)
    split = smsutil.split(text)
    return SegmentCount(
        characters=len(text),
        segments=len(split.parts),
        encoding=UCS_2 if culprit else GSM_7,
        ucs2_because=culprit,
    )
