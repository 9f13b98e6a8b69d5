"""The request guard: identity and scope from the headers, then a body limit and body timeouts.

FastAPI reads and parses a JSON body before it runs a route's dependencies, so an anonymous 200 MB POST
would cost the server its memory before the 401. This ASGI middleware runs first: for every request that
carries a body it finds the route, authenticates the bearer token, checks the route's scope, and only then
lets the body in: a JSON body is read here under ``max_json_bytes`` (413) and the body timeouts (408), a
streamed upload (``PUT /v1/blobs/...``) is passed through under ``max_upload_bytes`` and the same timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.api.auth import authenticate, authorize, bearer_token
from registry.embedded import EmbeddedCatalog
from registry.errors import PayloadTooLarge, RegistryError, RequestTimeout
from registry.settings import Settings

_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


def streams_body(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route whose handler reads its body as a stream (blob uploads)."""
    endpoint.streams_body = True  # type: ignore[attr-defined]
    return endpoint


def route_scope(route: APIRoute) -> str | None:
    """The token scope a route declares through ``require_scope`` (None for an open route)."""
    for dep in route.dependencies:
        scope = getattr(dep.dependency, "required_scope", None)
        if scope is not None:
            return str(scope)
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, catalog: EmbeddedCatalog, routes: Sequence[APIRoute]) -> None:
        self.app = app
        self.catalog = catalog
        self.routes = [r for r in routes if not (r.methods or set()) <= _BODILESS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        route = _match(self.routes, scope)
        if route is None:  # a 404 or 405: the app answers without reading the body
            await self.app(scope, receive, send)
            return
        settings = self.catalog.settings
        try:
            headers = _headers(scope)
            required = route_scope(route)
            if required is not None:
                identity = await authenticate(self.catalog, bearer_token(headers.get("authorization")))
                authorize(required, identity, settings.public_read)
                scope.setdefault("state", {})["identity"] = identity
            streamed = getattr(route.endpoint, "streams_body", False)
            limit = settings.max_upload_bytes if streamed else settings.max_json_bytes
            _check_declared_length(headers, limit)
            body = _Body(receive, limit, settings)
            receive = body.receive if streamed else _replay(await body.read_all())
        except RegistryError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def error_response(exc: RegistryError) -> JSONResponse:
    """The error shape; the connection is closed after it, since the body was not (fully) read."""
    headers = {"Connection": "close"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


def _match(routes: Sequence[APIRoute], scope: Scope) -> APIRoute | None:
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


def allowed_methods(routes: Sequence[APIRoute], scope: Scope) -> set[str]:
    """Every method some route serves at this request's path. A literal path (``/v1/blobs/missing``) is its own
    resource: templates it also happens to fit (``/v1/blobs/{sha256}``) do not add their methods."""
    matched = [r for r in routes if r.matches(scope)[0] is not Match.NONE]
    literal = [r for r in matched if "{" not in r.path_format]
    methods: set[str] = set()
    for route in literal or matched:
        methods |= route.methods or set()
    return methods


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body exceeds the limit of {limit} bytes.",
        hint="Raise REGISTRY_MAX_JSON_BYTES (JSON bodies) or REGISTRY_MAX_UPLOAD_BYTES (blob uploads).",
    )


def _check_declared_length(headers: dict[str, str], limit: int) -> None:
    declared = headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(limit)


class _Body:
    """``receive`` with a size limit, a per-message timeout and a minimum average rate."""

    def __init__(self, receive: Receive, limit: int, settings: Settings) -> None:
        self._receive = receive
        self.limit = limit
        self.timeout = settings.body_timeout
        self.min_rate = settings.min_body_rate
        self.received = 0
        self.started = time.monotonic()

    async def receive(self) -> Message:
        try:
            message = await asyncio.wait_for(self._receive(), timeout=self.timeout)
        except TimeoutError as exc:
            raise RequestTimeout(
                f"No part of the request body arrived for {self.timeout} s.", hint="Retry on a working connection."
            ) from exc
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise _too_large(self.limit)
            elapsed = time.monotonic() - self.started
            if message.get("more_body") and elapsed > self.timeout and self.received < self.min_rate * elapsed:
                raise RequestTimeout(
                    f"The request body arrives at {self.received / elapsed:.0f} B/s, under the minimum "
                    f"of {self.min_rate} B/s.",
                    hint="Retry on a faster connection (or raise REGISTRY_MIN_BODY_RATE).",
                )
        return message

    async def read_all(self) -> bytes:
        parts: list[bytes] = []
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                return b"".join(parts)
            parts.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(parts)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # like a client that sent everything and waits for the answer
        return {"type": "http.disconnect"}

    return receive
