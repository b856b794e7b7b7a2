"""What a committed change tells the open pages of its line, and which pages can let it pass."""

import pytest

from contacts_app import live
from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, create_contact, delete_contact, update_contact


@pytest.fixture
def announced(monkeypatch) -> list[dict]:
    messages: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda topic, message=None: messages.append(message))
    return messages


def test_an_edit_names_its_contact_and_the_columns_it_changed(engine, line_id, announced):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada Lovelace", "415 555 2671")).id
    # Added: the line's counts change, so no columns (every page reads again).
    assert announced[-1]["contacts"] == [ada] and "columns" not in announced[-1]

    with session_scope(engine) as session:
        update_contact(session, line_id, ada, ContactInput("Ada Lovelace", "415 555 2671", "ada@example.com"))
    assert announced[-1]["contacts"] == [ada]
    assert {"email", "search_text", "updated_at"} <= set(announced[-1]["columns"])
    assert "full_name" not in announced[-1]["columns"]

    # Tags: every page's tag choices may change, so every page reads again.
    with session_scope(engine) as session:
        tagged = ContactInput("Ada Lovelace", "415 555 2671", "ada@example.com", tags="vip")
        update_contact(session, line_id, ada, tagged)
    assert announced[-1]["contacts"] == [ada] and "columns" not in announced[-1]

    with session_scope(engine) as session:
        delete_contact(session, line_id, ada)
    assert announced[-1]["contacts"] == [ada] and "columns" not in announced[-1]


def page_with_view(monkeypatch, token: str, view: live.PageView) -> None:
    monkeypatch.setitem(live._pages, token, object())
    monkeypatch.setitem(live._views, token, None)  # so that the test's end removes it again
    live.note_view(token, view)


def test_a_page_lets_pass_only_edits_it_cannot_show(monkeypatch):
    view = live.PageView(1, frozenset({1, 2}), frozenset({"full_name", "phone"}), frozenset({"full_name", "name_key"}))
    page_with_view(monkeypatch, "page", view)
    email_of_3 = live.change_message([3], ["email", "search_text", "updated_at"])
    assert not live.may_change_view("page", [email_of_3])
    # A row's e-mail is not on the row; its number is.
    assert not live.may_change_view("page", [live.change_message([2], ["email", "updated_at"])])
    assert live.may_change_view("page", [live.change_message([2], ["phone", "search_text"])])
    # The open contact, a column the view reads, an added or deleted contact, anything else.
    assert live.may_change_view("page", [live.change_message([1], ["email"])])
    assert live.may_change_view("page", [live.change_message([3], ["full_name", "name_key"])])
    assert live.may_change_view("page", [email_of_3, live.change_message([3])])
    assert live.may_change_view("page", [live.change_message()])
    assert live.may_change_view("page", [live.CHANGED])
    assert live.may_change_view("page", [{"job": 7, "status": "succeeded"}])
    # A page this process noted nothing of is read again.
    assert live.may_change_view("another page", [email_of_3])


def test_a_page_without_a_watcher_here_is_not_noted():
    live.note_view("no watcher", live.PageView(0, frozenset({1}), frozenset(), frozenset()))
    assert "no watcher" not in live._views
