"""Saved logins (``registry login``): a default server and one token per server, in the user config dir.

The file (``{config_dir}/credentials.json``, mode 0600) holds::

    {"default": "https://registry.example", "servers": {"https://registry.example": {"token": "...", ...}}}

A token is only ever sent to the server it was saved for: ``REGISTRY_URL`` pointing elsewhere gets no saved
token. ``REGISTRY_URL`` and ``REGISTRY_TOKEN`` override what is saved. Standard library only: every command
reads this file, ``registry pull`` included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from registry import atomic

FILE_NAME = "credentials.json"


def default_config_dir() -> Path:
    import platformdirs

    return platformdirs.user_config_path("edge-model-registry")


def normalize_url(url: str) -> str:
    from registry.errors import InvalidInput

    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) < 10:
        raise InvalidInput(
            f"'{url}' is not a registry URL.", hint="Give the server's base URL, e.g. http://127.0.0.1:8000."
        )
    return url


def load(config_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((config_dir / FILE_NAME).read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def saved_server(config_dir: Path, url: str | None) -> tuple[str | None, dict[str, Any]]:
    """The server to use (``url``, else the saved default) and what was saved for it (token, name, scope)."""
    data = load(config_dir)
    chosen = (url or data.get("default") or "").rstrip("/") or None
    servers = data.get("servers") or {}
    entry = servers.get(chosen, {}) if chosen else {}
    return chosen, entry if isinstance(entry, dict) else {}


def save(config_dir: Path, url: str, entry: dict[str, Any]) -> Path:
    """Save ``entry`` (token, name, scope) for ``url`` and make it the default server; the file is 0600."""
    data = load(config_dir)
    data.setdefault("servers", {})[url] = entry
    data["default"] = url
    return _write(config_dir, data)


def forget(config_dir: Path, url: str | None) -> str | None:
    """Drop the saved token of ``url`` (default: the default server); returns the URL it was saved for."""
    data = load(config_dir)
    target = (url or data.get("default") or "").rstrip("/") or None
    if target is None:
        return None
    found = (data.get("servers") or {}).pop(target, None)
    if data.get("default") == target:
        data.pop("default")
    _write(config_dir, data)
    return target if found is not None else None


def _write(config_dir: Path, data: dict[str, Any]) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = config_dir / FILE_NAME
    atomic.write_text(path, json.dumps(data, indent=2), mode=0o600)
    return path
