"""An email's bytes, written directly (issue 17): the same message ``email.message``
would build, without its header parsing and policy machinery, which cost more CPU per
email than the SMTP exchange itself.

What it writes: RFC 5322 headers (CRLF line ends, folded at whitespace), non-ASCII
display names and unstructured values as RFC 2047 encoded words (UTF-8, base64, each
word at most 75 characters and cut on a character boundary), a ``multipart/alternative``
body with a plain-text and an HTML part, each ``7bit`` when it is short-lined ASCII and
otherwise the shorter of quoted-printable and base64 — the choice ``set_content`` makes.
Callers check addresses and header names; this module only writes what it is given,
and refuses a line break inside a header value.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import secrets
import time
from email.utils import formatdate

CRLF = "\r\n"
MAX_LINE = 78  # RFC 5322 recommends folding header lines at 78 characters
# atext (RFC 5322 3.2.3) and spaces: a display name of these needs no quotes.
_ATOM_PHRASE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$")
# A boundary must not occur in the parts: "=_" never does in quoted-printable or base64,
# and a random prefix per process (plus a counter) keeps a 7bit part from quoting it.
_BOUNDARY_PREFIX = secrets.token_hex(10)
_boundaries = itertools.count(1)
_ENCODED_WORD_BYTES = 45  # 45 bytes -> 60 base64 characters + 12 for "=?utf-8?b??=" = 72


def encoded_words(value: str) -> list[str]:
    """``value`` as RFC 2047 ``=?utf-8?b?…?=`` words, none longer than 75 characters and
    none cutting a character in two."""
    words: list[str] = []
    chunk = bytearray()
    for char in value:
        data = char.encode()
        if len(chunk) + len(data) > _ENCODED_WORD_BYTES:
            words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode()}?=")
            chunk = bytearray()
        chunk += data
    if chunk or not words:
        words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode()}?=")
    return words


def _fold(name: str, words: list[str]) -> str:
    """``Name: w1 w2 …`` folded before a word when the line would pass 78 characters."""
    line = f"{name}:"
    lines: list[str] = []
    for word in words:
        if len(line) + 1 + len(word) > MAX_LINE and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return CRLF.join(lines) + CRLF


def header(name: str, value: str) -> str:
    """An unstructured header (Subject, List-Unsubscribe, X-…), encoded when not ASCII."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name}: line breaks are not allowed")
    if value.isascii() and "=?" not in value:
        return _fold(name, value.split(" ") if len(name) + len(value) + 2 > MAX_LINE else [value])
    return _fold(name, encoded_words(value))


def phrase(name: str) -> list[str]:
    """A display name as words of an address header: bare when it is atoms, quoted when
    it is ASCII with specials; otherwise its runs of non-atom words become encoded words
    (bare atoms kept between them), so no decoder has to join encoded words across a
    word it can read — parsers differ there (Python's inserts a space)."""
    if not name:
        return []
    if name.isascii() and "=?" not in name:
        if _ATOM_PHRASE.match(name):
            return name.split()
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return [f'"{escaped}"']
    words: list[str] = []
    run: list[str] = []
    for word in name.split():
        if word.isascii() and "=?" not in word and _ATOM_PHRASE.match(word):
            if run:
                words += encoded_words(" ".join(run))
                run = []
            words.append(word)
        else:
            run.append(word)
    if run:
        words += encoded_words(" ".join(run))
    return words


def address(name: str, addr_spec: str) -> list[str]:
    """An address header's words: ``Name <local@domain>`` or the bare address."""
    if "\r" in name or "\n" in name or "\r" in addr_spec or "\n" in addr_spec:
        raise ValueError("addresses: line breaks are not allowed")
    words = phrase(name)
    return [*words, f"<{addr_spec}>"] if words else [addr_spec]


def body_part(content_type: str, text: str) -> str:
    """One text part with its headers; the text ends with a newline, as ``set_content``'s."""
    lines = text.splitlines()
    data = "\n".join(lines) + "\n"
    if data.isascii() and all(len(line) <= 998 for line in lines):
        encoding, body = "7bit", data.replace("\n", CRLF)
    else:
        raw = data.encode()
        qp = binascii.b2a_qp(raw, istext=True).decode("ascii")
        b64_length = (len(raw) + 2) // 3 * 4 * 78 // 76
        if len(qp) <= b64_length:
            encoding, body = "quoted-printable", qp.replace("\n", CRLF)
        else:
            encoded = base64.b64encode(raw).decode("ascii")
            encoding = "base64"
            body = "".join(encoded[i : i + 76] + CRLF for i in range(0, len(encoded), 76))
    return (
        f'Content-Type: {content_type}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}{body}"
    )


def compose(headers: list[str], text: str, html: str) -> bytes:
    """The message: ``headers`` (lines from :func:`header` and :func:`_fold`), then a
    ``multipart/alternative`` of ``text`` and ``html``."""
    boundary = f"=_{_BOUNDARY_PREFIX}{next(_boundaries)}"
    return (
        "".join(headers)
        + f"MIME-Version: 1.0{CRLF}"
        + f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
        + f"--{boundary}{CRLF}"
        + body_part("text/plain", text)
        + f"{CRLF}--{boundary}{CRLF}"
        + body_part("text/html", html)
        + f"{CRLF}--{boundary}--{CRLF}"
    ).encode("ascii")


def address_header(name: str, display: str, addr_spec: str) -> str:
    return _fold(name, address(display, addr_spec))


_date_cache: tuple[int, str] = (0, "")


def date_header() -> str:
    """``Date:`` now (RFC 5322, UTC), formatted once per second."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, f"Date: {formatdate(second, usegmt=False)}{CRLF}")
    return _date_cache[1]
