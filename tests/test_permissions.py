"""Every permission is decided by the plan and the administrator's switches; lines are scoped per user."""

import pytest
from argon2 import PasswordHasher

from contacts_app.db import session_scope
from contacts_app.domain import auth, lines, users
from contacts_app.domain.bulk_delete import delete_all_contacts_for
from contacts_app.domain.contacts import ContactInput, create_contact, search_contacts
from contacts_app.domain.permissions import (
    PLANS,
    Action,
    LineNotAvailable,
    PermissionDenied,
    PlanFeatures,
    can,
    default_line_for_user,
    explain,
    lines_for_user,
    permissions_for,
    require,
    require_line,
    set_account_plan,
)
from contacts_app.models import Account, Line, Role, User

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(auth, "password_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
def team(engine, line_id) -> dict[str, User]:
    """An administrator and a user on the install's account; the user owns the default line."""
    with session_scope(engine) as session:
        admin = users.create_user(session, "owner@shop.com", PASSWORD)
        clerk = users.create_user(session, "clerk@shop.com", PASSWORD)
        lines.assign_owner(session, admin, line_id, clerk.id)
    return {"admin": admin, "clerk": clerk}


def refreshed(session, user: User) -> User:
    return session.get(User, user.id)


def set_override(engine, team, field: str, value: bool | None) -> None:
    with session_scope(engine) as session:
        users.set_permissions(session, team["admin"], team["clerk"].id, {field: value})


# --- The plan ----------------------------------------------------------------------------


def test_default_plan_allows_everything_to_a_user(engine, team, line_id):
    with session_scope(engine) as session:
        reasons = permissions_for(session, refreshed(session, team["clerk"]), line_id)
    assert reasons == {
        **{action: None for action in Action},
        Action.MANAGE_USERS: "Only an administrator can manage users and lines.",
    }


@pytest.mark.parametrize(
    ("features", "action", "message"),
    [
        (PlanFeatures(delete=False), Action.DELETE_CONTACT, "Your plan does not include deleting contacts."),
        (PlanFeatures(delete=False), Action.DELETE_ALL, "Your plan does not include deleting contacts."),
        (PlanFeatures(delete_all=False), Action.DELETE_ALL, "Your plan does not include Delete All."),
        (PlanFeatures(lists=False), Action.LISTS, "Your plan does not include Lists."),
    ],
)
def test_plan_without_a_feature_refuses_it_to_everyone_administrators_included(
    engine, team, line_id, features, action, message
):
    with session_scope(engine) as session:
        set_account_plan(session, team["admin"].account_id, "custom", features)
    with session_scope(engine) as session:
        for who in ("admin", "clerk"):
            user = refreshed(session, team[who])
            assert explain(session, user, action, line_id) == message
            with pytest.raises(PermissionDenied) as denied:
                require(session, user, action, line_id)
            assert str(denied.value) == message
            assert denied.value.action == action


def test_plan_leaves_other_features_alone(engine, team, line_id):
    with session_scope(engine) as session:
        set_account_plan(session, team["admin"].account_id, "basic")
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        assert can(session, clerk, Action.DELETE_CONTACT, line_id)
        assert can(session, clerk, Action.IMPORT, line_id)
        assert can(session, clerk, Action.EXPORT, line_id)
        assert not can(session, clerk, Action.DELETE_ALL, line_id)
        assert not can(session, clerk, Action.LISTS, line_id)


def test_named_plans_set_their_features(engine, team):
    with session_scope(engine) as session:
        for name, features in PLANS.items():
            row = set_account_plan(session, team["admin"].account_id, name)
            assert (row.allows_delete, row.allows_delete_all, row.allows_lists, row.allows_blasts) == (
                features.delete,
                features.delete_all,
                features.lists,
                features.blasts,
            )


# --- The administrator's switches --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "action", "message"),
    [
        ("can_delete", Action.DELETE_CONTACT, "Your administrator has turned off deleting contacts for your account."),
        ("can_delete", Action.DELETE_ALL, "Your administrator has turned off deleting contacts for your account."),
        ("can_delete_all", Action.DELETE_ALL, "Your administrator has turned off Delete All for your account."),
        ("can_use_lists", Action.LISTS, "Your administrator has turned off Lists for your account."),
        ("can_import", Action.IMPORT, "Your administrator has turned off importing contacts for your account."),
        ("can_export", Action.EXPORT, "Your administrator has turned off exporting contacts for your account."),
        ("can_blast", Action.BLASTS, "Your administrator has turned off Blasts for your account."),
    ],
)
def test_administrator_can_take_each_feature_away_from_a_user_and_give_it_back(
    engine, team, line_id, field, action, message
):
    set_override(engine, team, field, False)
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        with pytest.raises(PermissionDenied) as denied:
            require(session, clerk, action, line_id)
        assert str(denied.value) == message
    set_override(engine, team, field, None)
    with session_scope(engine) as session:
        assert can(session, refreshed(session, team["clerk"]), action, line_id)


def test_taking_delete_away_leaves_the_other_features(engine, team, line_id):
    set_override(engine, team, "can_delete", False)
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        assert [a for a, reason in permissions_for(session, clerk, line_id).items() if reason] == [
            Action.DELETE_CONTACT,
            Action.DELETE_ALL,
            Action.MANAGE_USERS,
        ]


def test_switch_cannot_give_what_the_plan_lacks(engine, team, line_id):
    with session_scope(engine) as session:
        set_account_plan(session, team["admin"].account_id, "basic")
    set_override(engine, team, "can_delete_all", True)
    with session_scope(engine) as session:
        assert explain(session, refreshed(session, team["clerk"]), Action.DELETE_ALL, line_id) == (
            "Your plan does not include Delete All."
        )


def test_administrators_keep_everything_the_plan_allows(engine, team, line_id):
    with session_scope(engine) as session:
        admin = refreshed(session, team["admin"])
        admin.can_delete = False  # a switch on an administrator has no effect
        assert all(reason is None for reason in permissions_for(session, admin, line_id).values())


def test_only_administrators_manage_users_and_lines(engine, team, line_id):
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        for attempt in (
            lambda: users.add_user(session, clerk, "new@shop.com", PASSWORD),
            lambda: users.list_users(session, clerk),
            lambda: users.set_permissions(session, clerk, clerk.id, {"can_delete": True}),
            lambda: users.set_role(session, clerk, clerk.id, Role.ADMIN),
            lambda: lines.add_line(session, clerk, "Mine", "+14155550123"),
            lambda: lines.share_line(session, clerk, line_id, clerk.id),
            lambda: lines.list_lines(session, clerk),
        ):
            with pytest.raises(PermissionDenied, match="Only an administrator"):
                attempt()


def test_disabled_or_absent_user_may_do_nothing(engine, team, line_id):
    with session_scope(engine) as session:
        users.set_disabled(session, team["admin"], team["clerk"].id, True)
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        assert explain(session, clerk, Action.EXPORT, line_id) == "Your account is disabled; ask your administrator."
        assert explain(session, None, Action.EXPORT) == "Please sign in first."
        assert lines_for_user(session, clerk) == []


# --- Line scoping ------------------------------------------------------------------------


@pytest.fixture
def second_line(engine, team) -> int:
    with session_scope(engine) as session:
        return lines.add_line(session, team["admin"], "Sales", "(415) 555-0123").id


def test_user_reaches_only_their_own_and_shared_lines(engine, team, line_id, second_line):
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        assert [(line.id, line.access) for line in lines_for_user(session, clerk)] == [(line_id, "owner")]
        with pytest.raises(LineNotAvailable) as denied:
            require_line(session, clerk, second_line)
        assert str(denied.value) == "This line is not yours or shared with you."
        assert explain(session, clerk, Action.EXPORT, second_line) == "This line is not yours or shared with you."
        lines.share_line(session, team["admin"], second_line, clerk.id)
    with session_scope(engine) as session:
        clerk = refreshed(session, team["clerk"])
        assert [(line.id, line.access) for line in lines_for_user(session, clerk)] == [
            (line_id, "owner"),
            (second_line, "shared"),
        ]
        assert require_line(session, clerk, second_line).name == "Sales"
        assert default_line_for_user(session, clerk) == line_id


def test_administrator_reaches_every_line_of_the_account_but_no_other_account(engine, team, line_id, second_line):
    with session_scope(engine) as session:
        other_account = Account(name="Other business")
        session.add(other_account)
        session.flush()
        foreign = Line(account_id=other_account.id, name="Theirs", phone="+12125550100")
        session.add(foreign)
        session.flush()
        admin = refreshed(session, team["admin"])
        assert {line.id for line in lines_for_user(session, admin)} == {line_id, second_line}
        with pytest.raises(LineNotAvailable):
            require_line(session, admin, foreign.id)


def test_a_line_that_does_not_exist_looks_like_someone_elses(engine, team):
    with session_scope(engine) as session, pytest.raises(LineNotAvailable):
        require_line(session, refreshed(session, team["clerk"]), 999_999)


def test_crafted_request_for_another_lines_contacts_is_refused(engine, team, line_id, second_line):
    """The pattern every handler follows: require_line, then domain calls scoped to that line."""
    with session_scope(engine) as session:
        create_contact(session, second_line, ContactInput("Secret Customer", "(212) 555-0188"))

    def contacts_page_as(user_id: int, requested_line: int) -> list[str]:
        with session_scope(engine) as session:
            line = require_line(session, session.get(User, user_id), requested_line)
            return [c.full_name for c in search_contacts(session, line.id).rows]

    with pytest.raises(LineNotAvailable):
        contacts_page_as(team["clerk"].id, second_line)
    assert contacts_page_as(team["admin"].id, second_line) == ["Secret Customer"]


def test_delete_all_is_refused_on_the_server_without_the_permission_or_the_line(engine, team, line_id, second_line):
    with session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Jane Doe", "(415) 555-2671"))
        create_contact(session, second_line, ContactInput("John Smith", "(212) 555-0188"))
    with pytest.raises(LineNotAvailable):
        delete_all_contacts_for(engine, team["clerk"].id, second_line)
    set_override(engine, team, "can_delete_all", False)
    with pytest.raises(PermissionDenied, match="turned off Delete All"):
        delete_all_contacts_for(engine, team["clerk"].id, line_id)
    with session_scope(engine) as session:
        assert search_contacts(session, line_id).total == 1
        assert search_contacts(session, second_line).total == 1
    set_override(engine, team, "can_delete_all", None)
    assert delete_all_contacts_for(engine, team["clerk"].id, line_id) == 1
