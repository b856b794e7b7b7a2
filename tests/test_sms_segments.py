"""Segment counting as carriers bill it: GSM-7 160/153, its extension table, UCS-2 70/67."""

import pytest

from contacts_app.domain.sms_segments import GSM_7, UCS_2, count_segments


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
    ],
)
def test_plain_text_is_160_then_153_per_segment(text, segments):
    count = count_segments(text)
    assert (count.segments, count.encoding, count.ucs2_because) == (segments, GSM_7, "")


def test_extension_characters_count_twice_and_keep_gsm_7():
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 81).segments == 2
    # 152 letters and one euro: 154 septets, still one segment.
    assert count_segments("a" * 152 + "€").segments == 1
    assert count_segments("{[~]}|^\\").encoding == GSM_7


def test_an_escape_pair_is_never_cut_between_segments():
    # 152 letters then a euro: the euro's two septets do not fit the first 153-septet part.
    assert count_segments("a" * 152 + "€" + "a" * 10).segments == 2
    assert count_segments("a" * 305 + "€").segments == 3


def test_one_non_gsm_character_switches_to_ucs2_and_is_named():
    count = count_segments("Your table is ready ’")
    assert count.encoding == UCS_2
    assert count.ucs2_because == "’"
    assert "because of “’”" in count.summary
    assert count_segments("a" * 69 + "ł").segments == 1
    assert count_segments("a" * 70 + "ł").segments == 2


def test_accented_letters_of_the_gsm_table_stay_gsm_7():
    assert count_segments("Café à Noël").encoding == UCS_2  # ë is not in the GSM-7 table
    assert count_segments("Café à Münster, Åse, ¿Ñoño? Ça va").encoding == GSM_7


def test_emoji_take_two_ucs2_units():
    assert count_segments("😀" * 35).segments == 1
    assert count_segments("😀" * 36).segments == 2
    assert count_segments("😀").ucs2_because == "😀"


def test_summary_reads_as_the_composer_shows_it():
    assert count_segments("a" * 161).summary == "161 characters · 2 SMS segments (GSM-7)"
    assert count_segments("hi").summary == "2 characters · 1 SMS segment (GSM-7)"
