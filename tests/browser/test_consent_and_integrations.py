"""Consent and inbound texts on an open Contacts page, and the Integrations page, against the real app.

Inbound texts are POSTed to the running app's /api/v1/inbound with a real API key, as a
carrier would; the page is never reloaded while it waits for their effect.
"""

import json
import re
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import api_keys, consent, consent_requests, lines, users
from contacts_app.domain.contacts import ContactInput, create_contact, ensure_default_line
from contacts_app.models import Contact, Role, User
from tests.browser.conftest import ADMIN_EMAIL, sign_in_cookie

pytestmark = pytest.mark.browser

LINE_NUMBER = "+14155550100"


def line_with_key(engine) -> str:
    """Give the line its phone number and the account an API key; returns the key."""
    with session_scope(engine) as session:
        line = ensure_default_line(session)
        line.phone = LINE_NUMBER
        session.add(line)
        return api_keys.create_api_key(session, line.account_id, "carrier")


def seed(engine, name: str, phone: str) -> int:
    with session_scope(engine) as session:
        return create_contact(session, ensure_default_line(session).id, ContactInput(name, phone)).id


def text_in(app_url: str, key: str, from_phone: str, body: str) -> dict:
    """A carrier's Twilio-style POST of an inbound text."""
    data = urllib.parse.urlencode({"From": from_phone, "To": LINE_NUMBER, "Body": body}).encode()
    request = urllib.request.Request(
        f"{app_url}/api/v1/inbound", data=data, headers={"Authorization": f"Bearer {key}"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def open_contacts(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()


def contact_rows(page: Page):
    return page.get_by_role("list", name="Contacts").get_by_role("listitem")


def details(page: Page):
    return page.get_by_role("region", name="Contact details")


def consent_panel(page: Page):
    return page.get_by_role("region", name="Consent and messages")


def open_contact(page: Page, name: str) -> None:
    contact_rows(page).filter(has_text=name).click()
    expect(details(page).get_by_role("heading", name=name)).to_be_visible()


def choose_filter(page: Page, option: str) -> None:
    page.get_by_role("combobox", name="Filter by list").click()
    page.get_by_role("option", name=option).click()


# --- Inbound texts and consent on an open page ----------------------------------------


def test_inbound_stop_opts_the_contact_out_in_an_open_page_without_a_reload(page, app_db, app_url, shot, viewport_name):
    key = line_with_key(app_db)
    seed(app_db, "Ada Lovelace", "415 555 2671")
    open_contacts(page)
    open_contact(page, "Ada Lovelace")
    expect(details(page).get_by_text("Opted out by text message", exact=False)).to_have_count(0)

    assert text_in(app_url, key, "(415) 555-2671", "Stop")["actions"] == ["opted_out"]

    expect(details(page).get_by_text(re.compile("Opted out by text message"))).to_be_visible()
    expect(details(page).get_by_role("checkbox", name="Opted out")).to_be_checked()
    expect(consent_panel(page).get_by_text("Stop", exact=True)).to_be_visible()
    expect(consent_panel(page).get_by_role("button", name="Send consent request")).to_be_disabled()
    expect(consent_panel(page).get_by_text("Opted out: nothing is sent until they text START.")).to_be_visible()
    shot("opted-out")
    if viewport_name == "desktop":
        expect(contact_rows(page).filter(has_text="Ada Lovelace")).to_contain_text("Opted out")


def test_consent_request_goes_pending_shows_the_outbox_text_and_yes_confirms(page, app_db, app_url, shot):
    key = line_with_key(app_db)
    seed(app_db, "Grace Hopper", "415 555 0101")
    open_contacts(page)
    open_contact(page, "Grace Hopper")
    panel = consent_panel(page)
    expect(panel.get_by_text("No texts to or from this number yet.")).to_be_visible()

    panel.get_by_role("button", name="Send consent request").click()
    asked = page.get_by_role("alertdialog", name="Send a consent request?")
    expect(asked).to_contain_text("Grace Hopper will be texted.")
    expect(asked).to_contain_text("Reply YES to receive texts, STOP to opt out.")
    expect(asked).to_contain_text("No carrier is connected: the texts wait in the outbox.")
    shot("asked")
    asked.get_by_role("button", name="Send text").click()
    expect(page.get_by_text("Consent request queued to Grace Hopper.")).to_be_visible()
    expect(details(page).get_by_text("Pending", exact=True)).to_be_visible()
    sent = panel.get_by_role("list", name="Messages").get_by_role("listitem").first
    expect(sent).to_contain_text("Reply YES to receive texts, STOP to opt out.")
    expect(sent).to_contain_text("To them")
    expect(sent).to_contain_text("Queued in outbox")
    expect(details(page).get_by_text("Consent request sent")).to_be_visible()
    shot("pending")

    text_in(app_url, key, "+14155550101", "yes!")
    expect(details(page).get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(panel.get_by_role("list", name="Messages").get_by_role("listitem").first).to_contain_text("From them")
    expect(panel.get_by_role("button", name="Send consent request")).to_be_disabled()
    expect(panel.get_by_text("Consent is already confirmed.")).to_be_visible()
    shot("confirmed")


def test_start_lifts_a_manual_opt_out_in_the_open_page(page, app_db, app_url):
    key = line_with_key(app_db)
    contact_id = seed(app_db, "Alan Turing", "415 555 0102")
    with session_scope(app_db) as session:
        consent.opt_out(session, session.get(Contact, contact_id), consent.Source.MANUAL, actor="owner@example.com")
    open_contacts(page)
    open_contact(page, "Alan Turing")
    expect(details(page).get_by_role("checkbox", name="Opted out")).to_be_checked()

    assert text_in(app_url, key, "4155550102", " START ")["actions"] == ["opted_in"]

    expect(details(page).get_by_role("checkbox", name="Opted out")).not_to_be_checked()
    expect(details(page).get_by_text("Opted back in")).to_be_visible()
    expect(consent_panel(page).get_by_role("button", name="Send consent request")).to_be_enabled()


def test_a_long_revocation_is_flagged_for_review_and_listed_under_needs_review(
    page, app_db, app_url, shot, viewport_name
):
    key = line_with_key(app_db)
    seed(app_db, "Flagged Person", "415 555 0103")
    seed(app_db, "Quiet Person", "415 555 0104")
    open_contacts(page)
    open_contact(page, "Flagged Person")

    assert text_in(app_url, key, "4155550103", "please stop texting me")["actions"] == ["flagged_for_review"]

    callout = consent_panel(page).get_by_role("alert")
    expect(callout).to_contain_text("Possible opt-out — review")
    expect(callout).to_contain_text("please stop texting me")
    # Flagged, not acted on.
    expect(details(page).get_by_role("checkbox", name="Opted out")).not_to_be_checked()
    shot("flagged")

    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()
    choose_filter(page, "Needs review")
    expect(contact_rows(page)).to_have_count(1)
    expect(contact_rows(page).first).to_contain_text("Flagged Person")
    shot("needs-review-filter")

    open_contact(page, "Flagged Person")
    consent_panel(page).get_by_role("button", name="Mark reviewed").click()
    expect(consent_panel(page).get_by_role("alert")).to_have_count(0)
    if viewport_name == "phone":
        page.get_by_role("button", name="Back to contacts").click()
    expect(contact_rows(page)).to_have_count(0)
    choose_filter(page, "All contacts")
    expect(contact_rows(page)).to_have_count(2)


def consent_statuses(engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {c.full_name: c.consent_status for c in session.exec(select(Contact)).all()}


def test_consent_requests_to_a_selection_ask_first_saying_who_is_texted_and_who_is_skipped(page, app_db, app_url, shot):
    key = line_with_key(app_db)
    seed(app_db, "First Person", "415 555 0105")
    seed(app_db, "Second Person", "415 555 0106")
    seed(app_db, "Third Person", "415 555 0107")
    seed(app_db, "Fourth Person", "415 555 0108")
    text_in(app_url, key, "4155550106", "STOP")
    with session_scope(app_db) as session:
        third = session.exec(select(Contact).where(Contact.full_name == "Third Person")).one()
        consent_requests.send_consent_request(session, third)
    text_in(app_url, key, "4155550107", "YES")
    before = consent_statuses(app_db)
    open_contacts(page)
    page.get_by_role("button", name="Select page").click()
    shot("selection")
    selection = page.get_by_role("region", name="Selection")
    selection.get_by_role("button", name="Send consent request").click()
    asked = page.get_by_role("alertdialog", name="Send consent requests?")
    expect(asked).to_contain_text("2 contacts will be texted; 2 skipped: 1 opted out, 1 already consented.")
    expect(asked).to_contain_text("Reply YES to receive texts")
    shot("asked")
    # Cancel sends nothing.
    asked.get_by_role("button", name="Cancel").click()
    expect(asked).to_be_hidden()
    assert consent_statuses(app_db) == before

    selection.get_by_role("button", name="Send consent request").click()
    asked.get_by_role("button", name="Send 2 texts").click()
    expect(page.get_by_text(re.compile(r"Consent request sent to 2; 2 skipped"))).to_be_visible()
    assert consent_statuses(app_db) == {
        "First Person": "pending",
        "Second Person": "not_sent",
        "Third Person": "confirmed",
        "Fourth Person": "pending",
    }


def test_a_selection_nobody_can_be_texted_in_is_told_why_without_a_dialog(page, app_db, app_url):
    key = line_with_key(app_db)
    seed(app_db, "Gone Quiet", "415 555 0109")
    text_in(app_url, key, "4155550109", "STOP")
    open_contacts(page)
    page.get_by_role("button", name="Select page").click()
    page.get_by_role("region", name="Selection").get_by_role("button", name="Send consent request").click()
    expect(page.get_by_text("Nobody to text: of the selected contacts, 1 opted out.")).to_be_visible()
    expect(page.get_by_role("alertdialog")).to_have_count(0)


# --- Integrations ---------------------------------------------------------------------


class Receiver:
    """A real local HTTP endpoint that records what the app's webhook deliveries send it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server spelling
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/contacts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def open_integrations(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("button", name="New Contact")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    page.get_by_role("menuitem", name="Integrations").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/integrations$"))


def test_integrations_creates_a_key_shown_once_and_a_webhook_that_delivers(page, app_db, receiver, shot):
    open_integrations(page)
    shot("empty")

    keys = page.get_by_role("region", name="API keys")
    keys.get_by_label("Key name").fill("Zapier")
    keys.get_by_role("button", name="Create API key").click()
    shown = keys.get_by_label("New API key")
    expect(shown).to_have_text(re.compile(r"^ck_\S{30,}$"))
    plaintext = shown.inner_text()
    with session_scope(app_db) as session:
        assert api_keys.authenticate(session, plaintext) is not None
    expect(keys.get_by_role("list", name="API keys")).to_contain_text("Zapier")
    shot("key-shown-once")
    keys.get_by_role("button", name="Done, I copied it").click()
    expect(page.get_by_text(plaintext)).to_have_count(0)

    hooks = page.get_by_role("region", name="Webhooks")
    hooks.get_by_label("Endpoint URL").fill("ftp://example.com/x")
    hooks.get_by_role("button", name="Add endpoint").click()
    expect(hooks.get_by_role("alert")).to_contain_text("is not an http(s) URL")
    hooks.get_by_label("Endpoint URL").fill(receiver.url)
    hooks.get_by_role("checkbox", name="message.received").click()
    hooks.get_by_role("button", name="Add endpoint").click()
    expect(hooks.get_by_label("Signing secret")).to_have_text(re.compile(r"^whsec_"))
    endpoints = hooks.get_by_role("list", name="Webhook endpoints")
    expect(endpoints).to_contain_text(receiver.url)
    expect(endpoints).not_to_contain_text("message.received")
    shot("endpoint-added")

    seed(app_db, "Webhook Person", "415 555 0107")
    log = page.get_by_role("region", name="Delivery log").get_by_role("list", name="Deliveries")
    expect(log.get_by_role("listitem").first).to_contain_text("contact.created", timeout=20_000)
    expect(log.get_by_role("listitem").first).to_contain_text("succeeded", timeout=20_000)
    expect(log).to_contain_text("HTTP 200: thanks")
    [delivery] = receiver.received
    assert delivery["body"]["type"] == "contact.created"
    assert delivery["body"]["data"]["contact"]["phone"] == "+14155550107"
    assert delivery["headers"]["webhook-signature"].startswith("v1,")
    log.scroll_into_view_if_needed()
    shot("delivered")

    log.get_by_role("button", name="Resend contact.created").click()
    expect(page.get_by_text("Queued to be sent again.")).to_be_visible()
    expect(log).to_contain_text("2 attempts", timeout=20_000)
    assert len(receiver.received) == 2
    assert receiver.received[1]["headers"]["webhook-id"] == delivery["headers"]["webhook-id"]


def test_the_consent_message_is_editable_and_must_mention_stop(page, app_db):
    open_integrations(page)
    section = page.get_by_role("region", name="Consent message")
    section.get_by_label("Message").fill("{business}: texts about your orders. Reply YES to agree.")
    section.get_by_role("button", name="Save message").click()
    expect(section.get_by_role("alert")).to_have_text("The consent message must tell people to reply STOP.")
    section.get_by_label("Message").fill("{business}: order updates by text? Reply YES, or STOP to opt out.")
    section.get_by_role("button", name="Save message").click()
    expect(page.get_by_text("Consent message saved.")).to_be_visible()
    page.reload()
    expect(section.get_by_label("Message")).to_have_value(
        "{business}: order updates by text? Reply YES, or STOP to opt out."
    )


def test_integrations_is_for_administrators_only(new_context, app_db, app_url):
    with session_scope(app_db) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        clerk = users.create_user(session, "clerk@example.com", "another long password 1", Role.USER)
        lines.share_line(session, admin, ensure_default_line(session).id, clerk.id)
    context = new_context()
    context.add_cookies([sign_in_cookie(app_db, app_url, "clerk@example.com", "another long password 1")])
    page = context.new_page()
    page.goto("/integrations")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Only an administrator can manage integrations.")).to_be_visible()
    page.get_by_role("button", name="Account").click()
    expect(page.get_by_role("menuitem", name="Integrations")).to_have_count(0)
