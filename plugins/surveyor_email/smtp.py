"""SMTP for the email channel: the server named by ``SURVEYOR_EMAIL_URL`` (an Apprise
``mailto://`` or ``mailtos://`` URL), reached with :mod:`smtplib` and kept-alive connections.

Why not ``apprise.notify()``: it returns ``False`` on failure and logs the SMTP reply
instead of handing it back, so a ``450 mailbox busy`` (try again later) and a ``550 no
such user`` (never retry) look the same; it also builds the plain-text part from the
HTML itself and cannot add per-message headers such as ``List-Unsubscribe``. So Apprise
parses the URL — the operator writes the same ``mailto://user:pass@host:port?from=…&mode=…``
as for any Apprise notification — and this module speaks SMTP, which also lets it keep a
few connections open between messages (one handshake per connection, not per email).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import warnings
from email.utils import parseaddr

import msgspec

from surveyor import DeliveryError

MODES = ("insecure", "starttls", "ssl")


class SmtpConfig(msgspec.Struct, frozen=True, kw_only=True):
    host: str
    port: int
    mode: str = "insecure"
    user: str | None = None
    password: str | None = None
    from_name: str = ""
    from_addr: str
    verify_certificate: bool = True
    timeout: float = 30.0


def parse_email_url(url: str, email_from: str = "") -> SmtpConfig:
    """Read an Apprise ``mailto://`` URL; ``email_from`` ("Name <addr>") overrides its sender."""
    import apprise  # here: ~4.5 MB, and a server with no email configured never needs it

    with warnings.catch_warnings():
        # Apprise's email plugin imports the deprecated imghdr module on first use.
        warnings.filterwarnings("ignore", message=".*imghdr.*", category=DeprecationWarning)
        plugin = apprise.Apprise.instantiate(url)
    if plugin is None or not hasattr(plugin, "smtp_host"):
        raise ValueError("email_url: not an Apprise mailto:// or mailtos:// URL")
    name, addr = plugin.from_addr
    if email_from:
        name, addr = parseaddr(email_from)
    if not addr or "@" not in addr:
        raise ValueError(
            "email_url: no sender address; add ?from=you@example.com or set email_from"
        )
    mode = plugin.secure_mode if plugin.secure else "insecure"
    if mode not in MODES:
        raise ValueError(f"email_url: unsupported mode {mode!r}")
    return SmtpConfig(
        host=plugin.smtp_host,
        port=int(plugin.port),
        mode=mode,
        user=plugin.user or None,
        password=plugin.password or None,
        from_name=name or "",
        from_addr=addr,
        verify_certificate=bool(plugin.verify_certificate),
    )


def failure(exc: BaseException, recipient: str) -> DeliveryError:
    """Map an smtplib error to a DeliveryError: 5xx replies are permanent, 4xx temporary.

    A failed login is temporary even though it is a 5xx: the fix is in the operator's
    settings, not in the message, and the retries give them time to make it.
    """
    code: int | None = None
    text = ""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, raw = exc.recipients.get(recipient, next(iter(exc.recipients.values()), (0, b"")))
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"SMTP login refused ({exc.smtp_code}): check SURVEYOR_EMAIL_URL")
    elif isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        raw = exc.smtp_error
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"SMTP server does not support it: {exc}; check the URL's mode")
    elif isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return DeliveryError(f"cannot talk to the SMTP server: {exc or type(exc).__name__}")
    else:
        return DeliveryError(f"SMTP error: {type(exc).__name__}: {exc}")
    text = " ".join(text.split())
    if code is not None and 500 <= code < 600:
        return DeliveryError(f"SMTP {code} {text}".strip(), permanent=True)
    return DeliveryError(f"SMTP {code} {text}".strip())


class SmtpPool:
    """A few open SMTP connections, used by one thread at a time each.

    ``send`` is blocking (it runs in a worker thread); every connection that saw an
    error is closed rather than reused, so a half-finished transaction never leaks
    into the next message.
    """

    def __init__(self, config: SmtpConfig, *, keep: int = 8) -> None:
        self.config = config
        self.keep = keep
        self._idle: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        if not c.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        hostname = socket.getfqdn()
        if c.mode == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                c.host, c.port, local_hostname=hostname, timeout=c.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(c.host, c.port, local_hostname=hostname, timeout=c.timeout)
            if c.mode == "starttls":
                conn.ehlo()
                conn.starttls(context=context)
                conn.ehlo()
        if c.user and c.password:
            conn.login(c.user, c.password)
        return conn

    def _take(self) -> smtplib.SMTP | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _give_back(self, conn: smtplib.SMTP) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(conn)
                return
        _quit(conn)

    def send(self, message: bytes, recipient: str) -> None:
        """Send ``message`` (its wire bytes) to ``recipient`` on a kept-alive connection.

        No ``NOOP`` first: a connection the server closed while idle shows itself on the
        first command, and then the message goes once more on a fresh connection (only
        for a reused connection, and only for errors that mean "connection gone")."""
        conn = self._take()
        if conn is not None:
            try:
                self._send_on(conn, message, recipient)
                return
            except (smtplib.SMTPException, OSError) as exc:
                _quit(conn)
                if not _connection_gone(exc):
                    raise failure(exc, recipient) from None
        conn = None
        try:
            conn = self._connect()
            self._send_on(conn, message, recipient)
        except (smtplib.SMTPException, OSError) as exc:
            if conn is not None:
                _quit(conn)
            raise failure(exc, recipient) from None

    def _send_on(self, conn: smtplib.SMTP, message: bytes, recipient: str) -> None:
        conn.sendmail(self.config.from_addr, [recipient], message)
        self._give_back(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _quit(conn)


def _connection_gone(exc: BaseException) -> bool:
    """The kept-alive connection was closed under us (idle timeout, server restart): a
    disconnect, a socket error, or a ``421`` service-closing reply."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    # Every SMTPException is an OSError too; only a socket's own error means "gone".
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()
