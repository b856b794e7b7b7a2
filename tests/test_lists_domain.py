"""Contact lists: names unique per line, counts, members, and adding many contacts at once."""

import pytest
from sqlmodel import select

from contacts_app.db import session_scope
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, delete_contact, search_contacts
from contacts_app.domain.lists import (
    ListInvalid,
    ListNotFound,
    add_matching_to_list,
    add_to_list,
    create_list,
    delete_list,
    find_list,
    list_members,
    lists_of_contact,
    lists_with_counts,
    remove_from_list,
    remove_matching_from_list,
    update_list,
)
from contacts_app.models import Account, Contact, Line

PEOPLE = [
    ("Ann Archer", "2125550101", "ann@shop.com"),
    ("Bob Baker", "2125550102", "bob@shop.com"),
    ("Cat Cooper", "2125550103", "cat@home.net"),
    ("Dan Dyer", "2125550104", ""),
]


@pytest.fixture
def contact_ids(engine, line_id) -> dict[str, int]:
    with session_scope(engine) as session:
        return {
            name.split()[0]: create_contact(session, line_id, ContactInput(name, phone, email)).id
            for name, phone, email in PEOPLE
        }


def second_line(engine) -> int:
    with session_scope(engine) as session:
        line = Line(account_id=session.exec(select(Account)).first().id, name="Second")
        session.add(line)
        session.flush()
        return line.id


def test_new_list_needs_a_name_and_keeps_an_optional_description(engine, line_id):
    with session_scope(engine) as session:
        with pytest.raises(ListInvalid) as invalid:
            create_list(session, line_id, "   ")
        assert invalid.value.errors == {"name": "List name is required."}
        created = create_list(session, line_id, "  Summer   Sale ", "June customers")
    assert (created.name, created.description) == ("Summer Sale", "June customers")


def test_list_names_are_unique_per_line_whatever_the_case(engine, line_id):
    other = second_line(engine)
    with session_scope(engine) as session:
        create_list(session, line_id, "VIP")
        with pytest.raises(ListInvalid) as invalid:
            create_list(session, line_id, "vip")
        assert "already exists" in invalid.value.errors["name"]
        create_list(session, other, "VIP")  # another line may use the name


def test_rename_keeps_the_members_and_refuses_a_taken_name(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        create_list(session, line_id, "Regulars")
        add_to_list(session, line_id, vip.id, [contact_ids["Ann"]])
        with pytest.raises(ListInvalid):
            update_list(session, line_id, vip.id, "REGULARS")
        renamed = update_list(session, line_id, vip.id, "Very Important", "Top spenders")
        assert (renamed.name, renamed.description) == ("Very Important", "Top spenders")
        assert update_list(session, line_id, vip.id, "very important").name == "very important"
        assert find_list(session, line_id, "VERY important").id == vip.id
        assert list_members(session, line_id, vip.id).total == 1


def test_deleting_a_list_keeps_its_contacts(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        add_to_list(session, line_id, vip.id, contact_ids.values())
        delete_list(session, line_id, vip.id)
    with session_scope(engine) as session:
        assert search_contacts(session, line_id).total == 4
        assert lists_with_counts(session, line_id) == []
        with pytest.raises(ListNotFound):
            list_members(session, line_id, vip.id)


def test_lists_show_their_member_counts_in_name_order(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "vip")
        empty = create_list(session, line_id, "Empty")
        add_to_list(session, line_id, vip.id, [contact_ids["Ann"], contact_ids["Bob"]])
        summaries = lists_with_counts(session, line_id)
    assert [(s.id, s.name, s.member_count) for s in summaries] == [(empty.id, "Empty", 0), (vip.id, "vip", 2)]


def test_members_page_is_searchable_like_the_contact_list(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        add_to_list(session, line_id, vip.id, [contact_ids["Ann"], contact_ids["Bob"], contact_ids["Cat"]])
        page = list_members(session, line_id, vip.id, "shop")
        assert [c.full_name for c in page.rows] == ["Ann Archer", "Bob Baker"] and page.total == 2
        assert search_contacts(session, line_id, ContactFilter(query="", list_id=vip.id), limit=1).total == 3


def test_adding_contacts_twice_or_from_another_line_changes_nothing(engine, line_id, contact_ids):
    other = second_line(engine)
    with session_scope(engine) as session:
        stranger = create_contact(session, other, ContactInput("Stranger", "2125550199")).id
        vip = create_list(session, line_id, "VIP")
        assert add_to_list(session, line_id, vip.id, [contact_ids["Ann"], contact_ids["Bob"]]) == 2
        assert add_to_list(session, line_id, vip.id, [contact_ids["Ann"], stranger]) == 0
        assert remove_from_list(session, line_id, vip.id, [contact_ids["Ann"], contact_ids["Dan"]]) == 1
        assert [c.full_name for c in list_members(session, line_id, vip.id).rows] == ["Bob Baker"]


def test_select_all_matching_adds_every_match_in_one_statement(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        shop = create_list(session, line_id, "Shop")
        assert add_matching_to_list(session, line_id, shop.id, ContactFilter(query="shop.com")) == 2
        assert add_matching_to_list(session, line_id, shop.id, ContactFilter()) == 2  # the two others
        assert list_members(session, line_id, shop.id).total == 4


def test_select_all_matching_within_a_list_filter(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        follow_up = create_list(session, line_id, "Follow up")
        add_to_list(session, line_id, vip.id, [contact_ids["Ann"], contact_ids["Cat"]])
        assert add_matching_to_list(session, line_id, follow_up.id, ContactFilter(list_id=vip.id)) == 2
        cat_in_vip = ContactFilter(query="cat", list_id=vip.id)
        assert remove_matching_from_list(session, line_id, follow_up.id, cat_in_vip) == 1
        assert [c.full_name for c in list_members(session, line_id, follow_up.id).rows] == ["Ann Archer"]


def test_contact_details_see_and_change_its_lists(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        news = create_list(session, line_id, "Newsletter")
        add_to_list(session, line_id, vip.id, [contact_ids["Ann"]])
        remove_from_list(session, line_id, vip.id, [contact_ids["Ann"]])
        add_to_list(session, line_id, news.id, [contact_ids["Ann"]])
        assert [lst.name for lst in lists_of_contact(session, line_id, contact_ids["Ann"])] == ["Newsletter"]
        add_to_list(session, line_id, vip.id, [contact_ids["Ann"]])
        assert [lst.name for lst in lists_of_contact(session, line_id, contact_ids["Ann"])] == ["Newsletter", "VIP"]


def test_lists_of_another_line_cannot_be_used(engine, line_id, contact_ids):
    other = second_line(engine)
    with session_scope(engine) as session:
        theirs = create_list(session, other, "Theirs")
        with pytest.raises(ListNotFound):
            add_to_list(session, line_id, theirs.id, [contact_ids["Ann"]])
        with pytest.raises(ListNotFound):
            remove_from_list(session, line_id, theirs.id, [contact_ids["Ann"]])
        with pytest.raises(ListNotFound):
            update_list(session, line_id, theirs.id, "Mine now")


def test_deleting_a_contact_removes_it_from_its_lists(engine, line_id, contact_ids):
    with session_scope(engine) as session:
        vip = create_list(session, line_id, "VIP")
        add_to_list(session, line_id, vip.id, contact_ids.values())
        delete_contact(session, line_id, contact_ids["Ann"])
    with session_scope(engine) as session:
        assert lists_with_counts(session, line_id)[0].member_count == 3
        assert session.exec(select(Contact).where(Contact.id == contact_ids["Ann"])).first() is None
