"""Creating, checking, changing, deleting and finding contacts, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from contacts_app.db import session_scope
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import (
    MAX_NAME_LENGTH,
    ContactInput,
    ContactInvalid,
    ContactNotFound,
    create_contact,
    delete_contact,
    get_contact,
    position_of,
    search_contacts,
    update_contact,
)
from contacts_app.models import Account, Contact, Line


def add(engine: Engine, line_id: int, name: str, phone: str, email: str = "") -> Contact:
    with session_scope(engine) as session:
        return create_contact(session, line_id, ContactInput(name, phone, email))


def names(engine: Engine, line_id: int, query: str = "", offset: int = 0, limit: int = 50) -> list[str]:
    with session_scope(engine) as session:
        return [c.full_name for c in search_contacts(session, line_id, ContactFilter(query=query), offset, limit).rows]


def total(engine: Engine, line_id: int, query: str = "") -> int:
    with session_scope(engine) as session:
        return search_contacts(session, line_id, ContactFilter(query=query)).total


def second_line(engine: Engine, region: str = "US") -> int:
    with session_scope(engine) as session:
        account = Account(name="Other business", default_region=region)
        session.add(account)
        session.flush()
        line = Line(account_id=account.id, name="Other line")
        session.add(line)
        session.flush()
        return line.id


def invalid(engine: Engine, line_id: int, name: str, phone: str, email: str = "") -> ContactInvalid:
    with pytest.raises(ContactInvalid) as raised, session_scope(engine) as session:
        create_contact(session, line_id, ContactInput(name, phone, email))
    return raised.value


@pytest.fixture
def directory(engine, line_id) -> dict[str, Contact]:
    """A small address book with varied names, numbers and e-mails."""
    people = [
        ("Jane Doe", "(415) 555-2671", "Jane.Doe@Example.com"),
        ("john smith", "212.555.0188", "jsmith@work.org"),
        ("Ada Lovelace", "+44 20 7946 0958", ""),
        ("Alan Turing", "+1 617 555 0142", "alan@bletchley.uk"),
        ("Grace Hopper", "14155550199", "grace@navy.mil"),
    ]
    return {name: add(engine, line_id, name, phone, email) for name, phone, email in people}


# --- creating and checking --------------------------------------------------------------------


def test_new_contact_is_stored_with_e164_phone_and_lower_cased_email(engine, line_id):
    contact = add(engine, line_id, "  Jane   Doe ", "(415) 555-2671", " Jane.Doe@Example.COM ")
    with session_scope(engine) as session:
        stored = get_contact(session, line_id, contact.id)
    assert stored.full_name == "Jane Doe"
    assert stored.phone == "+14155552671"
    assert stored.email == "jane.doe@example.com"
    assert stored.opted_out is False
    assert stored.consent_status == "not_sent"
    assert stored.created_at is not None and stored.updated_at is not None


def test_blank_email_is_stored_as_none(engine, line_id):
    contact = add(engine, line_id, "Jane Doe", "(415) 555-2671", "   ")
    assert contact.email is None


def test_missing_name_is_rejected_and_nothing_is_saved(engine, line_id):
    error = invalid(engine, line_id, "   ", "(415) 555-2671")
    assert error.errors == {"full_name": "Full Name is required."}
    assert total(engine, line_id) == 0


def test_overlong_name_is_rejected_with_the_limit(engine, line_id):
    error = invalid(engine, line_id, "x" * (MAX_NAME_LENGTH + 1), "(415) 555-2671")
    assert f"the limit is {MAX_NAME_LENGTH}" in error.errors["full_name"]


def test_invalid_phone_is_rejected_with_a_clear_message(engine, line_id):
    error = invalid(engine, line_id, "Jane Doe", "555-12")
    assert error.errors == {
        "phone": "“555-12” has too few digits. Enter the whole number with its area code, like (201) 555-0123."
    }
    assert total(engine, line_id) == 0


def test_missing_phone_is_rejected(engine, line_id):
    error = invalid(engine, line_id, "Jane Doe", "")
    assert error.errors == {"phone": "Phone is required."}


def test_duplicate_phone_on_the_line_names_the_contact_who_has_it(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671")
    # The same number written another way is still the same number.
    error = invalid(engine, line_id, "Janet Doe", "+1 415.555.2671")
    assert error.errors == {"phone": "This number already belongs to Jane Doe on this line."}
    assert error.duplicate_id == jane.id
    assert error.duplicate_name == "Jane Doe"
    assert names(engine, line_id) == ["Jane Doe"]


def test_malformed_email_is_rejected_and_nothing_is_saved(engine, line_id):
    error = invalid(engine, line_id, "Jane Doe", "(415) 555-2671", "jane@@example")
    assert list(error.errors) == ["email"]
    assert error.errors["email"] == (
        "“jane@@example” has more than one @. Enter an e-mail address like name@example.com."
    )
    assert total(engine, line_id) == 0


def test_every_bad_field_is_reported_at_once(engine, line_id):
    error = invalid(engine, line_id, "", "call me", "not-an-email")
    assert set(error.errors) == {"full_name", "phone", "email"}
    assert "is not a phone number" in str(error)


def test_duplicate_phone_is_reported_together_with_other_errors(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671")
    error = invalid(engine, line_id, "", "4155552671", "nope")
    assert set(error.errors) == {"full_name", "phone", "email"}
    assert error.duplicate_id == jane.id


def test_same_phone_is_allowed_on_a_different_line(engine, line_id):
    other = second_line(engine)
    add(engine, line_id, "Jane Doe", "(415) 555-2671")
    add(engine, other, "Jane at the other shop", "(415) 555-2671")
    assert names(engine, line_id) == ["Jane Doe"]
    assert names(engine, other) == ["Jane at the other shop"]


def test_national_numbers_are_read_against_the_lines_own_region(engine):
    gb_line = second_line(engine, region="GB")
    contact = add(engine, gb_line, "Ada Lovelace", "020 7946 0958")
    assert contact.phone == "+442079460958"


def test_search_finds_numbers_abroad_as_written_at_home_and_internationally(engine):
    gb_line = second_line(engine, region="GB")
    add(engine, gb_line, "Ada Lovelace", "020 7946 0958")
    with session_scope(engine) as session:
        for query in ("020 7946 0958", "020 7946", "+44 20 7946", "0958"):
            found = search_contacts(session, gb_line, ContactFilter(query=query)).rows
            assert [c.full_name for c in found] == ["Ada Lovelace"], query


# --- changing and deleting ----------------------------------------------------------------------


def test_update_changes_the_fields_and_what_search_finds(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671", "jane@example.com")
    with session_scope(engine) as session:
        updated = update_contact(session, line_id, jane.id, ContactInput("Janet Roe", "212 555 0188", "J@Roe.org"))
    assert (updated.full_name, updated.phone, updated.email) == ("Janet Roe", "+12125550188", "j@roe.org")
    assert updated.updated_at >= jane.updated_at
    assert names(engine, line_id, "roe") == ["Janet Roe"]
    assert names(engine, line_id, "0188") == ["Janet Roe"]
    assert names(engine, line_id, "doe") == []
    assert names(engine, line_id, "2671") == []
    assert names(engine, line_id, "jane@example") == []


def test_update_may_keep_the_contacts_own_phone(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671")
    with session_scope(engine) as session:
        updated = update_contact(session, line_id, jane.id, ContactInput("Jane Q. Doe", "415.555.2671"))
    assert updated.full_name == "Jane Q. Doe"


def test_update_to_another_contacts_phone_names_that_contact_and_changes_nothing(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671")
    john = add(engine, line_id, "John Smith", "(212) 555-0188")
    with pytest.raises(ContactInvalid) as raised, session_scope(engine) as session:
        update_contact(session, line_id, john.id, ContactInput("Johnny Smith", "+1 415 555 2671"))
    assert raised.value.errors == {"phone": "This number already belongs to Jane Doe on this line."}
    assert raised.value.duplicate_id == jane.id
    with session_scope(engine) as session:
        assert get_contact(session, line_id, john.id).full_name == "John Smith"


def test_update_reports_every_bad_field_and_changes_nothing(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671", "jane@example.com")
    with pytest.raises(ContactInvalid) as raised, session_scope(engine) as session:
        update_contact(session, line_id, jane.id, ContactInput("", "12", "jane@"))
    assert set(raised.value.errors) == {"full_name", "phone", "email"}
    with session_scope(engine) as session:
        stored = get_contact(session, line_id, jane.id)
    assert (stored.full_name, stored.phone, stored.email) == ("Jane Doe", "+14155552671", "jane@example.com")


def test_update_of_a_missing_contact_raises_not_found(engine, line_id):
    with pytest.raises(ContactNotFound), session_scope(engine) as session:
        update_contact(session, line_id, 999_999, ContactInput("Jane Doe", "(415) 555-2671"))


def test_contact_of_another_line_is_not_found(engine, line_id):
    other = second_line(engine)
    theirs = add(engine, other, "Jane Doe", "(415) 555-2671")
    with pytest.raises(ContactNotFound), session_scope(engine) as session:
        get_contact(session, line_id, theirs.id)
    with pytest.raises(ContactNotFound), session_scope(engine) as session:
        delete_contact(session, line_id, theirs.id)
    assert names(engine, other) == ["Jane Doe"]


def test_deleted_contact_is_gone_and_its_phone_is_free_again(engine, line_id):
    jane = add(engine, line_id, "Jane Doe", "(415) 555-2671")
    add(engine, line_id, "John Smith", "(212) 555-0188")
    with session_scope(engine) as session:
        delete_contact(session, line_id, jane.id)
    assert names(engine, line_id) == ["John Smith"]
    assert names(engine, line_id, "2671") == []
    with pytest.raises(ContactNotFound), session_scope(engine) as session:
        get_contact(session, line_id, jane.id)
    add(engine, line_id, "Jane Doe again", "415-555-2671")


# --- searching ----------------------------------------------------------------------------------


def test_empty_search_lists_every_contact_by_name(engine, line_id, directory):
    assert names(engine, line_id) == ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Jane Doe", "john smith"]
    assert names(engine, line_id, "   ") == names(engine, line_id)
    assert total(engine, line_id) == 5


def test_search_finds_contact_by_part_of_the_name_in_any_case(engine, line_id, directory):
    assert names(engine, line_id, "LOVE") == ["Ada Lovelace"]
    assert names(engine, line_id, "smith") == ["john smith"]
    assert names(engine, line_id, "a") == ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Jane Doe"]


def test_search_needs_every_word_in_any_order(engine, line_id, directory):
    assert names(engine, line_id, "doe jane") == ["Jane Doe"]
    assert names(engine, line_id, "  jane    doe ") == ["Jane Doe"]
    assert names(engine, line_id, "jane smith") == []


def test_search_finds_contact_by_email(engine, line_id, directory):
    assert names(engine, line_id, "jane.doe@example.com") == ["Jane Doe"]
    assert names(engine, line_id, "JSMITH@Work") == ["john smith"]
    assert names(engine, line_id, "bletchley") == ["Alan Turing"]


def test_search_finds_contact_by_last_four_digits(engine, line_id, directory):
    assert names(engine, line_id, "2671") == ["Jane Doe"]
    assert names(engine, line_id, "0958") == ["Ada Lovelace"]


def test_search_finds_contacts_by_area_code_in_brackets(engine, line_id, directory):
    assert names(engine, line_id, "(415)") == ["Grace Hopper", "Jane Doe"]


def test_search_finds_contacts_by_spaced_phone_fragment(engine, line_id, directory):
    assert names(engine, line_id, "415 555") == ["Grace Hopper", "Jane Doe"]
    assert names(engine, line_id, "415-555-26") == ["Jane Doe"]
    assert names(engine, line_id, "415.555.2671") == ["Jane Doe"]


def test_search_finds_contacts_by_phone_with_country_code(engine, line_id, directory):
    assert names(engine, line_id, "+1415") == ["Grace Hopper", "Jane Doe"]
    assert names(engine, line_id, "+1 (415) 555-2671") == ["Jane Doe"]
    assert names(engine, line_id, "+44 20 7946") == ["Ada Lovelace"]


def test_search_finds_contact_by_full_national_number(engine, line_id, directory):
    assert names(engine, line_id, "(212) 555-0188") == ["john smith"]


def test_search_treats_like_wildcards_as_plain_characters(engine, line_id, directory):
    add(engine, line_id, "100% Juice_Bar", "(303) 555-0100")
    assert names(engine, line_id, "%") == ["100% Juice_Bar"]
    assert names(engine, line_id, "_") == ["100% Juice_Bar"]
    assert names(engine, line_id, "e_b") == ["100% Juice_Bar"]


def test_search_without_matches_is_empty_with_zero_total(engine, line_id, directory):
    with session_scope(engine) as session:
        page = search_contacts(session, line_id, ContactFilter(query="zebra"))
    assert (page.rows, page.total) == ([], 0)


def test_search_only_looks_at_the_lines_own_contacts(engine, line_id, directory):
    other = second_line(engine)
    add(engine, other, "Jane Elsewhere", "(415) 555-2671")
    assert names(engine, line_id, "jane") == ["Jane Doe"]
    assert names(engine, other, "2671") == ["Jane Elsewhere"]
    assert total(engine, line_id) == 5
    assert total(engine, other) == 1


def numbered_contacts(session: Session, line_id: int, count: int) -> None:
    for i in range(count):
        parity = "even" if i % 2 == 0 else "odd"
        create_contact(session, line_id, ContactInput(f"Person {i:03d} {parity}", f"(415) 555-{1000 + i}"))


def test_paging_walks_the_sorted_list_and_counts_every_match(engine, line_id):
    with session_scope(engine) as session:
        numbered_contacts(session, line_id, 120)
    pages = [names(engine, line_id, "", offset, 50) for offset in (0, 50, 100)]
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [name.split()[1] for name in sum(pages, [])] == [f"{i:03d}" for i in range(120)]
    with session_scope(engine) as session:
        last = search_contacts(session, line_id, ContactFilter(query=""), offset=100, limit=50)
        assert last.total == 120
        odd = search_contacts(session, line_id, ContactFilter(query="odd"), offset=10, limit=5)
        assert odd.total == 60
        assert [c.full_name for c in odd.rows] == [f"Person {i:03d} odd" for i in range(21, 31, 2)]
        assert search_contacts(session, line_id, ContactFilter(query=""), offset=500).rows == []


def test_list_is_sorted_by_name_ignoring_case(engine, line_id):
    for name, phone in [
        ("bob", "(415) 555-1001"),
        ("Alice", "(415) 555-1002"),
        ("carol", "(415) 555-1003"),
        ("ALICE", "(415) 555-1004"),
        ("Bea", "(415) 555-1005"),
    ]:
        add(engine, line_id, name, phone)
    # Equal names keep the order they were added in.
    assert names(engine, line_id) == ["Alice", "ALICE", "Bea", "bob", "carol"]


def test_position_of_is_the_contacts_index_in_the_sorted_list(engine, line_id):
    with session_scope(engine) as session:
        numbered_contacts(session, line_id, 30)
        create_contact(session, line_id, ContactInput("person 007 odd", "(212) 555-0107"))
    with session_scope(engine) as session:
        everyone = search_contacts(session, line_id, limit=100).rows
        assert [position_of(session, line_id, contact) for contact in everyone] == list(range(31))
        odd = search_contacts(session, line_id, ContactFilter(query="odd"), limit=100).rows
        assert [c.full_name for c in odd][3:5] == ["Person 007 odd", "person 007 odd"]
        assert [position_of(session, line_id, c, ContactFilter(query="odd")) for c in odd] == list(range(16))
        by_phone = search_contacts(session, line_id, ContactFilter(query="(212)")).rows
        assert [position_of(session, line_id, c, ContactFilter(query="(212)")) for c in by_phone] == [0]
