"""AI Hub plumbing for the qai-hub backend: configuration, a fail-fast preflight, the job store and polling.

Long jobs survive interruptions: every job id is written to a small JSON job store (under the ingest work
dir) the moment AI Hub accepts the job, keyed by the stage's content key, so a re-run re-attaches to it
instead of submitting it again.
"""

from __future__ import annotations

import configparser
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from registry import atomic
from registry.errors import InvalidInput, RegistryError, Unauthorized
from registry.settings import Settings

DEFAULT_API_URL = "https://workbench.aihub.qualcomm.com"
JOB_LINK = "https://app.aihub.qualcomm.com/jobs/{job_id}/"
CONFIG_ENV = "QAIHUB_CLIENT_INI"
DEFAULT_CONFIG = "~/.qai_hub/client.ini"
PREFLIGHT_TIMEOUT_S = 3.0
T = TypeVar("T")


class QaiHubNotConfigured(InvalidInput):
    code = "qaihub_not_configured"


class QaiHubUnreachable(RegistryError):
    code = "qaihub_unreachable"
    status = 503


class QaiHubAuthFailed(Unauthorized):
    code = "qaihub_auth_failed"


class RateLimited(RegistryError):
    code = "qaihub_rate_limited"
    status = 429


@dataclass(frozen=True)
class HubConfig:
    """Where AI Hub is and the token to reach it, and where that token came from."""

    api_token: str
    api_url: str
    web_url: str
    origin: str


def job_link(job_id: str) -> str:
    return JOB_LINK.format(job_id=job_id)


def resolve_config(settings: Settings) -> HubConfig:
    """The token: ``REGISTRY_QAIHUB_TOKEN`` first, then qai-hub's own config file; else a clear error, at once."""
    api_url = settings.qaihub_api_url
    if settings.qaihub_token:
        url = api_url or DEFAULT_API_URL
        return HubConfig(settings.qaihub_token, url, url, "REGISTRY_QAIHUB_TOKEN")
    path = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    if path.is_file():
        parser = configparser.ConfigParser()
        parser.read(path)
        section = parser["api"] if parser.has_section("api") else None
        token = section.get("api_token", "").strip() if section is not None else ""
        if token:
            assert section is not None
            url = api_url or section.get("api_url") or DEFAULT_API_URL
            return HubConfig(token, url, section.get("web_url") or url, str(path))
    raise QaiHubNotConfigured(
        f"No Qualcomm AI Hub token: REGISTRY_QAIHUB_TOKEN is unset and {path} has no [api] api_token.",
        hint="Run `qai-hub configure --api_token <token>` (token from https://app.aihub.qualcomm.com/account/) "
        "or set REGISTRY_QAIHUB_TOKEN.",
    )


def preflight(config: HubConfig, timeout: float = PREFLIGHT_TIMEOUT_S) -> None:
    """One authenticated request with a short timeout and no retries: unreachable or refused fails now.

    (The qai-hub client retries with back-off for about 47 s per call before it gives up.)
    """
    parsed = urlparse(config.api_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise QaiHubNotConfigured(
            f"'{config.api_url}' is not an AI Hub API URL.", hint=f"Use {DEFAULT_API_URL} (REGISTRY_QAIHUB_API_URL)."
        )
    url = config.api_url.rstrip("/") + "/api/v1/users/auth/user/"
    request = urllib.request.Request(url, headers={"Authorization": f"token {config.api_token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise QaiHubAuthFailed(
                f"Qualcomm AI Hub at {config.api_url} refused the token from {config.origin} (HTTP {exc.code}).",
                hint="Check the token on https://app.aihub.qualcomm.com/account/ and run `qai-hub configure` again "
                "or set REGISTRY_QAIHUB_TOKEN.",
            ) from None
        if exc.code >= 500 or exc.code == 429:
            raise QaiHubUnreachable(
                f"Qualcomm AI Hub at {config.api_url} answered HTTP {exc.code}.", hint="Try again later."
            ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise QaiHubUnreachable(
            f"Cannot reach Qualcomm AI Hub at {config.api_url} within {timeout:g} s: {reason}.",
            hint="Check the network (and any proxy), or REGISTRY_QAIHUB_API_URL.",
        ) from None


class JobStore:
    """``{content key: {"job_id", "kind", "device", "submitted_at"}}`` in one JSON file, rewritten atomically."""

    def __init__(self, path: Path):
        self.path = path
        self._data: dict[str, dict[str, Any]] = {}
        if path.is_file():
            loaded = json.loads(path.read_text() or "{}")
            if isinstance(loaded, dict):
                self._data = loaded

    def get(self, key: str) -> dict[str, Any] | None:
        return self._data.get(key)

    def record(self, key: str, job_id: str, kind: str, **extra: Any) -> None:
        entry = {"job_id": job_id, "kind": kind, "submitted_at": datetime.now(UTC).isoformat(), **extra}
        self._data[key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.path, json.dumps(self._data, indent=1, sort_keys=True))

    def forget(self, key: str) -> None:
        if self._data.pop(key, None) is not None:
            atomic.write_text(self.path, json.dumps(self._data, indent=1, sort_keys=True))


@dataclass
class Retry:
    """Back-off for AI Hub's rate limiting (HTTP 429) on job submission."""

    attempts: int = 5
    first_wait_s: float = 20.0
    max_wait_s: float = 120.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, submit: Callable[[], T], on_retry: Callable[[int], None] | None = None) -> T:
        from qai_hub.client import RateLimitedError

        wait = self.first_wait_s
        for attempt in range(1, self.attempts + 1):
            try:
                return submit()
            except RateLimitedError as exc:
                if attempt == self.attempts:
                    raise RateLimited(
                        f"AI Hub rate-limited this submission {attempt} times: {exc}",
                        hint="Re-run later; jobs already submitted are re-attached, not resubmitted.",
                    ) from None
                if on_retry is not None:
                    on_retry(attempt)
                self.sleep(wait)
                wait = min(wait * 2, self.max_wait_s)
        raise AssertionError("unreachable")


def wait_all(jobs: dict[str, Any], *, timeout_s: float, poll_s: float) -> dict[str, str | None]:
    """Poll every job until it finishes or ``timeout_s`` passes; ``{key: None (success) | failure text}``."""
    outcome: dict[str, str | None] = {}
    deadline = time.monotonic() + timeout_s
    pending = dict(jobs)
    while pending:
        for key, job in list(pending.items()):
            status = job.get_status()
            if status.finished:
                outcome[key] = None if status.success else f"AI Hub job {job.job_id} failed: {status.message}"
                del pending[key]
        if not pending:
            break
        if time.monotonic() >= deadline:
            for key, job in pending.items():
                outcome[key] = (
                    f"AI Hub job {job.job_id} still running after {timeout_s:g} s; "
                    "re-run the ingest to re-attach to it."
                )
            break
        time.sleep(poll_s)
    return outcome
