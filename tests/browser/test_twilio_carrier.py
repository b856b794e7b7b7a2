"""A line connected to Twilio (the local stand-in) on the real app: connect, send, statuses live, signed STOP."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line

pytestmark = pytest.mark.browser

LINE_NUMBER = "+14155550100"
GRACE = "+14155550101"


def line_with_number(engine) -> str:
    with session_scope(engine) as session:
        line = ensure_default_line(session)
        line.phone = LINE_NUMBER
        session.add(line)
        create_contact(session, line.id, ContactInput("Grace Hopper", GRACE))
        return line.name


def carrier_region(page: Page):
    return page.get_by_role("region", name="Carrier: Twilio")


def connect_twilio(page: Page, account_sid: str, token: str, line_name: str) -> None:
    page.goto("/integrations")
    region = carrier_region(page)
    expect(region.get_by_role("button", name="Connect Twilio")).to_be_visible()
    region.get_by_label("Account SID").fill(account_sid)
    region.get_by_label("Auth token").fill(token)
    region.get_by_role("button", name="Connect Twilio").click()
    expect(region.get_by_text(re.compile("Connected to"))).to_be_visible()
    expect(region.get_by_text("••••" + token[-4:])).to_be_visible()
    send_through = region.get_by_role("checkbox", name=f"Send {line_name} through Twilio")
    send_through.click()  # controlled by the server: checked once it has saved the choice
    expect(send_through).to_be_checked()
    region.get_by_role("button", name=f"Check connection of {line_name}").click()
    expect(region.get_by_text("Connected: Twilio knows this number and the credentials work.")).to_be_visible()


def wait_for_standin_message(standin, phone: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in standin.messages.values() if m.to == phone]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"the app never sent a text to {phone} through Twilio")


def test_connecting_twilio_shows_only_the_last_four_and_a_wrong_number_is_said_plainly(
    page, app_db, twilio_standin, shot
):
    line_name = line_with_number(app_db)
    account_sid, token = twilio_standin.add_account(numbers=("+14155559999",))
    page.goto("/integrations")
    region = carrier_region(page)
    region.get_by_label("Account SID").fill("AC123")
    region.get_by_role("button", name="Connect Twilio").click()
    expect(region.get_by_text(re.compile("Account SID: starts with AC"))).to_be_visible()
    region.get_by_label("Account SID").fill(account_sid)
    region.get_by_label("Auth token").fill(token)
    region.get_by_role("button", name="Connect Twilio").click()
    expect(region.get_by_text("••••" + token[-4:])).to_be_visible()
    assert token not in page.content()
    send_through = region.get_by_role("checkbox", name=f"Send {line_name} through Twilio")
    send_through.click()  # controlled by the server: checked once it has saved the choice
    expect(send_through).to_be_checked()
    region.get_by_role("button", name=f"Check connection of {line_name}").click()
    expect(region.get_by_text(f"{LINE_NUMBER} is not a phone number of Twilio account {account_sid}.")).to_be_visible()
    expect(region.get_by_label("Inbound URL", exact=True)).to_contain_text("/api/v1/carriers/twilio/inbound")
    region.scroll_into_view_if_needed()
    shot("wrong-number")
