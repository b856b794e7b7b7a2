"""Administrators add, rename, own and share lines."""

import pytest
from argon2 import PasswordHasher

from contacts_app.db import session_scope
from contacts_app.domain import auth, lines, users
from contacts_app.domain.lines import LineInvalid, LineNotFound, UserRef
from contacts_app.domain.permissions import lines_for_user
from contacts_app.models import Account, Role, User

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(auth, "password_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
def admin(engine, line_id) -> User:
    with session_scope(engine) as session:
        return users.create_user(session, "owner@shop.com", PASSWORD)


def add_user(engine, email: str) -> User:
    with session_scope(engine) as session:
        return users.create_user(session, email, PASSWORD)


def test_added_line_has_its_number_in_e164(engine, admin):
    with session_scope(engine) as session:
        line = lines.add_line(session, admin, "  Sales   desk ", "(415) 555-0123")
    assert (line.name, line.phone, line.account_id) == ("Sales desk", "+14155550123", admin.account_id)


def test_a_number_can_be_the_line_of_only_one(engine, admin):
    with session_scope(engine) as session:
        lines.add_line(session, admin, "Sales", "+1 415 555 0123")
    with pytest.raises(LineInvalid) as caught, session_scope(engine) as session:
        lines.add_line(session, admin, "Support", "415.555.0123")
    assert caught.value.errors == {"phone": "+14155550123 is already the number of line “Sales”."}


def test_line_needs_a_valid_number_and_a_name_not_in_use(engine, admin):
    with pytest.raises(LineInvalid) as caught, session_scope(engine) as session:
        lines.add_line(session, admin, "main LINE", "12")
    assert set(caught.value.errors) == {"name", "phone"}
    assert caught.value.errors["name"] == "There is already a line called “main LINE”."
    with pytest.raises(LineInvalid, match="Line name is required"), session_scope(engine) as session:
        lines.add_line(session, admin, "  ", "(415) 555-0123")


def test_existing_line_is_renamed_and_given_its_number(engine, admin, line_id):
    with session_scope(engine) as session:
        line = lines.update_line(session, admin, line_id, name="Front desk", phone="(212) 555-0100")
    assert (line.name, line.phone) == ("Front desk", "+12125550100")
    with session_scope(engine) as session:
        # Renaming to its own name (another case) is no clash.
        assert lines.update_line(session, admin, line_id, name="FRONT DESK").phone == "+12125550100"


def test_line_of_another_account_cannot_be_changed(engine, admin):
    with session_scope(engine) as session:
        other = Account(name="Other")
        session.add(other)
        session.flush()
        stranger = users.create_user(session, "boss@other.com", PASSWORD, Role.ADMIN, account_id=other.id)
        theirs = lines.add_line(session, stranger, "Theirs", "(212) 555-0111")
    with pytest.raises(LineNotFound), session_scope(engine) as session:
        lines.update_line(session, admin, theirs.id, name="Mine now")


def test_one_owner_per_line_and_the_previous_owner_loses_access(engine, admin, line_id):
    ann = add_user(engine, "ann@shop.com")
    bob = add_user(engine, "bob@shop.com")
    with session_scope(engine) as session:
        lines.assign_owner(session, admin, line_id, ann.id)
        lines.assign_owner(session, admin, line_id, bob.id)
    with session_scope(engine) as session:
        [summary] = lines.list_lines(session, admin)
        assert summary.owner == UserRef(bob.id, "bob@shop.com")
        assert lines_for_user(session, session.get(User, ann.id)) == []
        lines.assign_owner(session, admin, line_id, None)
    with session_scope(engine) as session:
        assert lines.list_lines(session, admin)[0].owner is None


def test_sharing_and_unsharing(engine, admin, line_id):
    ann = add_user(engine, "ann@shop.com")
    bob = add_user(engine, "bob@shop.com")
    with session_scope(engine) as session:
        sales = lines.add_line(session, admin, "Sales", "(415) 555-0123", owner_id=ann.id)
        assert lines.share_line(session, admin, sales.id, bob.id) is True
        assert lines.share_line(session, admin, sales.id, bob.id) is False
        assert lines.share_line(session, admin, sales.id, ann.id) is False  # already the owner's
    with session_scope(engine) as session:
        summaries = {s.name: s for s in lines.list_lines(session, admin)}
        assert summaries["Sales"].owner == UserRef(ann.id, "ann@shop.com")
        assert summaries["Sales"].shared_with == [UserRef(bob.id, "bob@shop.com")]
        assert summaries["Main line"].owner is None
        assert lines.unshare_line(session, admin, sales.id, ann.id) is False  # owners are not unshared
        assert lines.unshare_line(session, admin, sales.id, bob.id) is True
    with session_scope(engine) as session:
        assert lines_for_user(session, session.get(User, bob.id)) == []


def test_sharing_with_a_user_of_another_account_is_refused(engine, admin, line_id):
    with session_scope(engine) as session:
        other = Account(name="Other")
        session.add(other)
        session.flush()
        stranger = users.create_user(session, "spy@other.com", PASSWORD, account_id=other.id)
    with pytest.raises(LineInvalid, match="does not exist"), session_scope(engine) as session:
        lines.share_line(session, admin, line_id, stranger.id)
