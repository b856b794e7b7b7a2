"""A line connected to Twilio (the local stand-in) on the real app: connect, send, statuses live, signed STOP."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from tests.browser.test_consent_and_integrations import consent_panel, details, open_contact, open_contacts

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


def wait_for_standin_message(standin, phone: str, account_sid: str, timeout: float = 20.0):
    """The text sent to `phone` through `account_sid` (the stand-in outlives one test: the other
    screen size's run sent to the same number through its own account)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in standin.messages.values() if m.to == phone and m.account_sid == account_sid]
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


def test_a_twilio_line_sends_shows_queued_sent_delivered_live_and_takes_a_signed_stop(
    page, app_db, twilio_standin, shot
):
    line_name = line_with_number(app_db)
    account_sid, token = twilio_standin.add_account(numbers=(LINE_NUMBER,))
    connect_twilio(page, account_sid, token, line_name)
    inbound_url = carrier_region(page).get_by_label("Inbound URL", exact=True).inner_text()
    shot("connected")

    open_contacts(page)
    open_contact(page, "Grace Hopper")
    panel = consent_panel(page)
    panel.get_by_role("button", name="Send consent request").click()
    asked = page.get_by_role("alertdialog", name="Send a consent request?")
    # Connected to Twilio: nothing says the text will wait in the outbox.
    expect(asked).to_contain_text("Grace Hopper will be texted.")
    expect(asked.get_by_text("wait in the outbox")).to_have_count(0)
    asked.get_by_role("button", name="Send text").click()
    latest = panel.get_by_role("list", name="Messages").get_by_role("listitem").first
    expect(latest).to_contain_text("Reply YES to receive texts")
    expect(latest).to_contain_text(re.compile(r"Queued$|Queued\b"))

    sent = wait_for_standin_message(twilio_standin, GRACE, account_sid)
    assert sent.from_ == LINE_NUMBER
    assert twilio_standin.post_status(sent.sid, "sent") == 200
    expect(latest).to_contain_text("Sent")
    assert twilio_standin.post_status(sent.sid, "delivered") == 200
    expect(latest).to_contain_text("Delivered")
    shot("delivered")

    stop = {
        "AccountSid": account_sid,
        "MessageSid": "SM" + "5" * 32,
        "From": GRACE,
        "To": LINE_NUMBER,
        "Body": "STOP",
        "NumMedia": "0",
    }
    assert twilio_standin.post_signed(inbound_url, stop, token) == 200
    expect(details(page).get_by_role("checkbox", name="Opted out")).to_be_checked()
    expect(details(page).get_by_text(re.compile("Opted out by text message"))).to_be_visible()
    expect(panel.get_by_role("list", name="Messages").get_by_role("listitem").first).to_contain_text("From them")
    shot("opted-out")
