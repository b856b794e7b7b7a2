"""The consent panel of the selected contact: its texts, its review flag, and consent requests.

A substate of ContactsState, so it reads the selected contact and reloads the page's rows
itself. The panel loads when it mounts (it is keyed by the contact); new texts and review
flags are pushed to the page (state/live.py calls `_refresh_conversation`).
"""

import asyncio
from dataclasses import dataclass

import reflex as rx

from contacts_app.carriers.delivery import as_utc
from contacts_app.db import session_scope
from contacts_app.domain import consent_requests, messaging, review_flags
from contacts_app.domain import contacts as contacts_domain
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactNotFound
from contacts_app.domain.messaging import SendingRefused
from contacts_app.models import ConsentStatus, Contact, Message, MessageDirection, MessageStatus, utcnow
from contacts_app.numbers import count, counted
from contacts_app.state.contacts import ContactsState
from contacts_app.state.selection import MAX_CHECKED, SelectionState
from contacts_app.state.session import Act, off_the_loop
from contacts_app.views import show_time

SHOWN_MESSAGES = 50
STATUS_LABELS = {
    MessageStatus.RECEIVED: "Received",
    MessageStatus.QUEUED: "Queued",
    MessageStatus.SENT: "Sent",
    MessageStatus.DELIVERED: "Delivered",
    MessageStatus.UNDELIVERED: "Not delivered",
    MessageStatus.FAILED: "Failed",
    MessageStatus.CANCELLED: "Cancelled",
}
# The outbox reaches no carrier: say so, so nobody waits for a delivery that cannot come.
OUTBOX_QUEUED_LABEL = "Queued in outbox (no carrier connected)"


@dataclass
class MessageEntry:
    id: int = 0
    inbound: bool = False
    body: str = ""
    when: str = ""
    status: str = ""
    # Why it failed, or why it still waits (the carrier's answer in words); "" when all is well.
    reason: str = ""
    failed: bool = False


def message_entry(message: Message) -> MessageEntry:
    return MessageEntry(
        id=message.id or 0,
        inbound=message.direction == MessageDirection.INBOUND,
        body=message.body,
        when=show_time(message.created_at),
        status=status_label(message),
        reason=message.error_reason or "",
        failed=message.status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED),
    )


def status_label(message: Message) -> str:
    if message.status == MessageStatus.QUEUED and message.held_until and as_utc(message.held_until) > utcnow():
        return f"Held for quiet hours until {show_time(message.held_until)}"
    if message.status == MessageStatus.QUEUED and message.provider == messaging.OUTBOX.name:
        return OUTBOX_QUEUED_LABEL
    return STATUS_LABELS.get(message.status, message.status)


def _report_toast(sent: int, skipped: dict[int, str]):
    if not skipped:
        return rx.toast.success(f"Consent request sent to {counted(sent, 'contact')}.")
    reasons = sorted(set(skipped.values()))
    example = reasons[0] if len(reasons) == 1 else f"for example: {reasons[0]}"
    return rx.toast.warning(
        f"Consent request sent to {count(sent)}; {count(len(skipped))} skipped ({example})",
        duration=8000,
    )


class ConsentState(ContactsState):
    messages: list[MessageEntry] = []
    # The text that raised the open "Possible opt-out" flag; "" when nothing awaits review.
    review_message: str = ""
    review_when: str = ""
    # The open contact has an open "Possible opt-out" flag (it is in the "Needs review" filter).
    needs_review: bool = False

    # "Send consent request" asks first (the dialog "ask", for the open contact or the selection).
    ask_title: str = ""
    # Who is texted and who is skipped and why, e.g. "12 contacts will be texted; 3 skipped: 3 opted out."
    ask_summary: str = ""
    ask_message: str = ""
    ask_outbox: bool = False
    ask_confirm_label: str = ""
    # The contact asked about; 0 when the dialog is about the selection.
    _ask_contact: int = 0

    @rx.var
    def send_refusal(self) -> str:
        """Why "Send consent request" is unavailable; the server checks the same on sending."""
        if self.selected.opted_out:
            return "Opted out: nothing is sent until they text START."
        if self.selected.consent_status == ConsentStatus.CONFIRMED:
            return "Consent is already confirmed."
        return ""

    def _load_conversation(self, session, line_id: int, contact: Contact | None = None) -> None:
        """The open contact's texts and review flag; `contact` when already read in this transaction."""
        if contact is None:
            contact = contacts_domain.get_contact(session, line_id, self.selected.id)
        self.messages = [
            message_entry(m) for m in messaging.messages_for(session, line_id, contact.phone, limit=SHOWN_MESSAGES)
        ]
        flags = review_flags.open_review_flags(session, contact)
        flagged = next((session.get(Message, flag.message_id) for flag in flags if flag.message_id is not None), None)
        self.needs_review = bool(flags)
        self.review_message = flagged.body if flagged else ""
        self.review_when = show_time(flags[0].created_at) if flags else ""

    def _clear_conversation(self) -> None:
        self.messages, self.needs_review, self.review_message, self.review_when = [], False, "", ""

    @rx.event
    @off_the_loop
    def load(self):
        """The panel mounted (a contact was opened)."""
        if not self.selected.id:
            return
        with session_scope() as session:
            try:
                self._load_conversation(session, self._line_id(session))
            except ContactNotFound:
                self._clear_conversation()

    def _refresh_conversation(self, act: Act, contact: Contact | None) -> None:
        """A text or review flag of the line changed (see state/live.py): show the open contact's anew.

        `contact`: the open contact as just read (None: none is open, or it is gone)."""
        if contact is not None:
            self._load_conversation(act.session, act.line_id, contact)
        elif self.messages or self.needs_review:
            self._clear_conversation()

    def _show_plan(self, plan: consent_requests.ConsentRequestPlan, title: str, summary: str, confirm: str) -> None:
        self.ask_title, self.ask_summary, self.ask_confirm_label = title, summary, confirm
        self.ask_message, self.ask_outbox = plan.message, plan.outbox
        self._open_dialog("ask")

    @rx.event
    @off_the_loop
    def ask_consent_request(self):
        """The open contact's "Send consent request": say what will be sent, and to whom, first."""
        with self._act() as act:
            try:
                contact = contacts_domain.get_contact(act.session, act.line_id, self.selected.id)
            except ContactNotFound:
                self._clear_selection()
                return rx.toast.error("That contact no longer exists.")
            reason = consent_requests.refusal_reason(contact)
            if reason is not None:
                return rx.toast.error(reason)
            plan = consent_requests.plan_consent_requests(act.session, act.line_id, ContactFilter(ids=(contact.id,)))
            self._ask_contact = contact.id
            self._show_plan(plan, "Send a consent request?", f"{contact.full_name} will be texted.", "Send text")

    @rx.event
    async def ask_consent_requests(self):
        """The selection's "Send consent request": how many will be texted, how many skipped and why."""
        selection = await self.get_state(SelectionState)
        if selection.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        chosen = selection._selection_filter()
        # A whole list may be asked at once; any other choice, at most MAX_CHECKED contacts.
        if selection.all_matching and not chosen.is_whole_list and selection.selection_count > MAX_CHECKED:
            return rx.toast.error(
                f"Send consent requests to at most {count(MAX_CHECKED)} contacts at once, or to a whole list."
            )
        return await asyncio.to_thread(self._ask_about, chosen)

    def _ask_about(self, chosen: ContactFilter):
        with self._act() as act:
            plan = consent_requests.plan_consent_requests(act.session, act.line_id, chosen)
        if plan.to_text == 0:
            return rx.toast.error(f"Nobody to text: of the selected contacts, {plan.skipped_words()}.")
        self._ask_contact = 0
        self._show_plan(plan, "Send consent requests?", plan.summary(), f"Send {counted(plan.to_text, 'text')}")

    @rx.event
    async def confirm_consent_requests(self):
        self._close_dialog()
        if self._ask_contact:
            return await asyncio.to_thread(self._send_to_contact, self._ask_contact)
        selection = await self.get_state(SelectionState)
        if selection.selection_count == 0:
            return rx.toast.error("Select contacts first.")
        return await asyncio.to_thread(self._send_to_selection, selection)

    def _send_to_contact(self, contact_id: int):
        try:
            with self._act() as act:
                contact = contacts_domain.get_contact(act.session, act.line_id, contact_id)
                consent_requests.send_consent_request(act.session, contact, actor=act.user.email)
                name = contact.full_name
        except SendingRefused as refused:
            return rx.toast.error(refused.reason)
        except ContactNotFound:
            self._clear_selection()
            return rx.toast.error("That contact no longer exists.")
        if self.selected.id == contact_id:
            with self._act() as act:
                self._show_contact(act, contact_id)
                self._load_conversation(act.session, act.line_id)
        return rx.toast.success(f"Consent request queued to {name}.")

    def _send_to_selection(self, selection: SelectionState):
        """Consent requests to the checked contacts, or to every one the view finds ("all matching")."""
        with self._act() as act:
            chosen = selection._selection_filter()
            report = consent_requests.send_consent_requests_matching(act.session, act.line_id, chosen, act.user.email)
        selection._checked_ids, selection.all_matching = [], False
        with self._act() as act:
            self._load_rows(act)
            if self.selected.id:
                self._reload_open_contact(act)
                if self.selected.id:
                    self._load_conversation(act.session, act.line_id)
        return _report_toast(len(report.sent_ids), report.skipped)

    @rx.event
    @off_the_loop
    def mark_reviewed(self):
        try:
            with session_scope() as session:
                line_id = self._line_id(session)
                contact = contacts_domain.get_contact(session, line_id, self.selected.id)
                review_flags.resolve_review(session, contact, actor=self._user(session).email)
        except ContactNotFound:
            self._clear_selection()
            return rx.toast.error("That contact no longer exists.")
        with self._act() as act:
            self._load_conversation(act.session, act.line_id)
            self._load_rows(act)
        return rx.toast.success("Marked as reviewed.")
