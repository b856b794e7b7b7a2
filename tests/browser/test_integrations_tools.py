"""Integrations and Users pages: API docs link, Copy buttons, Send test event, plan and region in the UI."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain.permissions import plan_of
from contacts_app.models import Account
from tests.browser.test_consent_and_integrations import Receiver, open_integrations

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_docs_link_copy_buttons_and_a_test_event_that_reaches_the_receiver(page: Page, app_db, receiver, shot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_integrations(page)
    keys = page.get_by_role("region", name="API keys")
    docs = keys.get_by_role("link", name="/api/docs")
    expect(docs).to_have_attribute("href", "/api/docs")

    keys.get_by_label("Key name").fill("Zapier")
    keys.get_by_role("button", name="Create API key").click()
    plaintext = keys.get_by_label("New API key").inner_text()
    keys.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("New API key copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == plaintext

    hooks = page.get_by_role("region", name="Webhooks")
    hooks.get_by_label("Endpoint URL").fill(receiver.url)
    hooks.get_by_role("button", name="Add endpoint").click()
    secret = hooks.get_by_label("Signing secret")
    expect(secret).to_have_text(re.compile(r"^whsec_"))
    hooks.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == secret.inner_text()
    shot("secret-with-copy")

    hooks.get_by_role("button", name=f"Send a test event to {receiver.url}").click()
    log = page.get_by_role("region", name="Delivery log").get_by_role("list", name="Deliveries")
    expect(log.get_by_role("listitem").first).to_contain_text("webhook.test")
    expect(log.get_by_role("listitem").first).to_contain_text("succeeded", timeout=20_000)
    [test_event] = receiver.received
    assert test_event["body"]["type"] == "webhook.test"
    assert test_event["headers"]["webhook-signature"].startswith("v1,")
    shot("test-event-delivered")


def test_the_plan_and_region_are_set_on_the_users_page(page: Page, app_db, shot):
    page.goto("/users")
    card = page.get_by_label("Plan", exact=True)
    expect(card).to_be_visible()
    expect(page.get_by_text("contacts-app set-plan")).to_have_count(0)
    card.get_by_role("combobox", name="Account type").click()
    page.get_by_role("option", name="basic").click()
    expect(page.get_by_text("The account is on the Basic plan.")).to_be_visible()
    card.get_by_label("Region for numbers written without a country code").fill("ZZ")
    card.get_by_role("button", name="Save region").click()
    expect(card.get_by_role("alert")).to_contain_text("“ZZ” is not a region code")
    card.get_by_label("Region for numbers written without a country code").fill("gb")
    card.get_by_role("button", name="Save region").click()
    expect(page.get_by_text("Numbers without a country code are now read as GB numbers.")).to_be_visible()
    shot("plan-and-region")
    with session_scope(app_db) as session:
        account = session.exec(select(Account)).first()
        assert account.default_region == "GB"
        assert plan_of(session, account.id)[0] == "basic"
        account.default_region = "US"
        session.add(account)
