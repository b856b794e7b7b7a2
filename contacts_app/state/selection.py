"""Several contacts chosen at once (click, shift-click, "select all N matching") and list actions on them."""

from dataclasses import replace

import reflex as rx
from reflex.event import PointerEventInfo

from contacts_app.db import session_scope
from contacts_app.domain import contacts as contacts_domain
from contacts_app.domain import lists as lists_domain
from contacts_app.domain import tags as tags_domain
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactNotFound
from contacts_app.domain.permissions import Action
from contacts_app.numbers import counted
from contacts_app.state.contacts import ContactsState

# Enough ids to shift-click across a few pages; "select all matching" needs none.
MAX_CHECKED = 1000


class SelectionState(ContactsState):
    checked_ids: list[int] = []
    all_matching: bool = False
    # The search and list filter the selection was made under; a new search starts afresh.
    scope: str = ""
    target_list: str = ""
    bulk_tag: str = ""
    bulk_delete_open: bool = False
    _anchor: int = 0

    @rx.var
    def current_scope(self) -> str:
        # Every part of the filter: a selection made under "All contacts" is not one under "Needs review".
        return repr(self._contact_filter())

    @rx.var
    def selection_count(self) -> int:
        if self.scope != self.current_scope:
            return 0
        return self.total if self.all_matching else len(self.checked_ids)

    @rx.var
    def active_checked(self) -> list[int]:
        return self.checked_ids if self.scope == self.current_scope else []

    def _restart_if_scope_changed(self) -> None:
        if self.scope != self.current_scope:
            self.checked_ids, self.all_matching, self._anchor = [], False, 0
            self.scope = self.current_scope

    @rx.event
    def toggle(self, contact_id: int, info: PointerEventInfo):
        self._restart_if_scope_changed()
        self.all_matching = False
        visible = [row.id for row in self.rows]
        if info.get("shift_key") and self._anchor in visible and contact_id in visible:
            start, end = sorted((visible.index(self._anchor), visible.index(contact_id)))
            chosen = set(self.checked_ids) | set(visible[start : end + 1])
            self.checked_ids = [i for i in visible if i in chosen] + [i for i in self.checked_ids if i not in visible]
        elif contact_id in self.checked_ids:
            self.checked_ids = [i for i in self.checked_ids if i != contact_id]
        else:
            self.checked_ids = [*self.checked_ids, contact_id][-MAX_CHECKED:]
        self._anchor = contact_id

    @rx.event
    def select_page(self):
        self._restart_if_scope_changed()
        self.all_matching = False
        self.checked_ids = list(dict.fromkeys([*self.checked_ids, *(row.id for row in self.rows)]))[-MAX_CHECKED:]

    @rx.event
    def select_all_matching(self):
        self._restart_if_scope_changed()
        self.all_matching = True

    @rx.event
    def clear(self):
        self.checked_ids, self.all_matching, self._anchor = [], False, 0

    @rx.event
    def set_target_list(self, value: str):
        self.target_list = value

    @rx.event
    def add_to_list(self):
        return self._change_membership(adding=True)

    @rx.event
    def remove_from_list(self):
        return self._change_membership(adding=False)

    def _selection_filter(self) -> ContactFilter:
        """The selected contacts as one filter: the view's, narrowed to the checked ones unless all match."""
        chosen = self._contact_filter()
        return chosen if self.all_matching else replace(chosen, ids=tuple(self.checked_ids))

    def _after_bulk_change(self) -> None:
        self.checked_ids, self.all_matching = [], False
        with session_scope() as session:
            self._load_rows(session)
            if self.selected.id:
                try:
                    self._show_contact(session, self.selected.id)
                except ContactNotFound:
                    self._clear_selection()

    @rx.event
    def set_bulk_tag(self, value: str):
        self.bulk_tag = value

    @rx.event
    def add_tag(self):
        return self._change_tag(adding=True)

    @rx.event
    def remove_tag(self):
        return self._change_tag(adding=False)

    def _change_tag(self, adding: bool):
        if self.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        if not self.bulk_tag.strip():
            return rx.toast.error("Type a tag first.")
        try:
            with session_scope() as session:
                line_id = self._line_id(session)
                change = tags_domain.add_tag_matching if adding else tags_domain.remove_tag_matching
                changed = change(session, line_id, self.bulk_tag, self._selection_filter())
        except tags_domain.TagInvalid as invalid:
            return rx.toast.error(str(invalid))
        tag = " ".join(self.bulk_tag.split())
        self._after_bulk_change()
        return rx.toast.success(f"“{tag}” {'added to' if adding else 'removed from'} {counted(changed, 'contact')}.")

    @rx.event
    def ask_bulk_delete(self):
        if self.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        self.bulk_delete_open = True

    @rx.event
    def set_bulk_delete_open(self, is_open: bool):
        self.bulk_delete_open = is_open

    @rx.event
    def confirm_bulk_delete(self):
        self.bulk_delete_open = False
        with session_scope() as session:
            line_id = self._require(session, Action.DELETE_CONTACT)
            deleted = contacts_domain.delete_matching(session, line_id, self._selection_filter())
        self._after_bulk_change()
        return [
            self._go(self.selected.id or None, replace=True),
            rx.toast.success(f"{counted(deleted, 'contact')} deleted; their opt-outs are kept."),
        ]

    def _change_membership(self, adding: bool):
        if not self.target_list:
            return rx.toast.error("Choose a list first.")
        if self.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        list_id = int(self.target_list)
        try:
            with session_scope() as session:
                line_id = self._require(session, Action.LISTS)
                change = lists_domain.add_matching_to_list if adding else lists_domain.remove_matching_from_list
                changed = change(session, line_id, list_id, self._selection_filter())
        except lists_domain.ListNotFound:
            return rx.toast.error("That list no longer exists.")
        name = next((c.name for c in self.lists if c.id == self.target_list), "the list")
        self._after_bulk_change()
        verb = "added to" if adding else "removed from"
        return rx.toast.success(f"{counted(changed, 'contact')} {verb} {name}.")
