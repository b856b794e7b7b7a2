"""A local stand-in for Twilio's REST API (the parts the app uses), for tests without the internet.

It answers the official `twilio` library as Twilio would: Messages (create, list),
IncomingPhoneNumbers (list), HTTP Basic auth with an Account SID + auth token or an API key,
and Twilio's error bodies (20003 bad credentials, 21211 invalid number, 21610 unsubscribed
recipient, 20429 too many requests). It records every request, and can post signed status
callbacks back to the app the way Twilio does (RequestValidator.compute_signature).
"""

import base64
import json
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

API_PREFIX = "/2010-04-01/Accounts/"


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    username: str | None


@dataclass
class StandinMessage:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status: str
    status_callback: str | None
    date_created: datetime

    def as_json(self) -> dict:
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "to": self.to,
            "from": self.from_,
            "body": self.body,
            "status": self.status,
            "direction": "outbound-api",
            "num_segments": "1",
            "error_code": None,
            "error_message": None,
            "date_created": format_datetime(self.date_created),
            "date_sent": format_datetime(self.date_created),
            "date_updated": format_datetime(self.date_created),
            "uri": f"{API_PREFIX}{self.account_sid}/Messages/{self.sid}.json",
        }


@dataclass
class TwilioStandin:
    """Start with `with TwilioStandin() as standin:`; `standin.url` is the API base to give the app."""

    # account sid -> auth token
    accounts: dict[str, str] = field(default_factory=dict)
    # api key sid -> (secret, account sid)
    api_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    # account sid -> its phone numbers (E.164)
    numbers: dict[str, set[str]] = field(default_factory=dict)
    invalid_numbers: set[str] = field(default_factory=set)  # create -> 400, code 21211
    stopped_numbers: set[str] = field(default_factory=set)  # create -> 400, code 21610
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: dict[str, StandinMessage] = field(default_factory=dict)
    # Answers to give the next Messages create calls before any other rule: HTTP status codes
    # (429, 500, 503) or "hang" (take the text, then answer too late: a client timeout).
    scripted: list[int | str] = field(default_factory=list)
    hang_seconds: float = 3.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ----- set-up -----
    def add_account(self, auth_token: str | None = None, numbers: tuple[str, ...] = ()) -> tuple[str, str]:
        sid = "AC" + secrets.token_hex(16)
        token = auth_token or secrets.token_hex(16)
        self.accounts[sid] = token
        self.numbers[sid] = set(numbers)
        return sid, token

    def add_api_key(self, account_sid: str) -> tuple[str, str]:
        key_sid, secret = "SK" + secrets.token_hex(16), secrets.token_urlsafe(24)
        self.api_keys[key_sid] = (secret, account_sid)
        return key_sid, secret

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "TwilioStandin":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                standin._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                standin._handle(self, "POST")

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ----- what the app did -----
    def creates(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Messages.json")]

    def message_to(self, phone: str) -> StandinMessage:
        found = [m for m in self.messages.values() if m.to == phone]
        assert found, f"no message to {phone}; sent: {[m.to for m in self.messages.values()]}"
        return found[-1]

    # ----- Twilio calling the app -----
    def post_status(self, sid: str, status: str, error_code: str | None = None) -> int:
        """The status callback Twilio would send for this message, signed with the account's token."""
        message = self.messages[sid]
        params = {
            "AccountSid": message.account_sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "From": message.from_,
            "To": message.to,
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        assert message.status_callback, "the app gave no StatusCallback"
        return self.post_signed(message.status_callback, params, self.accounts[message.account_sid])

    @staticmethod
    def post_signed(url: str, params: dict[str, str], auth_token: str, signed_url: str | None = None) -> int:
        """POST a form to `url` signed as Twilio signs (over `signed_url`, default `url`)."""
        parts = urlsplit(url)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if parts.username:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{parts.username}:{parts.password or ''}".encode()).decode()
            )
            url = url.replace(f"{parts.username}:{parts.password}@", "")
        headers["X-Twilio-Signature"] = RequestValidator(auth_token).compute_signature(signed_url or url, params)
        request = urllib.request.Request(url, data=urlencode(params).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    # ----- the API -----
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        params = {k: v[-1] for k, v in parse_qs(raw if method == "POST" else parts.query).items()}
        username, password = self._basic_auth(handler.headers.get("Authorization", ""))
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, params, username))
        if not parts.path.startswith(API_PREFIX):
            return self._error(handler, 404, 20404, "The requested resource was not found")
        account_sid, _, resource = parts.path[len(API_PREFIX) :].partition("/")
        if not self._authorized(account_sid, username, password):
            return self._error(handler, 401, 20003, "Authenticate")
        if resource == "Messages.json" and method == "POST":
            return self._create_message(handler, account_sid, params)
        if resource == "Messages.json" and method == "GET":
            found = [
                m.as_json()
                for m in self.messages.values()
                if m.account_sid == account_sid
                and m.to == params.get("To", m.to)
                and m.from_ == params.get("From", m.from_)
            ]
            return self._json(handler, 200, {"messages": found, "next_page_uri": None, "page": 0})
        if resource == "IncomingPhoneNumbers.json" and method == "GET":
            wanted = params.get("PhoneNumber")
            found = [
                {"sid": "PN" + secrets.token_hex(16), "phone_number": number, "account_sid": account_sid}
                for number in sorted(self.numbers.get(account_sid, ()))
                if wanted in (None, number)
            ]
            return self._json(handler, 200, {"incoming_phone_numbers": found, "next_page_uri": None, "page": 0})
        return self._error(handler, 404, 20404, "The requested resource was not found")

    def _create_message(self, handler, account_sid: str, params: dict[str, str]) -> None:
        with self._lock:
            scripted = self.scripted.pop(0) if self.scripted else None
        if isinstance(scripted, int):
            if scripted == 429:
                return self._error(handler, 429, 20429, "Too Many Requests")
            return self._error(handler, scripted, scripted, "Service unavailable")
        to, from_ = params.get("To", ""), params.get("From", "")
        if to in self.invalid_numbers:
            return self._error(handler, 400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.stopped_numbers:
            return self._error(handler, 400, 21610, "Attempt to send to unsubscribed recipient")
        if from_ not in self.numbers.get(account_sid, set()):
            return self._error(handler, 400, 21606, f"The From phone number {from_} is not a valid number")
        message = StandinMessage(
            sid="SM" + secrets.token_hex(16),
            account_sid=account_sid,
            to=to,
            from_=from_,
            body=params.get("Body", ""),
            status="queued",
            status_callback=params.get("StatusCallback"),
            date_created=datetime.now(UTC),
        )
        with self._lock:
            self.messages[message.sid] = message
        if scripted == "hang":
            # Twilio took it, but the answer comes after the client gave up.
            time.sleep(self.hang_seconds)
        self._json(handler, 201, message.as_json())

    def _authorized(self, account_sid: str, username: str | None, password: str | None) -> bool:
        if username in self.accounts:
            return username == account_sid and self.accounts[username] == password
        if username in self.api_keys:
            secret, owner = self.api_keys[username]
            return owner == account_sid and secret == password
        return False

    @staticmethod
    def _basic_auth(header: str) -> tuple[str | None, str | None]:
        if not header.startswith("Basic "):
            return None, None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    @staticmethod
    def _json(handler, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left

    def _error(self, handler, status: int, code: int, message: str) -> None:
        self._json(
            handler,
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )
