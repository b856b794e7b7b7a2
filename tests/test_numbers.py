"""One way to write numbers everywhere: thousands with commas, and the right singular or plural."""

from contacts_app.numbers import count, counted
from contacts_app.state.contacts import ContactsState


def test_counts_have_thousands_separators():
    assert count(0) == "0"
    assert count(999) == "999"
    assert count(20044) == "20,044"
    assert count(1_000_000) == "1,000,000"


def test_counted_nouns_are_singular_for_one_and_plural_otherwise():
    assert counted(1, "problem") == "1 problem"
    assert counted(2, "problem") == "2 problems"
    assert counted(0, "contact") == "0 contacts"
    assert counted(20045, "contact") == "20,045 contacts"
    assert counted(1, "match", "matches") == "1 match"
    assert counted(3, "match", "matches") == "3 matches"


def test_the_browser_formats_a_var_the_same_way():
    assert str(count(ContactsState.total)).endswith(".toLocaleString('en-US')")
    assert "1 problem" in str(counted(ContactsState.total, "problem"))
    assert " problems" in str(counted(ContactsState.total, "problem"))
