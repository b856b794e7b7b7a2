"""The Contacts page: one page of rows, the selected contact, and the dialogs around them.

Thin: every handler calls a domain function inside one transaction and keeps only what the
page shows (never more than PAGE_SIZE rows).
"""

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import reflex as rx

from contacts_app import live
from contacts_app.api.exports import export_url
from contacts_app.db import session_scope
from contacts_app.domain import consent, custom_fields
from contacts_app.domain import contacts as contacts_domain
from contacts_app.domain import lists as lists_domain
from contacts_app.domain import tags as tags_domain
from contacts_app.domain.contact_filter import (
    MAX_QUERY_LENGTH,
    ContactFilter,
    Sort,
    filter_from_params,
    filter_params,
)
from contacts_app.domain.contacts import PAGE_SIZE, ContactInput, ContactInvalid, ContactNotFound
from contacts_app.domain.permissions import Action
from contacts_app.models import Contact
from contacts_app.numbers import count, counted
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import Act, SessionState, off_the_loop
from contacts_app.views import (
    ROW_COLUMNS,
    ContactDetail,
    ContactRow,
    FieldValue,
    HistoryEntry,
    contact_detail,
    contact_row,
    field_values,
    history_entry,
)

# Keyboard focus follows the arrow keys along the list (or, typing in the search, the row scrolls into view).
FOLLOW_ROW_SCRIPT = (
    "(row => { if (!row) return; const a = document.activeElement;"
    " if (a === document.body || row.closest('ul').contains(a)) row.focus();"
    " else row.scrollIntoView({block: 'nearest'});"
    " })(document.getElementById('ROW_ID'))"
)
# The list filter's value for "Needs review" (list ids are digits).
REVIEW_FILTER = "review"
# The newest consent events shown beside a contact; the full history is in its CSV.
HISTORY_SHOWN = 50


@dataclass
class ListChoice:
    id: str = ""
    name: str = ""
    members: int = 0


@dataclass(frozen=True)
class ViewRead:
    """What the page shows of one view (filter, page) of a line; shared by pages that show the same."""

    page: int
    rows: tuple[ContactRow, ...]
    total: int
    line_total: int
    lists: tuple[ListChoice, ...] = ()
    custom_fields: tuple[FieldValue, ...] = ()
    line_tags: tuple[str, ...] = ()


# The page's addresses: "/" with the view's filter, "/contacts/<id>" with it for one contact.
CONTACT_ROUTE = "/contacts"


def _form_input(form_data: dict) -> ContactInput:
    """The details form or New Contact dialog as one ContactInput (its custom fields are named field:<name>)."""
    fields = {key.removeprefix("field:"): str(value) for key, value in form_data.items() if key.startswith("field:")}
    return ContactInput(
        full_name=str(form_data.get("full_name", "")),
        phone=str(form_data.get("phone", "")),
        email=str(form_data.get("email", "")),
        notes=str(form_data["notes"]) if "notes" in form_data else None,
        fields=fields,
        tags=str(form_data["tags"]) if "tags" in form_data else None,
    )


def push_address(address: str, replace: bool = False):
    # The state object mimics React Router's own entries ({usr, key, idx}), so that it counts the
    # history correctly when these entries are popped.
    method = "replaceState" if replace else "pushState"
    return rx.call_script(
        "(() => { const idx = (window.history.state?.idx ?? 0) + "
        + ("0" if replace else "1")
        + "; window.history."
        + method
        + "({usr: null, key: Math.random().toString(36).slice(2, 10), idx}, '', "
        + json.dumps(address)
        + "); })()"
    )


def contact_id_in(path: str) -> int:
    """The contact of a "/contacts/<id>" address, 0 for any other."""
    rest = path.rstrip("/").removeprefix(CONTACT_ROUTE + "/")
    return int(rest) if rest.isdigit() and rest != path and int(rest) < 2**31 else 0


# The columns of a contact that decide whether any view of the line holds it, where, and how its
# row reads (beside "updated_at" for the Recently updated sort and "search_text" for a search).
_VIEW_COLUMNS = frozenset({"id", "line_id", "full_name", "name_key", "opted_out", "consent_status", "created_at"})


class ContactsState(DialogState, SessionState):
    """Dialogs: "new", "delete", "opt_out", "discard"; its substates add "bulk_delete" (selection),
    "ask" (consent requests) and "settings"."""

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
    # The other filters and the sort, as the page address spells them (see contact_filter.filter_params).
    opted_out_filter: str = ""
    consent_filter: str = ""
    tag_filter: str = ""
    field_filter: str = ""
    field_value_filter: str = ""
    sort: str = Sort.NAME.value
    lists: list[ListChoice] = []
    contact_list_ids: list[str] = []
    # The account's custom fields (empty values), for New Contact and the field filter.
    custom_fields: list[FieldValue] = []
    # Every tag in use on the line, for the tag filter.
    line_tags: list[str] = []
    # Typed in the details form and not saved yet: choosing another contact asks first.
    details_dirty: bool = False
    # The contact to open (0: the list) once unsaved edits are discarded.
    _discard_goes_to: int = 0

    selected: ContactDetail = ContactDetail()
    history: list[HistoryEntry] = []
    # Changes whenever the form must show fresh values (its inputs are uncontrolled).
    form_version: int = 0
    edit_errors: dict[str, str] = {}
    edit_duplicate_id: int = 0
    edit_duplicate_name: str = ""

    new_duplicate_id: int = 0
    new_duplicate_name: str = ""

    delete_id: int = 0
    delete_name: str = ""

    # The line and address (filter, page) the rows were read for, and the contact the last visit showed:
    # a visit that only opens or closes a contact (Back, Forward) reads no rows again.
    _rows_address: str = ""
    _visited_contact: int = 0
    # The line the rows belong to: the page's watcher (state/live.py) listens to its changes, and
    # an open contact of another line is closed.
    _shown_line: int = 0
    # When the shown contact was last changed, as read: a pushed change elsewhere leaves its form be.
    _shown_updated_at: datetime | None = None
    # What the process had heard of the line (live.heard_mark) before a visit read all the page shows;
    # "" when unknown. The page's watcher skips its first look when it has heard nothing since.
    _read_mark: str = ""

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
        return f"{count(first)}–{count(last)} of {count(self.total)}"

    @rx.var
    def count_label(self) -> str:
        shown = self._contact_filter()
        # A list on its own is a set of contacts, not a search: "3 contacts", as the Lists page says.
        if shown.narrows and not shown.is_whole_list:
            return counted(self.total, "match", "matches")
        return counted(self.total, "contact")

    @rx.var
    def filters_active(self) -> bool:
        """Any filter besides search and the list choice (the "Clear filters" button shows then)."""
        return bool(self.opted_out_filter or self.consent_filter or self.tag_filter or self.field_filter)

    @rx.var
    def form_key(self) -> str:
        return f"{self.selected.id}-{self.form_version}"

    # ----- loading -----
    def _contact_filter(self) -> ContactFilter:
        """Which contacts the page shows; selections and actions on "all matching" use the same."""
        return filter_from_params(
            {
                "q": self.query,
                "list": self.list_filter,
                "review": "1" if self.review_filter else "",
                "opted_out": self.opted_out_filter,
                "consent": self.consent_filter,
                "tag": self.tag_filter,
                "field": self.field_filter,
                "value": self.field_value_filter,
                "sort": self.sort,
            }
        )

    def _take_filter(self, chosen: ContactFilter) -> None:
        params = filter_params(chosen)
        self.query = chosen.query
        self.list_filter = params.get("list", "")
        self.review_filter = chosen.needs_review
        self.opted_out_filter = params.get("opted_out", "")
        self.consent_filter = params.get("consent", "")
        self.tag_filter = params.get("tag", "")
        self.field_filter = params.get("field", "")
        self.field_value_filter = params.get("value", "")
        self.sort = chosen.sort.value

    def _address(self, contact_id: int | None = None) -> str:
        """The page address of this view (filter, page) and, when given, of one contact in it."""
        params = filter_params(self._contact_filter())
        if self.page:
            params["page"] = str(self.page + 1)
        path = f"{CONTACT_ROUTE}/{contact_id}" if contact_id else "/"
        return path + (f"?{urlencode(params)}" if params else "")

    def _go(self, contact_id: int | None = None, replace: bool = False):
        """Put the view's (and contact's) address in the browser's history, for Back, Forward and bookmarks.

        The page already shows it, so this only writes the address: navigating the router would
        mount the page afresh (losing the list's scroll) and read it all again. Back and Forward
        then reach `load` through the router, which reads the popped address.
        """
        return push_address(self._address(contact_id), replace)

    def _load_rows(self, act: Act, with_lists: bool = True, after_change: str = "") -> None:
        """One page of rows; the lists' names and counts too unless only the page moves.

        `after_change`: the id of a pushed change this read answers (state/live.py). Every open
        page of the line hears it at once, and those showing the same view share one read.
        """
        line_id = act.line_id
        if line_id != self._shown_line:
            self._shown_line = line_id
            live.nudge_page(self.router.session.client_token)
        if after_change:
            # A read shared with other pages may be older than what this process heard before it.
            self._read_mark = ""
            key = (line_id, self._address(), act.region, with_lists, self.can_use_lists)
            read = live.shared_read(after_change, key, lambda: self._read_view(act, with_lists))
        else:
            read = self._read_view(act, with_lists)
        # Only what differs is set: Reflex sends every var set (and the computed vars that depend on
        # it) whether it changed or not, and a pushed refresh mostly finds the page as it was.
        shown = {
            "page": read.page,
            "rows": list(read.rows),
            "total": read.total,
            "line_total": read.line_total,
            "loaded": True,
        }
        if with_lists:
            shown |= {
                "lists": list(read.lists),
                "custom_fields": list(read.custom_fields),
                "line_tags": list(read.line_tags),
            }
        for name, value in shown.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
        self._rows_address = f"{line_id}:{self._address()}"
        self._note_view()

    def _note_view(self) -> None:
        """Tell this process's live updates what the page shows (live.note_view): another user's
        edit of a contact it does not show, in columns its view does not read, then costs it nothing."""
        columns = set(_VIEW_COLUMNS)
        # An edit of a contact's tags, custom fields or notes is announced as its updated_at alone,
        # and a tag, field, list or review filter reads what such an edit changed.
        narrowed_elsewhere = self.tag_filter or self.field_filter or self.list_filter or self.review_filter
        if self.sort == Sort.RECENTLY_UPDATED or narrowed_elsewhere:
            columns.add("updated_at")
        if self.query.strip():
            columns.add("search_text")
        view = live.PageView(
            open_contact=self.selected.id,
            rows=frozenset(row.id for row in self.rows),
            row_columns=ROW_COLUMNS,
            view_columns=frozenset(columns),
        )
        live.note_view(self.router.session.client_token, view)

    def _read_view(self, act: Act, with_lists: bool) -> ViewRead:
        session, line_id = act.session, act.line_id
        chosen = self._contact_filter()
        page = self.page

        def read_page():
            return contacts_domain.search_contacts(session, line_id, chosen, page * PAGE_SIZE, PAGE_SIZE)

        result = read_page()
        if not result.rows and page > 0 and result.total:
            # The page emptied (deletes, a narrower search): show the last one that has rows.
            page = (result.total - 1) // PAGE_SIZE
            result = read_page()
        line_total = contacts_domain.count_contacts(session, line_id) if chosen.narrows else result.total
        read = ViewRead(
            page=page,
            rows=tuple(contact_row(c, act.region) for c in result.rows),
            total=result.total,
            line_total=line_total,
        )
        if not with_lists:
            return read
        # Counting every list's members is a scan: not for each page turn or keystroke.
        lists = (
            tuple(
                ListChoice(id=str(s.id), name=s.name, members=s.member_count)
                for s in lists_domain.lists_with_counts(session, line_id)
            )
            if self.can_use_lists
            else ()
        )
        return dataclasses.replace(
            read,
            lists=lists,
            custom_fields=tuple(field_values(custom_fields.line_fields(session, line_id), {})),
            line_tags=tuple(tags_domain.line_tags(session, line_id)),
        )

    def _show_contact(self, act: Act, contact: Contact | int, fresh: bool = False) -> None:
        """Open the contact; `fresh` for one just created, which has no lists and no history of its own."""
        session, line_id = act.session, act.line_id
        if isinstance(contact, int):
            contact = contacts_domain.get_contact(session, line_id, contact)
        self._shown_updated_at = contact.updated_at
        fields = custom_fields.line_fields(session, line_id)
        self.selected = contact_detail(
            contact,
            act.region,
            fields,
            custom_fields.named_values(fields, contact.field_values),
            tags_domain.tags_of(session, contact.id),
        )
        # A fresh contact's number may have history (it opted out before): only then is it read.
        self.history = (
            [history_entry(e) for e in consent.history(session, contact, limit=HISTORY_SHOWN)]
            if not fresh or contact.opted_out
            else []
        )
        self.contact_list_ids = (
            [str(c.id) for c in lists_domain.lists_of_contact(session, line_id, contact.id)]
            if self.can_use_lists and not fresh
            else []
        )
        self.edit_errors = {}
        self.edit_duplicate_id = 0
        self.edit_duplicate_name = ""
        self.form_version += 1
        self.details_dirty = False
        self._note_view()

    def _clear_selection(self) -> None:
        self.selected = ContactDetail()
        self.history = []
        self.edit_errors = {}
        self.details_dirty = False
        self._note_view()

    def _reload_open_contact(self, act: Act) -> None:
        if self.selected.id:
            try:
                self._show_contact(act, self.selected.id)
            except ContactNotFound:
                self._clear_selection()

    @rx.event
    @off_the_loop
    def load(self):
        """Every visit of the page's address (a link, a reload, the router's Back and Forward)."""
        return self._visit(self.router.url.path, dict(self.router.url.query_parameters))

    @rx.event
    def history_popped(self):
        """Back or Forward between addresses this page wrote itself (the router does not see those)."""
        return rx.call_script(
            "window.location.pathname + window.location.search", callback=ContactsState.follow_address
        )

    @rx.event
    @off_the_loop
    def follow_address(self, address: str):
        parts = urlsplit(str(address))
        return self._visit(parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()})

    def _visit(self, path: str, params: dict):
        """Show what an address names: the view (filter, sort, page) and the contact, reading only what changed."""
        self._take_filter(filter_from_params(params))
        page = params.get("page", "")
        self.page = int(page) - 1 if page.isdigit() and 0 < int(page) < 10**6 else 0
        contact_id = contact_id_in(path)
        with session_scope() as session:
            redirect, act = self._open_page(session)
            if redirect:
                return redirect
            if act is None:
                self._clear_selection()
                self.loaded = True
                return
            if self._shown_line != act.line_id:
                # A contact of the old line means nothing on the new one (_load_rows moves to the new line).
                self._clear_selection()
            mark = live.heard_mark(live.line_topic(act.line_id))
            self._read_mark = ""
            visit = f"{act.line_id}:{self._address()}"
            if visit != self._rows_address or contact_id == self._visited_contact:
                self._load_rows(act)
                rows_read = True
            else:
                rows_read = False
            self._visited_contact = contact_id
            if not contact_id:
                self._clear_selection()
                self._read_mark = mark if rows_read else ""
                return
            if contact_id == self.selected.id and not self.details_dirty:
                return
            try:
                self._show_contact(act, contact_id)
            except ContactNotFound:
                self._clear_selection()
                return [self._go(replace=True), rx.toast.error("That contact no longer exists.")]
            self._read_mark = mark if rows_read else ""

    def _refresh_open_contact(self, act: Act) -> Contact | None:
        """The line changed (see state/live.py): the open contact as read now, None when it is gone.

        Its details are shown again only when it changed, and never while the user is editing
        them: reloading the form would throw what they typed away."""
        try:
            current = contacts_domain.get_contact(act.session, act.line_id, self.selected.id)
        except ContactNotFound:
            self._clear_selection()
            return None
        if current.updated_at != self._shown_updated_at and not self.details_dirty:
            self._show_contact(act, current)
        return current

    @rx.event
    @off_the_loop
    def set_query(self, value: str):
        # Capped like the API's `q`: a pasted essay must not become a query of thousands of terms.
        self.query = value[:MAX_QUERY_LENGTH]
        self.page = 0
        with self._act() as act:
            self._load_rows(act, with_lists=False)
        # The address follows without a history entry per keystroke; its visit reads nothing again.
        return self._go(self.selected.id or None, replace=True)

    @rx.event
    @off_the_loop
    def set_list_filter(self, value: str):
        self.review_filter = value == REVIEW_FILTER
        self.list_filter = "" if value in ("all", REVIEW_FILTER) else value
        return self._filter_changed()

    def _filter_changed(self):
        """Read the new view at once, then move the address to it (its visit then reads nothing again)."""
        self.page = 0
        with self._act() as act:
            self._load_rows(act, with_lists=False)
        return self._go(self.selected.id or None)

    @rx.event
    @off_the_loop
    def set_sort(self, value: str):
        self.sort = value
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def set_opted_out_filter(self, value: str):
        self.opted_out_filter = "" if value == "any" else value
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def set_consent_filter(self, value: str):
        self.consent_filter = "" if value == "any" else value
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def set_tag_filter(self, value: str):
        self.tag_filter = "" if value == "any" else value
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def set_field_filter(self, value: str):
        self.field_filter = "" if value == "any" else value
        self.field_value_filter = ""
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def set_field_value_filter(self, form_data: dict):
        self.field_value_filter = str(form_data.get("value", "")).strip()
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def clear_filters(self):
        """Everyone again: every filter off, the search and the sort kept."""
        self._take_filter(ContactFilter(query=self.query, sort=self._contact_filter().sort))
        return self._filter_changed()

    @rx.event
    @off_the_loop
    def go_to_page(self, form_data: dict):
        """The page-number box: a number past the end goes to the last page."""
        number = str(form_data.get("page", "")).strip()
        if not number.isdigit() or int(number) < 1:
            return rx.toast.error(f"Enter a page number from 1 to {self.page_count:,}.")
        return self._turn_to(min(int(number), self.page_count) - 1)

    @rx.event
    @off_the_loop
    def toggle_list_membership(self, list_id: str, member: bool):
        try:
            with self._act(Action.LISTS) as act:
                change = lists_domain.add_to_list if member else lists_domain.remove_from_list
                change(act.session, act.line_id, int(list_id), [self.selected.id])
                if member:
                    self.contact_list_ids = [*self.contact_list_ids, list_id]
                else:
                    self.contact_list_ids = [i for i in self.contact_list_ids if i != list_id]
                # The lists' counts changed; the rows only when the page shows that list.
                self._load_rows(act, with_lists=True)
        except (lists_domain.ListNotFound, ContactNotFound):
            return rx.toast.error("That list or contact no longer exists.")

    @rx.event
    @off_the_loop
    def export(self):
        """The contacts on show (search and filters included) as CSV, streamed by the server."""
        with self._act(Action.EXPORT) as act:
            line_id = act.line_id
        name = next((c.name for c in self.lists if c.id == self.list_filter), "contacts")
        return rx.download(url=export_url(line_id, self._contact_filter()), filename=f"{name}.csv")

    def _turn_to(self, page: int):
        self.page = page
        with self._act() as act:
            self._load_rows(act, with_lists=False)
        return self._go(self.selected.id or None)

    @rx.event
    @off_the_loop
    def next_page(self):
        if self.page + 1 < self.page_count:
            return self._turn_to(self.page + 1)

    @rx.event
    @off_the_loop
    def previous_page(self):
        if self.page > 0:
            return self._turn_to(self.page - 1)

    @rx.event
    @off_the_loop
    def select(self, contact_id: int):
        """Open a contact at its own address (asking first when the details form has unsaved edits)."""
        if contact_id == self.selected.id:
            return
        return self._leave_details(contact_id)

    @rx.event
    @off_the_loop
    def close_details(self):
        return self._leave_details(0)

    def _leave_details(self, contact_id: int, replace: bool = False):
        if self.details_dirty:
            self._discard_goes_to = contact_id
            self._open_dialog("discard")
            return
        return self._open(contact_id, replace)

    def _open(self, contact_id: int, replace: bool = False):
        """Show the contact (0: none) and write its address."""
        if not contact_id:
            self._clear_selection()
            self._visited_contact = 0
            return self._go(replace=replace)
        with self._act() as act:
            try:
                self._show_contact(act, contact_id)
            except ContactNotFound:
                self._clear_selection()
                self._load_rows(act)
                return rx.toast.error("That contact no longer exists.")
        self._visited_contact = contact_id
        return self._go(contact_id, replace)

    @rx.event
    def mark_details_dirty(self, _value: str = ""):
        """The details form was typed in; leaving the page now asks the browser to confirm too."""
        if self.details_dirty:
            return
        self.details_dirty = True
        return rx.call_script("window.onbeforeunload = (event) => { event.preventDefault(); return ''; }")

    def _clean_details(self):
        self.details_dirty = False
        return rx.call_script("window.onbeforeunload = null")

    @rx.event
    @off_the_loop
    def discard_edits(self):
        self._close_dialog()
        self.form_version += 1
        cleaned = self._clean_details()
        return [cleaned, self._open(self._discard_goes_to)]

    @rx.event
    @off_the_loop
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
                with self._act() as act:
                    self._load_rows(act, with_lists=False)
                target = self.rows[0].id
            elif index < 0 and self.page > 0:
                self.page -= 1
                with self._act() as act:
                    self._load_rows(act, with_lists=False)
                target = self.rows[-1].id
            else:
                return
        if self.details_dirty:
            return ContactsState.select(target)
        return [
            self._open(target, replace=True),
            rx.call_script(FOLLOW_ROW_SCRIPT.replace("ROW_ID", f"contact-row-{target}")),
        ]

    # ----- new contact -----
    @rx.event
    def open_new_contact(self):
        self.new_duplicate_id = 0
        self.new_duplicate_name = ""
        self._open_dialog("new")

    @rx.event
    @off_the_loop
    def add_contact(self, form_data: dict):
        try:
            with self._act() as act:
                contact = contacts_domain.create_contact(
                    act.session, act.line_id, _form_input(form_data), actor=act.user.email, region=act.region
                )
                self._show_contact(act, contact, fresh=True)
                self._load_rows(act, with_lists=False)
                contact_id, name = contact.id, contact.full_name
        except ContactInvalid as invalid:
            self.dialog_errors = invalid.errors
            self.new_duplicate_id = invalid.duplicate_id or 0
            self.new_duplicate_name = invalid.duplicate_name or ""
            return
        self._close_dialog()
        message = f"{name} added."
        if self.selected.opted_out:
            message += " This number opted out earlier, so it stays opted out."
        self._visited_contact = contact_id
        return [rx.toast.success(message), self._go(contact_id)]

    @rx.event
    def open_duplicate(self, contact_id: int):
        self._close_dialog()
        return ContactsState.select(contact_id)

    # ----- edit -----
    @rx.event
    @off_the_loop
    def update_contact(self, form_data: dict):
        try:
            with self._act() as act:
                contact = contacts_domain.update_contact(
                    act.session,
                    act.line_id,
                    self.selected.id,
                    _form_input(form_data),
                    actor=act.user.email,
                    region=act.region,
                )
                self._show_contact(act, contact)
                self._load_rows(act, with_lists=False)
        except ContactInvalid as invalid:
            self.edit_errors = invalid.errors
            self.edit_duplicate_id = invalid.duplicate_id or 0
            self.edit_duplicate_name = invalid.duplicate_name or ""
            return
        except ContactNotFound:
            self._clear_selection()
            return rx.toast.error("That contact no longer exists.")
        return [self._clean_details(), rx.toast.success("Contact details updated.")]

    # ----- opt-out -----
    @rx.event
    def request_opt_out(self, checked: bool):
        # Once opted out the box is locked (disabled): only the contact's START lifts it.
        if checked and not self.selected.opted_out:
            self._open_dialog("opt_out")

    @rx.event
    @off_the_loop
    def confirm_opt_out(self):
        self._close_dialog()
        try:
            with self._act() as act:
                contact = contacts_domain.get_contact(act.session, act.line_id, self.selected.id)
                consent.opt_out(act.session, contact, consent.Source.MANUAL, actor=act.user.email)
                self._show_contact(act, contact)
                self._load_rows(act, with_lists=False)
        except ContactNotFound:
            self._clear_selection()
            return rx.toast.error("That contact no longer exists.")
        return rx.toast.success(f"{self.selected.full_name} is opted out.")

    # ----- delete -----
    @rx.event
    @off_the_loop
    def ask_delete(self, contact_id: int, name: str):
        # Refused before asking: a crafted event must not leave a question open that cannot be answered.
        with session_scope() as session:
            self._require(session, Action.DELETE_CONTACT)
        self.delete_id = contact_id
        self.delete_name = name
        self._open_dialog("delete")

    @rx.event
    @off_the_loop
    def confirm_delete(self):
        self._close_dialog()
        with self._act(Action.DELETE_CONTACT) as act:
            try:
                contacts_domain.delete_contact(act.session, act.line_id, self.delete_id)
            except ContactNotFound:
                pass  # someone else deleted it first: the list below shows that it is gone
            # Its lists' counts changed too.
            self._load_rows(act)
        if self.selected.id == self.delete_id:
            self._clear_selection()
            self._visited_contact = 0
            return [self._clean_details(), self._go(replace=True), rx.toast.success(f"{self.delete_name} deleted.")]
        return rx.toast.success(f"{self.delete_name} deleted.")
