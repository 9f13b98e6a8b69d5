"""What an operator sees of a running API: Prometheus metrics at ``/metrics`` and one JSON access-log line per
request (logger ``registry.access``, on stderr).

A pure ASGI middleware (no per-request task or body buffering, so the resolve hot path keeps its speed) labels
each request by its route template (``/v1/blobs/{sha256}``, never the raw path: bounded cardinality). With
``registry serve --workers N`` every worker writes its samples to ``PROMETHEUS_MULTIPROC_DIR`` (set by ``serve``)
and ``/metrics`` adds up all workers, whichever one answers the scrape.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ACCESS = logging.getLogger("registry.access")
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The registry's Prometheus metrics (one set per process; aggregated across workers in multiprocess mode)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter("registry_http_requests", "HTTP requests answered.", labels, registry=self.registry)
        self.latency = Histogram(
            "registry_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response.",
            ("method", "route"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.bytes_served = Counter(
            "registry_http_response_bytes", "Response body bytes sent.", ("route",), registry=self.registry
        )
        self.resolve_misses = Counter(
            "registry_resolve_misses",
            "Resolve requests that found no build (4xx answers of GET /v1/resolve).",
            registry=self.registry,
        )

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class Observe:
    """ASGI middleware: count, time and log every HTTP request; answer ``GET /metrics``."""

    def __init__(self, app: ASGIApp, *, access_log: bool) -> None:
        self.app = app
        self.metrics = Metrics()
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics" and scope["method"] == "GET":
            await self._serve_metrics(send)
            return
        start = time.perf_counter()
        state = {"status": 500, "bytes": 0}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self._record(scope, state["status"], state["bytes"], time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, sent: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path_format", None) or "unmatched"  # {sha256}, not {sha256:sha256}
        method = scope["method"]
        m = self.metrics
        m.requests.labels(method, route, str(status)).inc()
        m.latency.labels(method, route).observe(seconds)
        if sent:
            m.bytes_served.labels(route).inc(sent)
        if route == "/v1/resolve" and 400 <= status < 500:
            m.resolve_misses.inc()
        if self.access_log:
            client = scope.get("client")
            ACCESS.info(
                json.dumps(
                    {
                        "ts": round(time.time(), 3),
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "ms": round(seconds * 1000, 2),
                        "bytes": sent,
                        "client": client[0] if client else None,
                        "pid": os.getpid(),
                    },
                    separators=(",", ":"),
                )
            )

    async def _serve_metrics(self, send: Send) -> None:
        body, content_type = self.metrics.exposition()
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def configure_access_log() -> None:
    """One plain line per request on stderr (the JSON is the whole message)."""
    if ACCESS.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    ACCESS.addHandler(handler)
    ACCESS.setLevel(logging.INFO)
    ACCESS.propagate = False
