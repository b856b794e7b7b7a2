"""The Contacts page: one page of rows, the selected contact, and the dialogs around them.

Thin: every handler calls a domain function inside one transaction and keeps only what the
page shows (never more than PAGE_SIZE rows).
"""

from dataclasses import dataclass

import reflex as rx

from contacts_app.api.exports import export_url
from contacts_app.db import session_scope
from contacts_app.domain import consent
from contacts_app.domain import contacts as contacts_domain
from contacts_app.domain import lists as lists_domain
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import PAGE_SIZE, ContactInput, ContactInvalid, ContactNotFound
from contacts_app.domain.permissions import Action
from contacts_app.state.session import NotSignedIn, SessionState
from contacts_app.views import (
    ContactDetail,
    ContactRow,
    HistoryEntry,
    contact_detail,
    contact_row,
    history_entry,
)

# The list filter's value for "Needs review" (list ids are digits).
REVIEW_FILTER = "review"


@dataclass
class ListChoice:
    id: str = ""
    name: str = ""
    members: int = 0


def _form_input(form_data: dict) -> ContactInput:
    return ContactInput(
        full_name=str(form_data.get("full_name", "")),
        phone=str(form_data.get("phone", "")),
        email=str(form_data.get("email", "")),
    )


class ContactsState(SessionState):
    query: str = ""
    page: int = 0
    rows: list[ContactRow] = []
    total: int = 0
    line_total: int = 0
    loaded: bool = False
    # "" shows every contact of the line; otherwise the id of the list to show.
    list_filter: str = ""
    # The "Needs review" filter: contacts with an open "Possible opt-out" flag (list_filter is then "").
    review_filter: bool = False
    lists: list[ListChoice] = []
    contact_list_ids: list[str] = []

    selected: ContactDetail = ContactDetail()
    history: list[HistoryEntry] = []
    # Changes whenever the form must show fresh values (its inputs are uncontrolled).
    form_version: int = 0
    edit_errors: dict[str, str] = {}
    edit_duplicate_id: int = 0
    edit_duplicate_name: str = ""

    new_open: bool = False
    new_errors: dict[str, str] = {}
    new_duplicate_id: int = 0
    new_duplicate_name: str = ""

    delete_open: bool = False
    delete_id: int = 0
    delete_name: str = ""

    opt_out_open: bool = False

    _region: str = "US"
    # The line's change stamp when the rows were read (see contacts_domain.line_stamp).
    _stamp: str = ""

    # ----- computed -----
    @rx.var
    def has_selection(self) -> bool:
        return self.selected.id > 0

    @rx.var
    def page_count(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    @rx.var
    def range_label(self) -> str:
        if self.total == 0:
            return ""
        first = self.page * PAGE_SIZE + 1
        last = min(self.total, first + PAGE_SIZE - 1)
        return f"{first:,}–{last:,} of {self.total:,}"

    @rx.var
    def count_label(self) -> str:
        noun = "contact" if self.total == 1 else "contacts"
        if self.query.strip():
            return f"{self.total:,} {'match' if self.total == 1 else 'matches'}"
        return f"{self.total:,} {noun}"

    @rx.var
    def form_key(self) -> str:
        return f"{self.selected.id}-{self.form_version}"

    # ----- loading -----
    def _contact_filter(self) -> ContactFilter:
        """Which contacts the page shows; selections and actions on "all matching" use the same."""
        return ContactFilter(
            query=self.query,
            list_id=int(self.list_filter) if self.list_filter else None,
            needs_review=self.review_filter,
        )

    def _active_line(self, session) -> int:
        line_id = self._line_id(session)
        self._region = contacts_domain.region_of_line(session, line_id)
        return line_id

    def _load_rows(self, session, with_lists: bool = True) -> None:
        """One page of rows; the lists' names and counts too unless only the page moves."""
        line_id = self._active_line(session)
        self._stamp = contacts_domain.line_stamp(session, line_id)
        chosen = self._contact_filter()

        def read_page():
            return contacts_domain.search_contacts(session, line_id, chosen, self.page * PAGE_SIZE, PAGE_SIZE)

        result = read_page()
        if not result.rows and self.page > 0 and result.total:
            # The page emptied (deletes, a narrower search): show the last one that has rows.
            self.page = (result.total - 1) // PAGE_SIZE
            result = read_page()
        self.rows = [contact_row(c, self._region) for c in result.rows]
        self.total = result.total
        self.line_total = contacts_domain.count_contacts(session, line_id) if chosen.narrows else result.total
        if with_lists:
            # Counting every list's members is a scan: not for each page turn or keystroke.
            self.lists = (
                [
                    ListChoice(id=str(s.id), name=s.name, members=s.member_count)
                    for s in lists_domain.lists_with_counts(session, line_id)
                ]
                if self.can_use_lists
                else []
            )
        self.loaded = True

    def _show_contact(self, session, contact_id: int) -> None:
        line_id = self._active_line(session)
        contact = contacts_domain.get_contact(session, line_id, contact_id)
        self.selected = contact_detail(contact, self._region)
        self.history = [history_entry(e) for e in consent.history(session, contact)]
        self.contact_list_ids = (
            [str(c.id) for c in lists_domain.lists_of_contact(session, line_id, contact_id)]
            if self.can_use_lists
            else []
        )
        self.edit_errors = {}
        self.edit_duplicate_id = 0
        self.edit_duplicate_name = ""
        self.form_version += 1

    def _clear_selection(self) -> None:
        self.selected = ContactDetail()
        self.history = []
        self.edit_errors = {}

    @rx.event
    def load(self):
        wanted = self.router.url.query_parameters.get("list", "")
        if wanted != self.list_filter:
            self.list_filter = wanted if wanted.isdigit() else ""
            self.review_filter = False
            self.page = 0
        with session_scope() as session:
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            self._load_rows(session)
            if self.selected.id:
                try:
                    self._show_contact(session, self.selected.id)
                except ContactNotFound:
                    self._clear_selection()

    @rx.event
    def refresh_if_changed(self, _tick: str = ""):
        """Polled by the page: show others' changes (an inbound STOP, another user's edit) live."""
        with session_scope() as session:
            try:
                line_id = self._line_id(session)
            except NotSignedIn:
                return
            if contacts_domain.line_stamp(session, line_id) == self._stamp:
                return
            self._load_rows(session)
            if self.selected.id:
                try:
                    self._show_contact(session, self.selected.id)
                except ContactNotFound:
                    self._clear_selection()

    @rx.event
    def set_query(self, value: str):
        self.query = value
        self.page = 0
        with session_scope() as session:
            self._load_rows(session, with_lists=False)

    @rx.event
    def set_list_filter(self, value: str):
        self.review_filter = value == REVIEW_FILTER
        self.list_filter = "" if value in ("all", REVIEW_FILTER) else value
        self.page = 0
        with session_scope() as session:
            self._load_rows(session, with_lists=False)

    @rx.event
    def toggle_list_membership(self, list_id: str, member: bool):
        try:
            with session_scope() as session:
                line_id = self._require(session, Action.LISTS)
                change = lists_domain.add_to_list if member else lists_domain.remove_from_list
                change(session, line_id, int(list_id), [self.selected.id])
        except (lists_domain.ListNotFound, ContactNotFound):
            return rx.toast.error("That list or contact no longer exists.")
        with session_scope() as session:
            self._show_contact(session, self.selected.id)
            self._load_rows(session)

    @rx.event
    def export(self):
        """The contacts on show (search and filters included) as CSV, streamed by the server."""
        with session_scope() as session:
            line_id = self._require(session, Action.EXPORT)
        name = next((c.name for c in self.lists if c.id == self.list_filter), "contacts")
        return rx.download(url=export_url(line_id, self._contact_filter()), filename=f"{name}.csv")

    @rx.event
    def next_page(self):
        if self.page + 1 < self.page_count:
            self.page += 1
            with session_scope() as session:
                self._load_rows(session, with_lists=False)

    @rx.event
    def previous_page(self):
        if self.page > 0:
            self.page -= 1
            with session_scope() as session:
                self._load_rows(session, with_lists=False)

    @rx.event
    def select(self, contact_id: int):
        with session_scope() as session:
            try:
                self._show_contact(session, contact_id)
            except ContactNotFound:
                self._clear_selection()
                self._load_rows(session)
                return rx.toast.error("That contact no longer exists.")

    @rx.event
    def close_details(self):
        self._clear_selection()

    @rx.event
    def move_selection(self, key: str):
        """Arrow keys walk the list, turning the page at its ends."""
        if key not in ("ArrowDown", "ArrowUp") or not self.rows:
            return
        ids = [row.id for row in self.rows]
        step = 1 if key == "ArrowDown" else -1
        if self.selected.id not in ids:
            target = ids[0] if step == 1 else ids[-1]
        else:
            index = ids.index(self.selected.id) + step
            if 0 <= index < len(ids):
                target = ids[index]
            elif index >= len(ids) and self.page + 1 < self.page_count:
                self.page += 1
                with session_scope() as session:
                    self._load_rows(session, with_lists=False)
                target = self.rows[0].id
            elif index < 0 and self.page > 0:
                self.page -= 1
                with session_scope() as session:
                    self._load_rows(session, with_lists=False)
                target = self.rows[-1].id
            else:
                return
        return [
            ContactsState.select(target),
            rx.call_script(f"document.getElementById('contact-row-{target}')?.scrollIntoView({{block: 'nearest'}})"),
        ]

    # ----- new contact -----
    @rx.event
    def set_new_open(self, is_open: bool):
        self.new_open = is_open
        self.new_errors = {}
        self.new_duplicate_id = 0
        self.new_duplicate_name = ""

    @rx.event
    def add_contact(self, form_data: dict):
        try:
            with session_scope() as session:
                line_id = self._active_line(session)
                contact = contacts_domain.create_contact(session, line_id, _form_input(form_data))
                contact_id, name = contact.id, contact.full_name
        except ContactInvalid as invalid:
            self.new_errors = invalid.errors
            self.new_duplicate_id = invalid.duplicate_id or 0
            self.new_duplicate_name = invalid.duplicate_name or ""
            return
        self.new_open = False
        self.new_errors = {}
        with session_scope() as session:
            self._show_contact(session, contact_id)
            self._load_rows(session)
        message = f"{name} added."
        if self.selected.opted_out:
            message += " This number opted out earlier, so it stays opted out."
        return rx.toast.success(message)

    @rx.event
    def open_duplicate(self, contact_id: int):
        self.new_open = False
        return ContactsState.select(contact_id)

    # ----- edit -----
    @rx.event
    def update_contact(self, form_data: dict):
        try:
            with session_scope() as session:
                line_id = self._active_line(session)
                contacts_domain.update_contact(session, line_id, self.selected.id, _form_input(form_data))
        except ContactInvalid as invalid:
            self.edit_errors = invalid.errors
            self.edit_duplicate_id = invalid.duplicate_id or 0
            self.edit_duplicate_name = invalid.duplicate_name or ""
            return
        except ContactNotFound:
            self._clear_selection()
            return rx.toast.error("That contact no longer exists.")
        with session_scope() as session:
            self._show_contact(session, self.selected.id)
            self._load_rows(session)
        return rx.toast.success("Contact details updated.")

    # ----- opt-out -----
    @rx.event
    def request_opt_out(self, checked: bool):
        if checked and not self.selected.opted_out:
            self.opt_out_open = True
        elif not checked and self.selected.opted_out:
            return rx.toast.info(str(consent.OptOutLocked()))

    @rx.event
    def set_opt_out_open(self, is_open: bool):
        self.opt_out_open = is_open

    @rx.event
    def confirm_opt_out(self):
        self.opt_out_open = False
        try:
            with session_scope() as session:
                line_id = self._active_line(session)
                contact = contacts_domain.get_contact(session, line_id, self.selected.id)
                consent.opt_out(session, contact, consent.Source.MANUAL, actor=self._user(session).email)
        except ContactNotFound:
            self._clear_selection()
            return rx.toast.error("That contact no longer exists.")
        with session_scope() as session:
            self._show_contact(session, self.selected.id)
            self._load_rows(session)
        return rx.toast.success(f"{self.selected.full_name} is opted out.")

    # ----- delete -----
    @rx.event
    def ask_delete(self, contact_id: int, name: str):
        self.delete_id = contact_id
        self.delete_name = name
        self.delete_open = True

    @rx.event
    def set_delete_open(self, is_open: bool):
        self.delete_open = is_open

    @rx.event
    def confirm_delete(self):
        self.delete_open = False
        try:
            with session_scope() as session:
                line_id = self._require(session, Action.DELETE_CONTACT)
                contacts_domain.delete_contact(session, line_id, self.delete_id)
        except ContactNotFound:
            pass
        if self.selected.id == self.delete_id:
            self._clear_selection()
        with session_scope() as session:
            self._load_rows(session)
        return rx.toast.success(f"{self.delete_name} deleted.")
