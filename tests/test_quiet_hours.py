"""Quiet hours hold a marketing text until 8 am in the recipient's own zone, across DST changes."""

from datetime import UTC, datetime, time

import pytest

from contacts_app.domain.quiet_hours import SendingWindow, next_allowed_send, recipient_time_zone


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+14155550123", "America/Los_Angeles"),
        ("+12125550123", "America/New_York"),
        ("+33612345678", "Europe/Paris"),
        # A British mobile has no place, but every British zone keeps London's clock.
        ("+447700900123", "Europe/London"),
        # Australian mobiles and toll-free numbers span several clocks: the account decides.
        ("+61412345678", "America/Chicago"),
        ("+18005550123", "America/Chicago"),
        ("not a number", "America/Chicago"),
    ],
)
def test_the_recipients_zone_comes_from_the_number(phone, zone):
    assert recipient_time_zone(phone, "America/Chicago", at=datetime(2026, 7, 1, tzinfo=UTC)) == zone


def test_inside_the_window_sends_now():
    due = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)  # noon in New York
    assert next_allowed_send(due, "America/New_York") == due


def test_before_8_am_waits_for_8_am_the_same_day():
    due = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # 6 am in New York
    assert next_allowed_send(due, "America/New_York") == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_at_or_after_9_pm_waits_for_8_am_the_next_day():
    due = datetime(2026, 7, 2, 1, 0, tzinfo=UTC)  # 9 pm in New York on the 1st
    assert next_allowed_send(due, "America/New_York") == datetime(2026, 7, 2, 12, 0, tzinfo=UTC)


def test_the_same_moment_is_held_for_one_recipient_and_sent_to_another():
    due = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 10 am in New York, 7 am in Los Angeles
    assert next_allowed_send(due, "America/New_York") == due
    assert next_allowed_send(due, "America/Los_Angeles") == datetime(2026, 7, 1, 15, 0, tzinfo=UTC)


def test_spring_forward_opens_at_8_am_local_not_8_am_of_the_old_offset():
    # 8 March 2026: New York moves from UTC-5 to UTC-4 at 2 am.
    due = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # midnight, still UTC-5
    assert next_allowed_send(due, "America/New_York") == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_fall_back_opens_at_8_am_local():
    # 1 November 2026: New York moves from UTC-4 to UTC-5 at 2 am.
    due = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30, still UTC-4
    assert next_allowed_send(due, "America/New_York") == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="Quiet hours"):
        SendingWindow(opens=time(21, 0), closes=time(8, 0))
