"""The Integrations page's "Carrier (Twilio)" section: credentials, which lines send through it, checks.

Secrets pass through `save_twilio` in the form data and go straight to the encrypted column:
state keeps only their last 4 characters. Every handler checks the administrator itself.
"""

import asyncio
from dataclasses import dataclass

import reflex as rx
from sqlmodel import col, select

from contacts_app.carriers.connections import (
    ConnectionInvalid,
    ConnectionNotFound,
    TwilioInput,
    check_line,
    configured_public_url,
    connected_lines,
    delete_connection,
    get_connection,
    public_base_url,
    save_twilio_connection,
    set_line_carrier,
    webhook_urls,
)
from contacts_app.carriers.secrets import SecretKeyInvalid, SecretKeyMissing, SecretUnreadable, has_secret_key
from contacts_app.db import session_scope
from contacts_app.models import Line
from contacts_app.phones import format_phone
from contacts_app.state.integrations import IntegrationsState
from contacts_app.state.session import off_the_loop

MASK = "••••"


@dataclass
class CarrierLineRow:
    id: int = 0
    name: str = ""
    phone: str = ""
    connected: bool = False
    rate: str = "1"
    # The last "Check connection" answer for this line: "" (not checked), or what Twilio said.
    check_result: str = ""
    check_ok: bool = False


class CarrierState(IntegrationsState):
    twilio_connected: bool = False
    account_sid: str = ""
    auth_token_hint: str = ""
    api_key_sid: str = ""
    api_key_hint: str = ""
    carrier_errors: dict[str, str] = {}
    carrier_form_version: int = 0
    secret_key_missing: bool = False
    inbound_url: str = ""
    status_url: str = ""
    public_url_configured: bool = False
    carrier_lines: list[CarrierLineRow] = []
    checking_line_id: int = 0

    @rx.var
    def carrier_form_key(self) -> str:
        return str(self.carrier_form_version)

    def _origin(self) -> str:
        return getattr(self.router.url, "origin", "") or ""

    def _load_carrier(self, session, account_id: int) -> None:
        connection = get_connection(session, account_id)
        self.twilio_connected = connection is not None
        self.account_sid = connection.account_sid if connection else ""
        self.auth_token_hint = (
            f"{MASK}{connection.auth_token_last4}" if connection and connection.auth_token_last4 else ""
        )
        self.api_key_sid = (connection.api_key_sid or "") if connection else ""
        self.api_key_hint = (
            f"{MASK}{connection.api_key_secret_last4}" if connection and connection.api_key_secret_last4 else ""
        )
        self.secret_key_missing = not has_secret_key()
        self.public_url_configured = bool(configured_public_url())
        base = configured_public_url() or (connection.public_base_url if connection else "") or self._origin()
        self.inbound_url, self.status_url = webhook_urls(base)
        connected = connected_lines(session, account_id)
        checks = {row.id: (row.check_result, row.check_ok) for row in self.carrier_lines}
        lines = session.exec(select(Line).where(Line.account_id == account_id).order_by(col(Line.id))).all()
        self.carrier_lines = [
            CarrierLineRow(
                id=line.id,
                name=line.name,
                phone=format_phone(line.phone, "US") if line.phone else "no number",
                connected=line.id in connected,
                rate=f"{connected[line.id].messages_per_second:g}" if line.id in connected else "1",
                check_result=checks.get(line.id, ("", False))[0],
                check_ok=checks.get(line.id, ("", False))[1],
            )
            for line in lines
        ]

    @rx.event
    @off_the_loop
    def load_carrier(self):
        with session_scope() as session:
            user = self._admin(session)
            self._load_carrier(session, user.account_id)

    @rx.event
    @off_the_loop
    def save_twilio(self, form_data: dict):
        entered = TwilioInput(
            account_sid=str(form_data.get("account_sid", "")),
            auth_token=str(form_data.get("auth_token", "")),
            api_key_sid=str(form_data.get("api_key_sid", "")),
            api_key_secret=str(form_data.get("api_key_secret", "")),
        )
        try:
            with session_scope() as session:
                user = self._admin(session)
                save_twilio_connection(
                    session, user.account_id, entered, public_base_url(self._origin()), actor=user.email
                )
        except ConnectionInvalid as invalid:
            self.carrier_errors = invalid.errors
            return
        except (SecretKeyMissing, SecretKeyInvalid) as missing:
            self.carrier_errors = {"form": str(missing)}
            return
        self.carrier_errors = {}
        self.carrier_form_version += 1
        with session_scope() as session:
            self._load_carrier(session, self._admin(session).account_id)
        return rx.toast.success("Twilio credentials saved (encrypted). Choose the lines that send through it.")

    @rx.event
    @off_the_loop
    def disconnect_twilio(self):
        try:
            with session_scope() as session:
                user = self._admin(session)
                delete_connection(session, user.account_id)
        except ConnectionNotFound:
            pass
        with session_scope() as session:
            self._load_carrier(session, self._admin(session).account_id)
        return rx.toast.success("Twilio disconnected: its credentials are deleted; lines use the outbox again.")

    @rx.event
    @off_the_loop
    def toggle_line(self, line_id: int, connected: bool):
        return self._set_line(line_id, connected, None)

    @rx.event
    @off_the_loop
    def set_line_rate(self, line_id: int, value: str):
        try:
            rate = float(value)
        except ValueError:
            return rx.toast.error(f"Texts per second: a number, such as 1 (not “{value}”).")
        return self._set_line(line_id, True, rate)

    def _set_line(self, line_id: int, connected: bool, rate: float | None):
        try:
            with session_scope() as session:
                user = self._admin(session)
                current = connected_lines(session, user.account_id).get(line_id)
                if rate is None and current is not None:
                    rate = current.messages_per_second
                set_line_carrier(session, user.account_id, line_id, connected, rate)
        except ConnectionInvalid as invalid:
            return rx.toast.error(str(invalid))
        except ConnectionNotFound as missing:
            return rx.toast.error(str(missing))
        with session_scope() as session:
            self._load_carrier(session, self._admin(session).account_id)

    @rx.event(background=True)
    async def check_line(self, line_id: int):
        # Reading state outside the lock is allowed; the database is kept out of `async with self`,
        # and off the event loop.
        def admin_account() -> int:
            with session_scope() as session:
                return self._admin(session).account_id

        account_id = await asyncio.to_thread(admin_account)
        async with self:
            self.checking_line_id = line_id

        def ask() -> tuple[str, bool]:
            try:
                with session_scope() as session:
                    problem = check_line(session, account_id, line_id)
            except (ConnectionNotFound, ConnectionInvalid, SecretUnreadable, SecretKeyMissing, SecretKeyInvalid) as exc:
                return str(exc), False
            return (
                (problem, False) if problem else ("Connected: Twilio knows this number and the credentials work.", True)
            )

        # Twilio is asked outside the state lock: the page stays responsive while it answers.
        result, ok = await asyncio.to_thread(ask)
        async with self:
            self.checking_line_id = 0
            self.carrier_lines = [
                CarrierLineRow(**{**row.__dict__, "check_result": result, "check_ok": ok}) if row.id == line_id else row
                for row in self.carrier_lines
            ]
