"""Where webhooks may be sent: public addresses only, unless the operator allows private ones.

A webhook URL is chosen by the account, but the request leaves from the server, so without a
check an account could make the server call its own network (a database console, a cloud's
metadata service at 169.254.169.254) and read the answer in the delivery log. The rules:

- no `user:pass@` in the URL (credentials would sit in the log and the database);
- no host that is, or resolves to, a private, loopback, link-local, multicast, reserved or
  otherwise non-global address, in any spelling (`127.1`, `2130706433`, `[::1]`,
  `::ffff:127.0.0.1`), nor a known internal name (`localhost`, `metadata.google.internal`);
- checked when the endpoint is saved AND again at every delivery, on every address the name
  resolves to, and the request then connects to the address that was checked (a name that
  changes its answer between the check and the connection gains nothing).

`CONTACTS_WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule for tests and on-premises installs
whose receivers live on the same network.
"""

import asyncio
import ipaddress
import os
import socket
from urllib.parse import urlsplit

ALLOW_PRIVATE_ENV = "CONTACTS_WEBHOOK_ALLOW_PRIVATE"
# Names that point inside the provider's network whatever DNS says today.
INTERNAL_NAMES = ("localhost", "metadata", "metadata.google.internal", "instance-data")
INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(ValueError):
    """The URL points somewhere webhooks are not sent; the message says why, for the account."""


def private_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


def literal_address(host: str) -> IpAddress | None:
    """The address a host written as a number stands for, in any spelling a resolver accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # inet_aton reads what browsers and libc read: 127.1, 2130706433, 0x7f.0.0.1, 0177.0.0.1.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and not embedded.is_global:
            return False
    return address.is_global and not address.is_multicast


def check_url(url: str) -> tuple[str, int]:
    """Refuse credentials, internal names and non-public literal addresses; returns (host, port).

    No DNS here: it is what a URL says on its face, the part that can be judged when saved.
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused(
            "Remove the user name and password from the URL: receivers check the webhook-signature header instead."
        )
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DestinationRefused(f"The port in “{url}” is not a number from 1 to 65535.") from exc
    if private_allowed():
        return host, port
    address = literal_address(host)
    if address is not None and not is_public(address):
        raise DestinationRefused(refusal(host))
    if address is None and (host in INTERNAL_NAMES or host.endswith(INTERNAL_SUFFIXES) or "." not in host):
        raise DestinationRefused(refusal(host))
    return host, port


def refusal(host: str) -> str:
    # The resolved address is not repeated: the account learns nothing about the internal network.
    return (
        f"Webhooks are not sent to {host}: it is a private, loopback, link-local or internal address. "
        "Use a public https URL."
    )


def vet_addresses(host: str, addresses: list[str]) -> list[str]:
    """Every address must be public (all of them: a resolver may hand out any one)."""
    if not addresses:
        raise DestinationRefused(f"{host} has no address.")
    if not private_allowed() and not all(is_public(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        raise DestinationRefused(refusal(host))
    return addresses


def resolve_sync(host: str, port: int) -> list[str]:
    """Check a URL's addresses when it is saved; a name that does not resolve yet is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return vet_addresses(host, list(dict.fromkeys(info[4][0] for info in infos)))


async def resolve(host: str, port: int) -> list[str]:
    """The checked addresses to connect to at delivery time; raises DestinationRefused or OSError."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return vet_addresses(host, list(dict.fromkeys(info[4][0] for info in infos)))
