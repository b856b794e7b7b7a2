"""The Blasts page: the line's blasts, one compose dialog (live counter, preview, recipients counted),
and the open blast's counts and recipients, refreshed while it sends."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from sqlmodel import col, select

from contacts_app.carriers.connections import carrier_of_line
from contacts_app.db import session_scope
from contacts_app.domain import blast_text
from contacts_app.domain import blasts as blasts_domain
from contacts_app.domain import lists as lists_domain
from contacts_app.domain.account_zone import UnknownTimeZone, account_time_zone, set_account_time_zone
from contacts_app.domain.blasts import BlastDraft, BlastInvalid, BlastNotFound
from contacts_app.domain.permissions import Action
from contacts_app.domain.quiet_hours import (
    DEFAULT_WINDOW,
    SendingWindowInvalid,
    account_window,
    describe_window,
    set_sending_window,
)
from contacts_app.models import Account, AccountSettings, BlastStatus, Contact, Line
from contacts_app.phones import format_phone
from contacts_app.state.dialogs import DialogState
from contacts_app.state.session import SessionState, off_the_loop

ALL_CONTACTS = "all"
DEFAULT_FALLBACK = "there"
RECIPIENT_PAGE_SIZE = 50
PHASE_LABELS = {
    BlastStatus.SCHEDULED: "Scheduled",
    BlastStatus.QUEUEING: "Queueing",
    "sending": "Sending",
    "outbox": "In the outbox",
    "finished": "Finished",
    BlastStatus.CANCELLED: "Cancelled",
}
RECIPIENT_LABELS = {
    "queued": "Queued",
    "held": "Held for quiet hours",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "skipped": "Skipped",
}


@dataclass
class ListChoice:
    id: str = ""
    name: str = ""
    members: int = 0


@dataclass
class BlastRow:
    id: int = 0
    when: str = ""
    status: str = ""
    excerpt: str = ""
    recipients: str = ""


@dataclass
class CountLine:
    label: str = ""
    value: str = ""


@dataclass
class RecipientLine:
    name: str = ""
    phone: str = ""
    status: str = ""
    detail: str = ""


def local_time(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(ZoneInfo(zone)).strftime("%b %d, %Y %H:%M")


class BlastsState(DialogState, SessionState):
    """Dialogs: "compose", "cancel" (the open blast) and "settings"."""

    rows: list[BlastRow] = []
    loaded: bool = False
    time_zone: str = ""
    # When texts may reach people, "8 am to 9 pm" unless the account narrowed it.
    sending_window: str = describe_window(DEFAULT_WINDOW)

    # ----- the compose dialog -----
    body: str = ""
    merge_fallback: str = DEFAULT_FALLBACK
    chosen_lists: list[str] = []
    list_choices: list[ListChoice] = []
    schedule: bool = False
    send_at_local: str = ""
    counter: str = ""
    counter_first_blast: str = ""
    preview_name: str = ""
    preview_text: str = ""
    recipients: int = 0
    exclusions: list[str] = []
    # No carrier on the line: its texts would wait in the outbox, and the dialog says so before sending.
    no_carrier: bool = False
    _instruction: str = blast_text.DEFAULT_OPT_OUT_INSTRUCTION

    # ----- the open blast -----
    open_id: int = 0
    open_status: str = ""
    open_body: str = ""
    open_when: str = ""
    open_counts: list[CountLine] = []
    open_recipients: list[RecipientLine] = []
    # Which page of the recipients table is shown (0 first), and how many rows all its pages hold.
    open_page: int = 0
    open_rows_total: int = 0
    open_can_cancel: bool = False

    # ----- the account's blast settings (administrators) -----
    settings_need_consent: bool = False
    settings_instruction: str = ""
    settings_time_zone: str = ""
    settings_window_opens: str = ""
    settings_window_closes: str = ""

    @rx.var
    def confirm_label(self) -> str:
        noun = "contact" if self.recipients == 1 else "contacts"
        verb = "Schedule for" if self.schedule else "Send to"
        return f"{verb} {self.recipients:,} {noun}"

    @rx.var
    def recipients_range(self) -> str:
        """ "51-100 of 2,000" under the recipients table, or nothing when one page holds them all."""
        if self.open_rows_total <= RECIPIENT_PAGE_SIZE:
            return ""
        first = self.open_page * RECIPIENT_PAGE_SIZE + 1
        last = min(self.open_rows_total, first + RECIPIENT_PAGE_SIZE - 1)
        return f"{first:,}–{last:,} of {self.open_rows_total:,}"

    @rx.event
    @off_the_loop
    def load(self):
        with session_scope() as session:
            redirect = self._redirect_if_signed_out(session)
            if redirect:
                return redirect
            if not self.can_blast:
                self.rows, self.loaded = [], True
                return
            line_id = self._require(session, Action.BLASTS)
            self._load_rows(session, line_id)
            if self.open_id:
                self._load_open(session, line_id)
        self.loaded = True

    def _load_rows(self, session, line_id: int) -> None:
        line = session.get(Line, line_id)
        self.time_zone = account_time_zone(session, line.account_id)
        self.sending_window = describe_window(account_window(session, line.account_id))
        blasts = blasts_domain.blasts_of_line(session, line_id)
        sending = blasts_domain.blasts_still_sending(
            session, [blast.id for blast in blasts if blast.status == BlastStatus.QUEUED]
        )
        self.rows = [
            BlastRow(
                id=blast.id,
                when=local_time(blast.send_at, self.time_zone),
                status=PHASE_LABELS[blasts_domain.blast_phase(blast, sending.get(blast.id))],
                excerpt=blast.body if len(blast.body) <= 80 else blast.body[:79] + "…",
                recipients=f"{blast.confirmed_count:,} contact{'' if blast.confirmed_count == 1 else 's'}",
            )
            for blast in blasts
        ]

    # ----- composing -----
    @rx.event
    @off_the_loop
    def open_compose(self):
        with session_scope() as session:
            line_id = self._require(session, Action.BLASTS)
            self.list_choices = [
                ListChoice(id=str(each.id), name=each.name, members=each.member_count)
                for each in lists_domain.lists_with_counts(session, line_id)
            ]
            self.time_zone = account_time_zone(session, session.get(Line, line_id).account_id)
            self.no_carrier = carrier_of_line(session, line_id) is None
        self.body, self.merge_fallback, self.chosen_lists = "", DEFAULT_FALLBACK, []
        self.schedule, self.send_at_local = False, ""
        self._recount()
        self._open_dialog("compose")

    @rx.event
    def set_body(self, value: str):
        self.body = value
        self._retext()

    @rx.event
    def set_merge_fallback(self, value: str):
        self.merge_fallback = value
        self._retext()

    @rx.event
    @off_the_loop
    def toggle_list(self, list_id: str, checked: bool):
        chosen = [each for each in self.chosen_lists if each != list_id]
        if checked:
            chosen = [each for each in chosen if each != ALL_CONTACTS] if list_id != ALL_CONTACTS else []
            chosen.append(list_id)
        self.chosen_lists = chosen
        self._recount()

    @rx.event
    def set_schedule(self, value: str):
        self.schedule = value == "later"

    @rx.event
    def set_send_at_local(self, value: str):
        self.send_at_local = value

    def _draft(self) -> BlastDraft:
        all_contacts = ALL_CONTACTS in self.chosen_lists
        list_ids = tuple(int(each) for each in self.chosen_lists if each.isdigit())
        return BlastDraft(
            body=self.body,
            list_ids=() if all_contacts else list_ids,
            all_contacts=all_contacts,
            send_at=self._send_at() if self.schedule else None,
            merge_fallback=self.merge_fallback,
        )

    def _send_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.send_at_local).replace(tzinfo=ZoneInfo(self.time_zone))
        except ValueError:
            return None

    def _recount(self) -> None:
        """Recipients (with exclusions) and who the preview is for; then the text's counter and preview."""
        with session_scope() as session:
            line_id = self._require(session, Action.BLASTS)
            account_id = session.get(Line, line_id).account_id
            self._instruction = blast_text.opt_out_instruction(session, account_id)
            draft = self._draft()
            chosen = draft.all_contacts or bool(draft.list_ids)
            needs_consent = blasts_domain.blasts_need_consent(session, account_id)
            count = blasts_domain.count_recipients(session, line_id, draft.list_ids, draft.all_contacts, needs_consent)
            audience = blasts_domain.audience(line_id, draft.list_ids, draft.all_contacts if chosen else True)
            first = session.exec(
                select(Contact.full_name).where(audience, ~col(Contact.opted_out)).order_by(col(Contact.id)).limit(1)
            ).first()
        self.recipients = count.recipients
        self.exclusions = [
            text
            for number, text in (
                (count.opted_out, f"{count.opted_out:,} opted out (never sent)"),
                (count.no_consent, f"{count.no_consent:,} without confirmed consent"),
                (count.duplicates, f"{count.duplicates:,} in more than one list (one text per number)"),
            )
            if number
        ]
        self.preview_name = first or ""
        self._retext()

    def _retext(self) -> None:
        """The counter and the preview (no database: run on every keystroke)."""
        counted = blast_text.composer_count(self.body, self._instruction)
        self.counter = counted.summary
        self.counter_first_blast = counted.first_blast_summary
        text = blast_text.merge(self.body, self.preview_name, self.merge_fallback) if self.body else ""
        if text and not blast_text.says_how_to_opt_out(text):
            text = blast_text.with_instruction(text, self._instruction)
        self.preview_text = text

    @rx.event
    @off_the_loop
    def send(self, _form_data: dict | None = None):
        draft = self._draft()
        if self.schedule and draft.send_at is None:
            self.dialog_errors = {"send_at": "Send at: choose the date and time."}
            return
        try:
            with session_scope() as session:
                line_id = self._require(session, Action.BLASTS)
                blast = blasts_domain.create_blast(session, line_id, draft, self.recipients, actor=self.user_email)
                blast_id = blast.id
        except BlastInvalid as invalid:
            self.dialog_errors = invalid.errors
            self._recount()
            return
        self._close_dialog()
        self.open_id = blast_id
        verb = "scheduled" if self.schedule else "on its way"
        return [BlastsState.load, rx.toast.success(f"Blast to {self.recipients:,} contacts {verb}.")]

    # ----- the open blast -----
    @rx.event
    @off_the_loop
    def open_blast(self, blast_id: int):
        self.open_id, self.open_page = blast_id, 0
        self._reload_open()

    @rx.event
    @off_the_loop
    def turn_recipients_page(self, step: int):
        self.open_page = max(0, self.open_page + step)
        self._reload_open()

    def _reload_open(self) -> None:
        with session_scope() as session:
            self._load_open(session, self._require(session, Action.BLASTS))

    @rx.event
    def close_blast(self):
        self.open_id = 0

    @rx.event
    @off_the_loop
    def refresh(self, _tick: str = ""):
        """The open blast's counts while it sends (the page polls this)."""
        if not self.open_id:
            return
        with session_scope() as session:
            line_id = self._require(session, Action.BLASTS)
            self._load_open(session, line_id)
            self._load_rows(session, line_id)

    def _load_open(self, session, line_id: int) -> None:
        try:
            blast = blasts_domain.get_blast(session, line_id, self.open_id)
        except BlastNotFound:
            self.open_id = 0
            return
        blast_line = session.get(Line, line_id)
        zone = self.time_zone or account_time_zone(session, blast_line.account_id)
        progress = blasts_domain.blast_progress(session, blast)
        self.open_body = blast.body
        self.open_when = f"{local_time(blast.send_at, zone)} ({zone})"
        recipients = progress.recipients or (blast.confirmed_count if blast.status == BlastStatus.SCHEDULED else 0)
        counts = [
            ("Recipients", recipients),
            ("Queued", progress.queued),
            ("Held for quiet hours", progress.held),
            ("Sent", progress.sent),
            ("Delivered", progress.delivered),
            ("Failed", progress.failed),
            ("Cancelled", progress.cancelled),
            ("Skipped: opted out", progress.skipped_opted_out),
            ("Skipped: no consent", progress.skipped_no_consent),
            ("Duplicates across lists", progress.duplicates),
            ("Removed since written", progress.removed_since_written),
            ("STOP replies (72 h)", progress.stop_replies),
        ]
        self.open_counts = [
            CountLine(label, f"{value:,}") for label, value in counts if value or label in ("Recipients", "Sent")
        ]
        region = session.get(Account, blast_line.account_id).default_region
        self.open_rows_total = progress.recipients + progress.skipped_opted_out + progress.skipped_no_consent
        last_page = max(0, (self.open_rows_total - 1) // RECIPIENT_PAGE_SIZE)
        self.open_page = min(self.open_page, last_page)
        self.open_recipients = [
            RecipientLine(
                name=row.name,
                phone=format_phone(row.phone, region),
                status=RECIPIENT_LABELS.get(row.status, row.status),
                detail=row.detail,
            )
            for row in blasts_domain.recipient_rows(
                session, blast, offset=self.open_page * RECIPIENT_PAGE_SIZE, limit=RECIPIENT_PAGE_SIZE
            )
        ]
        pending = progress.queued + progress.held
        waiting = blasts_domain.blasts_still_sending(session, [blast.id]).get(blast.id) if pending else None
        self.open_status = PHASE_LABELS[blasts_domain.blast_phase(blast, waiting)]
        self.open_can_cancel = blast.status != BlastStatus.CANCELLED and (
            blast.status in (BlastStatus.SCHEDULED, BlastStatus.QUEUEING) or pending > 0
        )

    @rx.event
    def ask_cancel(self):
        self._open_dialog("cancel")

    @rx.event
    @off_the_loop
    def confirm_cancel(self):
        self._close_dialog()
        with session_scope() as session:
            line_id = self._require(session, Action.BLASTS)
            try:
                taken = blasts_domain.cancel_blast(session, line_id, self.open_id, actor=self.user_email)
            except BlastNotFound:
                return BlastsState.load
        return [BlastsState.load, rx.toast.success(f"Blast cancelled; {taken:,} texts taken out of the queue.")]

    # ----- settings -----
    @rx.event
    @off_the_loop
    def open_settings(self):
        with session_scope() as session:
            self._require(session, Action.MANAGE_USERS)
            account_id = self._user(session).account_id
            settings = session.get(AccountSettings, account_id)
            self.settings_need_consent = bool(settings and settings.blasts_need_consent)
            self.settings_instruction = blast_text.opt_out_instruction(session, account_id)
            self.settings_time_zone = account_time_zone(session, account_id)
            window = account_window(session, account_id)
            self.settings_window_opens = window.opens.strftime("%H:%M")
            self.settings_window_closes = window.closes.strftime("%H:%M")
        self._open_dialog("settings")

    @rx.event
    def set_settings_need_consent(self, checked: bool):
        self.settings_need_consent = checked

    @rx.event
    @off_the_loop
    def save_settings(self, form_data: dict):
        try:
            with session_scope() as session:
                self._require(session, Action.MANAGE_USERS)
                account_id = self._user(session).account_id
                blast_text.set_blast_settings(
                    session, account_id, self.settings_need_consent, str(form_data.get("instruction", ""))
                )
                self.time_zone = set_account_time_zone(session, account_id, str(form_data.get("time_zone", "")))
                set_sending_window(
                    session,
                    account_id,
                    str(form_data.get("send_window_opens", "")),
                    str(form_data.get("send_window_closes", "")),
                )
        except (blast_text.BlastSettingsInvalid, SendingWindowInvalid) as invalid:
            self.dialog_errors = invalid.errors
            return
        except UnknownTimeZone as unknown:
            self.dialog_errors = {"time_zone": str(unknown)}
            return
        self._close_dialog()
        return [BlastsState.load, rx.toast.success("Blast settings saved.")]
