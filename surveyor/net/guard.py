"""Outgoing HTTP may only reach public addresses (server-side request forgery guard).

A webhook URL is chosen by a user, so without this check it could make the server
call its own admin ports, the cloud metadata service (169.254.169.254) or the private
network. The host is resolved here, every address it resolves to is checked, and the
caller then connects to the checked address itself — never resolving the name a
second time, so DNS cannot answer differently in between ("DNS rebinding").
Redirects are not followed, for the same reason.

Every spelling of an address is caught because the resolver normalises them all
before the check: ``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
``[::ffff:127.0.0.1]``, ``[::1]``, ``0``, and names that resolve there.

``allow_private`` (``SURVEYOR_ALLOW_PRIVATE_WEBHOOKS``) opens loopback and private
networks, for receivers on the same host or LAN. It never opens link-local addresses
(``169.254.0.0/16``, ``fe80::/10``) or the cloud metadata services (``169.254.169.254``,
``fd00:ec2::254``, ``100.100.100.200``), in any spelling or wrapped in IPv6 (mapped,
compatible, 6to4, Teredo, NAT64): nothing legitimate listens there for a webhook, and
they hand out cloud credentials.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import msgspec

from surveyor import DeliveryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
# NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible IPv6 (deprecated, ::a.b.c.d) carries it there too.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Refused even with allow_private: link-local networks and cloud metadata services.
NEVER_ALLOWED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.0.0/16"), "a link-local address (cloud metadata)"),
    (ipaddress.ip_network("fe80::/10"), "a link-local address"),
    (ipaddress.ip_network("fd00:ec2::254/128"), "a cloud metadata address"),
    (ipaddress.ip_network("100.100.100.200/32"), "a cloud metadata address"),
)


class UnsafeTarget(DeliveryError):
    """The URL is not allowed: a private/loopback/… address, or not http(s). Permanent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str  # as written (for the Host header and TLS SNI)
    port: int
    ip: str


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def never_allowed_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is refused even when private addresses are allowed, or None."""
    inner = _embedded_ipv4(ip)
    if inner is None and isinstance(ip, ipaddress.IPv6Address) and ip in IPV4_COMPATIBLE:
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if inner is not None:
        reason = never_allowed_reason(inner)
        return f"{reason} (inside {ip})" if reason else None
    for network, reason in NEVER_ALLOWED:
        if ip.version == network.version and ip in network:
            return reason
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be called, or None when it is a public unicast address."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        reason = forbidden_reason(inner)
        return f"{reason} (inside {ip})" if reason else None
    for flag, reason in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "the unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, flag):
            return reason
    if not ip.is_global:  # shared 100.64/10, documentation ranges, and the like
        return "not a public address"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {host!r}: {exc.strerror}") from None
    # An IPv6 address may carry a zone ("fe80::1%eth0"); the zone is not part of the IP.
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Legacy IPv4 spellings (127.1, 2130706433, 0x7f000001, 0177.0.0.1): inet_aton reads
    # them the way the C resolver does.
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def check_url(
    url: str, *, allow_private: bool = False, resolver: Resolver | None = None
) -> Target:
    """Parse, resolve and check ``url``; raises :class:`UnsafeTarget` when refused.

    With ``allow_private`` (``SURVEYOR_ALLOW_PRIVATE_WEBHOOKS``) loopback and private
    addresses are allowed; link-local and cloud metadata addresses never are.
    """
    import httpx  # here: a server process that never checks a URL never loads it

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeTarget(f"invalid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeTarget(f"URL scheme {parsed.scheme!r} is not allowed: use http or https")
    host = parsed.host
    if not host:
        raise UnsafeTarget("URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = _literal_ip(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        addresses = await (resolver or system_resolver)(host, port)
        if not addresses:
            raise DeliveryError(f"{host!r} resolves to no address")
    shown = host if literal is None else url
    for address in addresses:
        ip = ipaddress.ip_address(address)
        reason = never_allowed_reason(ip)
        if reason:
            raise UnsafeTarget(
                f"{shown} resolves to {address}, {reason}; refused (even with "
                "SURVEYOR_ALLOW_PRIVATE_WEBHOOKS)"
            )
        reason = None if allow_private else forbidden_reason(ip)
        if reason:
            # Every answer must be public: connecting to "the first" would let a
            # name with one public and one private answer through half the time.
            raise UnsafeTarget(
                f"{shown} resolves to {address}, {reason}; refused "
                "(set SURVEYOR_ALLOW_PRIVATE_WEBHOOKS=true to allow)"
            )
    return Target(url=url, scheme=parsed.scheme, host=host, port=port, ip=addresses[0])
