"""uvicorn's HTTP protocols (h11, and httptools when installed) with a header timeout.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits forever for a request whose
headers never finish, and for a connection that never sends a byte. These protocols close both after
``REGISTRY_HEADER_TIMEOUT`` seconds. (Body timeouts are enforced by ``registry.api.guard``.) Both are
module-level names, so uvicorn can hand them to worker processes (``--workers``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from registry.settings import get_settings


class _HeaderDeadline:
    """A timer armed while a connection is waiting for a request's headers; on expiry the connection closes."""

    loop: asyncio.AbstractEventLoop
    transport: Any

    def _start_deadline(self) -> None:
        self._header_seconds = float(get_settings().header_timeout)
        self._header_timer: asyncio.TimerHandle | None = None

    def _awaiting_headers(self) -> bool:
        raise NotImplementedError

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self._header_seconds, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if self._awaiting_headers() and not self.transport.is_closing():
            self.transport.close()


class HeaderTimeoutProtocol(_HeaderDeadline, H11Protocol):
    """``H11Protocol`` that drops a connection whose request headers take over ``header_timeout`` seconds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_deadline()

    def _awaiting_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the request line and headers are in

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def _httptools_protocol() -> type:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HttpToolsHeaderTimeout(_HeaderDeadline, HttpToolsProtocol):
        """The same deadline on uvicorn's httptools parser: armed when a connection opens and when a request's
        first byte arrives, disarmed once its headers are complete."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._start_deadline()
            self._in_headers = True

        def _awaiting_headers(self) -> bool:
            return self._in_headers

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            self._in_headers = True
            self._arm()
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HttpToolsHeaderTimeout


try:  # absent without httptools (the `server` extra installs it)
    HttpToolsHeaderTimeoutProtocol = _httptools_protocol()
except ImportError:  # pragma: no cover
    pass
