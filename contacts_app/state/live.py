"""The open Contacts page's watcher: it waits for its line's changes and shows them.

One background task per open page, started when the page mounts. It awaits messages on the
line's topic (contacts_app.live), so an idle page costs no query and no timer; a burst of
changes (an import, another user typing) is shown as one refresh. Job messages move the
Delete All and import progress of the page that started them, and of any other page open on
the line.
"""

import asyncio

import reflex as rx

from contacts_app import live
from contacts_app.models import JobStatus
from contacts_app.state.consent import ConsentState
from contacts_app.state.contacts import ContactsState
from contacts_app.state.importer import ImportState
from contacts_app.state.settings import SettingsState

# How long an idle watcher waits before checking that its page is still connected.
IDLE_CHECK_SECONDS = 30.0
# Changes arriving this close together are shown as one refresh.
BURST_SECONDS = 0.25
FIRST_LOAD_WAITS = 40


def _connected_here(token: str) -> bool:
    """Whether the page's websocket is still connected to this process (else the watcher ends)."""
    # The app module itself, not reflex's get_app(): that puts the working directory on sys.path
    # again at every call, and watchers call this at every change they show.
    from contacts_app.contacts_app import app

    namespace = app.event_namespace
    if namespace is None:
        return False
    manager = namespace._token_manager
    record = manager.token_to_socket.get(token)
    return record is not None and record.instance_id == manager.instance_id


class LiveState(rx.State):
    @rx.event(background=True)
    async def watch(self):
        token = self.router.session.client_token
        waits = 0
        while True:
            async with self:
                contacts = await self.get_state(ContactsState)
                line_id = contacts._shown_line
                read_mark = contacts._read_mark
            if not line_id:
                # The page's first load may still be running; after that, signed out or no line.
                waits += 1
                if waits > FIRST_LOAD_WAITS:
                    return
                await asyncio.sleep(BURST_SECONDS)
                continue
            topic = live.line_topic(line_id)
            with live.watch_page(token, topic) as subscription:
                # What changed between the page's load and now (the subscription) shows too: a first
                # look, unless the process heard nothing of the line since the page read it all.
                if not read_mark or live.heard_mark(topic) != read_mark:
                    subscription._push(live.CHANGED)
                while True:
                    message = await subscription.next(IDLE_CHECK_SECONDS)
                    if message is None:
                        if not _connected_here(token):
                            return
                        continue
                    await asyncio.sleep(BURST_SECONDS)
                    messages = [message, *subscription.drain()]
                    if live.STOP in messages or not _connected_here(token):
                        return
                    if live.RESUBSCRIBE in messages:
                        break
                    shown = await self._show(line_id, messages, token)
                    if shown is None:
                        break
                    for event in shown:
                        yield event

    async def _show(self, line_id: int, messages: list[dict], token: str) -> list | None:
        """Apply a burst of messages to the page: the toasts to show, or None if the page moved to another line."""
        if not live.may_change_view(token, messages):
            # Edits of contacts the page does not show, in columns its view does not read: not even
            # the page's state is loaded (each such edit reaches every open page of the line).
            return []
        jobs = [m for m in messages if "job" in m]
        changed = any(_is_change(m) for m in messages)
        toasts = []
        async with self:
            contacts = await self.get_state(ContactsState)
            if contacts._shown_line != line_id:
                return None
            settings = await self.get_state(SettingsState)
            importer = await self.get_state(ImportState)
            for message in jobs:
                toasts += [t for t in (settings._on_job(message), importer._on_job(message)) if t is not None]
            if changed:
                consent = await self.get_state(ConsentState)
                # In a worker thread, as every handler that reads the database (state/session.py's
                # off_the_loop): the event loop serves the other pages of this process meanwhile.
                await asyncio.to_thread(_refresh, contacts, consent, _change_id(messages), _changed_contacts(messages))
        return toasts


def _is_change(message: dict) -> bool:
    return bool(message.get("changed")) or message.get("status") in JobStatus.FINISHED


def _changed_contacts(messages: list[dict]) -> set[int] | None:
    """The contacts whose own rows the burst changed; None when it may have changed any contact's."""
    named: set[int] = set()
    for message in filter(_is_change, messages):
        if "contacts" not in message:
            return None
        named.update(message["contacts"])
    return named


def _change_id(messages: list[dict]) -> str:
    """The id of the burst's newest change, "" when that has none (a finished job, the first look).

    A read made after it shows every change of the burst, so pages of the same view may share
    it (see live.shared_read)."""
    newest = [m for m in messages if _is_change(m)][-1]
    return str(newest.get("id", "")) if newest.get("changed") else ""


def _refresh(contacts: ContactsState, consent: ConsentState, change_id: str, touched: set[int] | None) -> None:
    """Others changed the line (an inbound STOP, another user's edit): show it.

    The open contact and its texts are read again only when the change may have touched them
    (one user's edit reaches every open page of the line; most show another contact)."""
    with contacts._act() as act:
        contacts._load_rows(act, after_change=change_id)
        if contacts.selected.id and (touched is None or contacts.selected.id in touched):
            consent._refresh_conversation(act, contacts._refresh_open_contact(act))


def live_watcher() -> rx.Component:
    """Put once on a page: starts the page's watcher when it mounts."""
    return rx.box(on_mount=LiveState.watch, display="none")
