"""Several contacts chosen at once (click, shift-click, "select all N matching") and list actions on them."""

from dataclasses import replace

import reflex as rx
from reflex.event import PointerEventInfo

from contacts_app.domain import contacts as contacts_domain
from contacts_app.domain import lists as lists_domain
from contacts_app.domain import tags as tags_domain
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.permissions import Action
from contacts_app.numbers import counted
from contacts_app.state.contacts import ContactsState
from contacts_app.state.session import Act, off_the_loop

# Enough ids to shift-click across a few pages; "select all matching" needs none.
MAX_CHECKED = 1000


class SelectionState(ContactsState):
    # Up to MAX_CHECKED ids stay on the server; the browser gets only the checked rows of its page.
    _checked_ids: list[int] = []
    all_matching: bool = False
    # The search and list filter the selection was made under; a new search starts afresh.
    scope: str = ""
    target_list: str = ""
    bulk_tag: str = ""
    _anchor: int = 0

    @rx.var
    def current_scope(self) -> str:
        # The line and every part of the filter: a selection made under "All contacts" is not one
        # under "Needs review", nor one on another line.
        return f"{self.active_line_id}|{self._contact_filter()!r}"

    @rx.var
    def selection_count(self) -> int:
        if self.scope != self.current_scope:
            return 0
        return self.total if self.all_matching else len(self._checked_ids)

    @rx.var
    def page_checked(self) -> list[int]:
        """The checked ids among the rows shown (at most a page of them)."""
        if self.scope != self.current_scope:
            return []
        checked = set(self._checked_ids)
        return [row.id for row in self.rows if row.id in checked]

    def _restart_if_scope_changed(self) -> None:
        if self.scope != self.current_scope:
            self._checked_ids, self.all_matching, self._anchor = [], False, 0
            self.scope = self.current_scope

    @rx.event
    def toggle(self, contact_id: int, info: PointerEventInfo):
        self._restart_if_scope_changed()
        self.all_matching = False
        visible = [row.id for row in self.rows]
        if info.get("shift_key") and self._anchor in visible and contact_id in visible:
            start, end = sorted((visible.index(self._anchor), visible.index(contact_id)))
            chosen = set(self._checked_ids) | set(visible[start : end + 1])
            self._checked_ids = [i for i in visible if i in chosen] + [i for i in self._checked_ids if i not in visible]
        elif contact_id in self._checked_ids:
            self._checked_ids = [i for i in self._checked_ids if i != contact_id]
        else:
            self._checked_ids = [*self._checked_ids, contact_id][-MAX_CHECKED:]
        self._anchor = contact_id

    @rx.event
    def select_page(self):
        self._restart_if_scope_changed()
        self.all_matching = False
        self._checked_ids = list(dict.fromkeys([*self._checked_ids, *(row.id for row in self.rows)]))[-MAX_CHECKED:]

    @rx.event
    def select_all_matching(self):
        self._restart_if_scope_changed()
        self.all_matching = True

    @rx.event
    def clear(self):
        self._checked_ids, self.all_matching, self._anchor = [], False, 0

    @rx.event
    def set_target_list(self, value: str):
        self.target_list = value

    @rx.event
    @off_the_loop
    def add_to_list(self):
        return self._change_membership(adding=True)

    @rx.event
    @off_the_loop
    def remove_from_list(self):
        return self._change_membership(adding=False)

    def _selection_filter(self) -> ContactFilter:
        """The selected contacts as one filter: the view's, narrowed to the checked ones unless all match."""
        chosen = self._contact_filter()
        return chosen if self.all_matching else replace(chosen, ids=tuple(self._checked_ids))

    def _after_bulk_change(self, act: Act) -> None:
        """Counts changed; so may the open contact's lists and tags."""
        self._checked_ids, self.all_matching = [], False
        self._load_rows(act)
        self._reload_open_contact(act)

    @rx.event
    def set_bulk_tag(self, value: str):
        self.bulk_tag = value

    @rx.event
    @off_the_loop
    def add_tag(self):
        return self._change_tag(adding=True)

    @rx.event
    @off_the_loop
    def remove_tag(self):
        return self._change_tag(adding=False)

    def _change_tag(self, adding: bool):
        if self.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        if not self.bulk_tag.strip():
            return rx.toast.error("Type a tag first.")
        try:
            with self._act() as act:
                change = tags_domain.add_tag_matching if adding else tags_domain.remove_tag_matching
                changed = change(act.session, act.line_id, self.bulk_tag, self._selection_filter())
                self._after_bulk_change(act)
        except tags_domain.TagInvalid as invalid:
            return rx.toast.error(str(invalid))
        tag = " ".join(self.bulk_tag.split())
        return rx.toast.success(f"“{tag}” {'added to' if adding else 'removed from'} {counted(changed, 'contact')}.")

    @rx.event
    def ask_bulk_delete(self):
        if self.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        self._open_dialog("bulk_delete")

    @rx.event
    @off_the_loop
    def confirm_bulk_delete(self):
        self._close_dialog()
        with self._act(Action.DELETE_CONTACT) as act:
            deleted = contacts_domain.delete_matching(act.session, act.line_id, self._selection_filter())
            self._after_bulk_change(act)
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
        name = next((c.name for c in self.lists if c.id == self.target_list), "the list")
        try:
            with self._act(Action.LISTS) as act:
                change = lists_domain.add_matching_to_list if adding else lists_domain.remove_matching_from_list
                changed = change(act.session, act.line_id, list_id, self._selection_filter())
                self._after_bulk_change(act)
        except lists_domain.ListNotFound:
            return rx.toast.error("That list no longer exists.")
        verb = "added to" if adding else "removed from"
        return rx.toast.success(f"{counted(changed, 'contact')} {verb} {name}.")
