"""The SSRF guard: private targets are refused in every encoding (unless allowed);
link-local and cloud metadata addresses are refused even when private ones are allowed."""

from __future__ import annotations

import ipaddress

import pytest

from surveyor.net.guard import UnsafeTarget, check_url, forbidden_reason, never_allowed_reason

LOOPBACK_SPELLINGS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://localhost/",
    "http://LOCALHOST/",
    "http://0/",
    "http://[::]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://224.0.0.1/",
    "http://100.64.0.1/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "https://user:pw@127.0.0.1:8443/x",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
async def test_private_targets_are_refused_in_every_spelling(url: str) -> None:
    with pytest.raises(UnsafeTarget) as caught:
        await check_url(url)
    # Refused for good; octal spellings are already rejected by the URL parser itself.
    assert caught.value.permanent
    assert "ALLOW_PRIVATE_WEBHOOKS" in caught.value.message or "invalid URL" in caught.value.message


async def test_hostnames_resolving_to_private_addresses_are_refused() -> None:
    answers = {
        "evil.example": ["10.0.0.5"],
        "mixed.example": ["93.184.216.34", "127.0.0.1"],
        "good.example": ["93.184.216.34", "2606:2800:220:1::1"],
    }

    async def resolver(host: str, port: int) -> list[str]:
        return answers[host]

    for host in ("evil.example", "mixed.example"):
        with pytest.raises(UnsafeTarget):
            await check_url(f"https://{host}/hook", resolver=resolver)
    target = await check_url("https://good.example/hook", resolver=resolver)
    assert (target.ip, target.host, target.port) == ("93.184.216.34", "good.example", 443)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///"]
)
async def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        await check_url(url, allow_private=True)


async def test_allow_private_webhooks_lets_loopback_through() -> None:
    for url in ("http://127.1:9/", "http://[::1]:9/", "http://localhost:9/"):
        target = await check_url(url, allow_private=True)
        assert ipaddress.ip_address(target.ip).is_loopback


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("169.254.1.1", True),
        ("0.0.0.0", True),  # noqa: S104 - an address under test, not a bind
        ("255.255.255.255", True),
        ("192.0.2.1", True),  # documentation range
        ("239.1.1.1", True),
        ("ff02::1", True),
    ],
)
def test_forbidden_reason_table(address: str, refused: bool) -> None:
    assert (forbidden_reason(ipaddress.ip_address(address)) is not None) is refused


METADATA_SPELLINGS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.1.1/",
    "http://2852039166/",  # 169.254.169.254 in decimal
    "http://0xa9fea9fe/",  # in hex
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://169.254.43518/",  # the legacy a.b.c form
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::169.254.169.254]/",  # IPv4-compatible
    "http://[2002:a9fe:a9fe::]/",  # 6to4
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "http://100.100.100.200/",  # Alibaba Cloud metadata
    "http://[::ffff:100.100.100.200]/",
    "http://[fe80::1]/",
]


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
async def test_link_local_and_metadata_are_refused_even_when_private_is_allowed(
    url: str,
) -> None:
    with pytest.raises(UnsafeTarget) as caught:
        await check_url(url, allow_private=True)
    assert caught.value.permanent
    assert "even with SURVEYOR_ALLOW_PRIVATE_WEBHOOKS" in caught.value.message


async def test_a_name_resolving_to_metadata_is_refused_even_when_private_is_allowed() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"meta.example": ["169.254.169.254"], "lan.example": ["10.0.0.5"]}[host]

    with pytest.raises(UnsafeTarget, match="link-local"):
        await check_url("http://meta.example/", allow_private=True, resolver=resolver)
    # A private address is still allowed: only link-local and metadata are never allowed.
    target = await check_url("http://lan.example/", allow_private=True, resolver=resolver)
    assert target.ip == "10.0.0.5"


@pytest.mark.parametrize(
    ("address", "never"),
    [
        ("169.254.169.254", True),
        ("fd00:ec2::254", True),
        ("100.100.100.200", True),
        ("::ffff:169.254.169.254", True),
        ("fe80::1", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("::1", False),
        ("fd00:ec2::253", False),
        ("100.100.100.201", False),
        ("8.8.8.8", False),
    ],
)
def test_never_allowed_reason_table(address: str, never: bool) -> None:
    assert (never_allowed_reason(ipaddress.ip_address(address)) is not None) is never
