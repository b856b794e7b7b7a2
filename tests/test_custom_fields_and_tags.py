"""What a business keeps about a customer: custom fields, tags and notes, checked the same everywhere."""

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain import custom_fields, tags
from contacts_app.domain.bulk_delete import delete_all_contacts
from contacts_app.domain.contact_filter import ContactFilter, contact_condition
from contacts_app.domain.contacts import (
    ContactInput,
    ContactInvalid,
    create_contact,
    delete_contact,
    search_contacts,
    update_contact,
)
from contacts_app.domain.custom_fields import FieldInvalid
from contacts_app.models import Account, Contact, ContactFieldValue, FieldKind


@pytest.fixture
def account_id(engine, line_id) -> int:
    with session_scope(engine) as session:
        return session.exec(select(Account.id)).one()


@pytest.fixture
def fields(engine, account_id) -> dict[str, int]:
    with session_scope(engine) as session:
        made = [
            custom_fields.create_field(session, account_id, "Company", FieldKind.TEXT),
            custom_fields.create_field(session, account_id, "Visits", FieldKind.NUMBER),
            custom_fields.create_field(session, account_id, "Birthday", FieldKind.DATE),
            custom_fields.create_field(session, account_id, "VIP", FieldKind.YES_NO),
        ]
        return {field.name: field.id for field in made}


def test_values_are_checked_and_kept_in_one_canonical_form(engine, line_id, fields):
    with session_scope(engine) as session:
        ada = create_contact(
            session,
            line_id,
            ContactInput(
                "Ada Lovelace",
                "2125550101",
                fields={"company": " Analytical  Engines ", "Visits": "1,200.50", "Birthday": "1815-12-10", "VIP": "Y"},
            ),
        )
        assert custom_fields.values_of(session, ada.id) == {
            "Company": "Analytical Engines",
            "Visits": "1200.5",
            "Birthday": "1815-12-10",
            "VIP": "yes",
        }


def test_every_bad_value_is_reported_at_once_with_the_field_named(engine, line_id, fields):
    with session_scope(engine) as session, pytest.raises(ContactInvalid) as caught:
        create_contact(
            session,
            line_id,
            ContactInput("Ada", "2125550101", fields={"Visits": "many", "Birthday": "10/12/1815", "VIP": "maybe"}),
        )
    assert caught.value.errors == {
        "field:Visits": "Visits must be a number, like 42 or 3.5 (not “many”).",
        "field:Birthday": "Birthday must be a date written like 2026-03-31 (not “10/12/1815”).",
        "field:VIP": "VIP must be yes or no (not “maybe”).",
    }


def test_an_unknown_field_is_refused_by_name(engine, line_id, fields):
    with session_scope(engine) as session, pytest.raises(ContactInvalid) as caught:
        create_contact(session, line_id, ContactInput("Ada", "2125550101", fields={"Shoe size": "9"}))
    assert caught.value.errors == {"field:Shoe size": "There is no custom field called “Shoe size”."}


def test_only_the_given_fields_change_and_blank_clears(engine, line_id, fields):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101", fields={"Company": "AE", "VIP": "no"}))
        update_contact(session, line_id, ada.id, ContactInput("Ada", "2125550101", fields={"Company": ""}))
        assert custom_fields.values_of(session, ada.id) == {"VIP": "no"}


def test_field_definitions_are_unique_limited_and_never_a_built_in_column(engine, account_id, fields):
    with session_scope(engine) as session:
        with pytest.raises(FieldInvalid, match="already exists"):
            custom_fields.create_field(session, account_id, "company", FieldKind.TEXT)
        with pytest.raises(FieldInvalid, match="built-in column"):
            custom_fields.create_field(session, account_id, "Phone", FieldKind.TEXT)
        for number in range(custom_fields.MAX_FIELDS - len(fields)):
            custom_fields.create_field(session, account_id, f"Extra {number}", FieldKind.TEXT)
        with pytest.raises(FieldInvalid, match="at most 50"):
            custom_fields.create_field(session, account_id, "One too many", FieldKind.TEXT)


def test_deleting_a_field_removes_its_values(engine, line_id, account_id, fields):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101", fields={"Company": "AE"}))
        custom_fields.delete_field(session, account_id, fields["Company"])
        assert custom_fields.values_of(session, ada.id) == {}
        assert (
            session.exec(select(ContactFieldValue).where(ContactFieldValue.field_id == fields["Company"])).all() == []
        )
        # Nothing of it is left on the contact: a field made next (SQLite may give it the same id)
        # starts empty.
        session.expire_all()
        assert session.get(Contact, ada.id).field_values is None
        custom_fields.create_field(session, account_id, "Region", FieldKind.TEXT)
        assert custom_fields.values_of(session, ada.id) == {}


def test_a_changed_value_is_found_by_the_new_value_only(engine, line_id, fields):
    """The value on the contact and the row the filter looks it up by change together."""
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101", fields={"Company": "Analytical"}))
        update_contact(session, line_id, ada.id, ContactInput("Ada", "2125550101", fields={"Company": "Difference"}))

        def found(**chosen) -> list[str]:
            return [c.full_name for c in search_contacts(session, line_id, ContactFilter(**chosen)).rows]

        assert found(field_id=fields["Company"], field_value="analytical") == []
        assert found(field_id=fields["Company"], field_value="DIFFERENCE") == ["Ada"]
        update_contact(session, line_id, ada.id, ContactInput("Ada", "2125550101", fields={"Company": ""}))
        assert found(field_id=fields["Company"], field_value="difference") == []
        assert found(field_id=fields["Company"]) == []
        assert session.exec(select(ContactFieldValue)).all() == []


def test_a_contacts_values_go_with_it_one_by_one_and_all_at_once(engine, line_id, fields):
    """Values have no foreign key to their contact (migration 0022): a trigger deletes them with it."""
    with session_scope(engine) as session:
        made = [
            create_contact(session, line_id, ContactInput(name, phone, fields={"Company": "AE", "Visits": "2"}))
            for name, phone in (("Ada", "2125550101"), ("Bob", "2125550102"), ("Cy", "2125550103"))
        ]
        ada_id, kept_id = made[0].id, made[1].id
        delete_contact(session, line_id, ada_id)
        assert session.exec(select(ContactFieldValue).where(ContactFieldValue.contact_id == ada_id)).all() == []
        assert custom_fields.values_of(session, kept_id) == {"Company": "AE", "Visits": "2"}

    assert delete_all_contacts(engine, line_id, batch_size=1) == 2

    with session_scope(engine) as session:
        assert session.exec(select(ContactFieldValue)).all() == []


def test_no_value_is_stored_for_a_contact_deleted_meanwhile(engine, line_id, fields):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101"))
        delete_contact(session, line_id, ada.id)

        assert not custom_fields.set_values(session, ada.id, {fields["Company"]: "AE"})
        assert session.exec(select(ContactFieldValue)).all() == []


def test_a_value_for_a_field_deleted_since_it_was_checked_is_left_out(engine, line_id, account_id, fields):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101"))
        custom_fields.delete_field(session, account_id, fields["Company"])
        changed = custom_fields.set_values(session, ada.id, {fields["Company"]: "AE", fields["Visits"]: "3"})

        assert changed
        assert custom_fields.values_of(session, ada.id) == {"Visits": "3"}
        assert (
            session.exec(select(ContactFieldValue).where(ContactFieldValue.field_id == fields["Company"])).all() == []
        )


def test_merge_fields_fill_a_text_from_the_contacts_values(engine, line_id, fields):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101", fields={"Company": "AE"}))
        values = custom_fields.values_of(session, ada.id)
        text = "Hi from {field:company}! Your visits: {field:Visits}."
        assert custom_fields.render_merge_fields(text, values) == "Hi from AE! Your visits: ."


def test_tags_are_kept_as_written_compared_without_case_and_filterable(engine, line_id):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101", tags="VIP, spring sale, vip"))
        create_contact(session, line_id, ContactInput("Bob", "2125550102", tags=["vip"]))
        create_contact(session, line_id, ContactInput("Cat", "2125550103"))
        assert tags.tags_of(session, ada.id) == ["spring sale", "VIP"]
        assert tags.line_tags(session, line_id) == ["spring sale", "VIP"]
        found = search_contacts(session, line_id, ContactFilter(tag="Vip")).rows
        assert [c.full_name for c in found] == ["Ada", "Bob"]


def test_a_tag_with_a_comma_or_too_long_is_refused(engine, line_id):
    with session_scope(engine) as session, pytest.raises(ContactInvalid) as caught:
        create_contact(session, line_id, ContactInput("Ada", "2125550101", tags=["a" * 41]))
    assert "too long" in caught.value.errors["tags"]


def test_bulk_tagging_follows_the_filter(engine, line_id):
    with session_scope(engine) as session:
        for name, phone in [("Ann", "2125550101"), ("Bob", "2125550102"), ("Cat", "2125550103")]:
            create_contact(session, line_id, ContactInput(name, phone, tags="regular" if name != "Cat" else ""))
        assert tags.add_tag_matching(session, line_id, "Spring", ContactFilter(tag="regular")) == 2
        assert tags.add_tag_matching(session, line_id, "spring", ContactFilter()) == 1
        assert tags.remove_tag_matching(session, line_id, "SPRING", ContactFilter(query="ann")) == 1
        found = search_contacts(session, line_id, ContactFilter(tag="spring")).rows
        assert [c.full_name for c in found] == ["Bob", "Cat"]


def test_custom_field_filter_finds_a_value_in_any_case(engine, line_id, fields):
    with session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Ada", "2125550101", fields={"Company": "Analytical Engines"}))
        create_contact(session, line_id, ContactInput("Bob", "2125550102", fields={"Company": "Babbage Ltd"}))
        create_contact(session, line_id, ContactInput("Cat", "2125550103"))
        by_value = ContactFilter(field_id=fields["Company"], field_value="analytical engines")
        assert [c.full_name for c in search_contacts(session, line_id, by_value).rows] == ["Ada"]
        any_value = ContactFilter(field_id=fields["Company"])
        assert [c.full_name for c in search_contacts(session, line_id, any_value).rows] == ["Ada", "Bob"]
        # Tested on each contact's own row, or from the field's lookup rows: the same contacts.
        for per_contact in (True, False):
            for chosen in (by_value, any_value):
                matching = contact_condition(line_id, chosen, per_contact=per_contact)
                names = session.exec(select(Contact.full_name).where(matching).order_by(Contact.full_name)).all()
                assert names == (["Ada"] if chosen is by_value else ["Ada", "Bob"])


def test_notes_keep_their_last_editor_and_time(engine, line_id):
    with session_scope(engine) as session:
        ada = create_contact(session, line_id, ContactInput("Ada", "2125550101", notes="Prefers mornings."), "a@x.com")
        assert (ada.notes, ada.notes_updated_by) == ("Prefers mornings.", "a@x.com")
        first_edit = ada.notes_updated_at
        same = ContactInput("Ada", "2125550101", notes="Prefers mornings.")
        update_contact(session, line_id, ada.id, same, "b@x.com")
        assert ada.notes_updated_by == "a@x.com"  # nothing changed, nobody edited
        update_contact(session, line_id, ada.id, ContactInput("Ada", "2125550101", notes="Evenings now."), "b@x.com")
        assert (ada.notes, ada.notes_updated_by) == ("Evenings now.", "b@x.com")
        assert ada.notes_updated_at >= first_edit
        stored = session.exec(select(Contact).where(Contact.id == ada.id)).one()
        assert stored.notes == "Evenings now."
