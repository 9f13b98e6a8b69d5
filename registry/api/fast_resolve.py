"""``GET /v1/resolve``'s ordinary answer without FastAPI's routing and parameter solving: the API's hot path.

An ASGI layer inside the access log, the metrics and the request guard (they still see every request), in front of
the FastAPI router. It answers a resolve whose query is plain (``model``, ``device``, ``precision`` and at most one
each of ``runtime``, ``version``, ``alias``, every value within the limits the route declares) when the caller may
read and the catalog has the build. Everything else (another parameter, a value the route would refuse, a token
problem, any error of the service) goes on to the FastAPI route, which answers it exactly as it always has. So this
layer only ever answers what the route would answer with 200, with the same bytes and headers
(tests/api/test_resolve_fast_path.py compares the two on the same catalog).

What it saves is fixed per-request work: route matching over every route, and FastAPI's solving of eight query
parameters and a dependency, which took more CPU per request than the SQL statement itself (cProfile of
``registry serve``, docs/benchmarks.md).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api.auth import authenticate, authorize, bearer_token
from registry.api.routes.catalog_routes import blob_urls, resolve_in
from registry.embedded import EmbeddedCatalog
from registry.vocab import PRECISION_ALIASES, PRECISIONS, READ, RUNTIMES

PATH = "/v1/resolve"
# The route's own limits (registry/api/routes/catalog_routes.py: resolve_build); a value outside them goes to the
# route, which refuses it in the one error shape.
_LIMITS = {"model": 64, "device": 120, "version": 80, "alias": 40}
_REQUIRED = frozenset({"model", "device", "precision"})
_OPTIONAL = frozenset({"runtime", "version", "alias"})
_PRECISIONS = frozenset((*PRECISIONS, *PRECISION_ALIASES))
_RUNTIMES = frozenset(RUNTIMES)
_DEVICE = re.compile("[A-Za-z0-9]")  # DEVICE_PATTERN, searched as pydantic does

# How many requests this process answered here and passed on (read by the tests; two integers, no lock needed).
counts = {"answered": 0, "passed": 0}


def plain_query(query_string: bytes) -> dict[str, str] | None:
    """The parameters of a plain resolve query, or None when the route must see it."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # as Starlette parses it
    params = dict(pairs)
    keys = params.keys()
    if len(params) != len(pairs) or not keys >= _REQUIRED or not keys <= _REQUIRED | _OPTIONAL:
        return None
    if not all(params.values()):
        return None
    if any(len(params[k]) > limit for k, limit in _LIMITS.items() if k in params):
        return None
    if params["precision"] not in _PRECISIONS or params.get("runtime", RUNTIMES[0]) not in _RUNTIMES:
        return None
    if _DEVICE.search(params["device"]) is None:
        return None
    return params


class FastResolve:
    def __init__(self, app: ASGIApp, catalog: EmbeddedCatalog, route: APIRoute) -> None:
        self.app = app
        self.catalog = catalog
        self.route = route
        self.pooled = catalog.engine.dialect.name != "sqlite"  # as the route does: a server database in the pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = await self._answer(scope)
            if body is not None:
                counts["answered"] += 1
                scope["route"] = self.route  # the access log and the metrics label it as the route would
                headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            counts["passed"] += 1
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> bytes | None:
        params = plain_query(scope.get("query_string", b""))
        if params is None:
            return None
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        try:
            if authorization is not None:
                identity = await authenticate(self.catalog, bearer_token(authorization.decode("latin-1")))
            else:
                identity = None
            authorize(READ, identity, self.catalog.settings.public_read)
            args: tuple[Any, ...] = (
                self.catalog,
                blob_urls(Request(scope)),
                params["model"],
                params["device"],
                params["precision"],
                params.get("runtime"),
                params.get("version"),
                params.get("alias"),
                [],
            )
            r = await run_in_threadpool(resolve_in, *args) if self.pooled else resolve_in(*args)
        except Exception:  # the route answers it (an error of ours or not), in its own words
            return None
        return r.model_dump_json().encode()
