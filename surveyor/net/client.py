"""A guarded async HTTP client for plugins that call URLs users chose.

Every request goes through :func:`surveyor.net.guard.check_url` first and then connects
to the address that was checked (the name is resolved once: DNS cannot answer
differently in between), with the name as ``Host`` header and TLS server name.
Redirects are never followed, proxies from the environment are ignored (they would
route around the check), every call has a timeout, and at most
``max_response_bytes`` of an answer are read.

Failures are :class:`surveyor.DeliveryError`: a refused URL is permanent
(:class:`~surveyor.net.guard.UnsafeTarget`), a timeout or a network error is not (so
the outbox retries it). The status code is the caller's to judge.

httpx is imported on the first request, not with this module: with the CLI extras it
pulls in (click, rich, pygments) it is ~7 MB a server process only needs once a webhook
is actually called (issue 17, memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import msgspec

from surveyor import DeliveryError, __version__
from surveyor.net.guard import Resolver, Target, check_url

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 64 * 1024


class GuardedResponse(msgspec.Struct, frozen=True, kw_only=True):
    """An answer, read up to the client's cap."""

    status: int
    headers: dict[str, str]
    body: bytes
    # True when the answer was longer than the cap and the rest was not read.
    truncated: bool = False

    def snippet(self, length: int = 200) -> str:
        """The start of the body on one line, for a log or an error message."""
        return " ".join(self.body[:length].decode(errors="replace").split())


def pinned_request_parts(target: Target) -> tuple[httpx.URL, str, dict[str, str]]:
    """The URL to connect to (the checked IP), the Host header and the TLS extensions."""
    import httpx

    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    host_header = host if target.port == default_port else f"{host}:{target.port}"
    url = httpx.URL(target.url).copy_with(host=target.ip, port=target.port)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, host_header, extensions


class GuardedClient:
    """``await GuardedClient().post(url, content=b"...")`` → :class:`GuardedResponse`.

    ``allow_private`` opens loopback and private networks (pass
    ``services.settings.allow_private_webhooks``); link-local and cloud metadata
    addresses stay refused. Close with :meth:`aclose`.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        user_agent: str = f"Surveyor/{__version__}",
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.max_response_bytes = max_response_bytes
        self.user_agent = user_agent
        self.resolver = resolver
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            # trust_env=False: an HTTP(S)_PROXY variable must not route around the check.
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)),
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> GuardedResponse:
        import httpx

        target = await check_url(url, allow_private=self.allow_private, resolver=self.resolver)
        pinned, host_header, extensions = pinned_request_parts(target)
        request = self._http().build_request(
            method,
            pinned,
            content=content,
            headers={"User-Agent": self.user_agent, **(headers or {}), "Host": host_header},
            extensions=extensions,
        )
        received = bytearray()
        truncated = False
        try:
            response = await self._http().send(request, stream=True)
            try:
                async for chunk in response.aiter_raw():
                    received += chunk
                    if len(received) > self.max_response_bytes:
                        truncated = True
                        break  # the rest is not our business
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            raise DeliveryError(f"no answer from {target.host} in time") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return GuardedResponse(
            status=response.status_code,
            headers=dict(response.headers.items()),
            body=bytes(received[: self.max_response_bytes]),
            truncated=truncated,
        )

    async def post(
        self, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> GuardedResponse:
        return await self.request("POST", url, content=content, headers=headers)

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> GuardedResponse:
        return await self.request("GET", url, headers=headers)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
