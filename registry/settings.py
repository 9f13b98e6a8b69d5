"""One settings object for the whole registry, read from ``REGISTRY_*`` environment variables.

Built at call time (``get_settings()``), never at import, so tests and CLI flags can change the
environment before anything reads it. A plain typed dataclass with its own small env parser: it is on
the path of every command, and ``registry pull`` has to start fast.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import InvalidInput

APP_NAME = "edge-model-registry"
ENV_PREFIX = "REGISTRY_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _default_home() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def _default_cache() -> Path:
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME)


@dataclass(frozen=True)
class Settings:
    """Every knob of the registry; each field ``name`` is read from ``REGISTRY_<NAME>``."""

    home: Path = field(default_factory=_default_home)  # data dir of the embedded catalog
    database_url: str | None = None  # SQLAlchemy URL; default: SQLite (WAL) in the data dir
    store_url: str | None = None  # file:///path or s3://bucket/prefix; default: the data dir
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str = "us-east-1"
    s3_presign_seconds: int = 300

    cache_dir: Path = field(default_factory=_default_cache)  # client download cache
    url: str | None = None  # a remote registry API; the local catalog if unset
    token: str | None = None
    offline: bool = False
    public_read: bool = True
    max_upload_bytes: int = 20 * 1024**3
    leftover_grace_seconds: int = 3600  # temp files, upload spools, S3 multipart uploads older than this: removed
    gc_grace_seconds: int = 3600  # `registry gc` deletes unreferenced blobs stored longer ago than this
    max_json_bytes: int = 16 * 1024**2  # any request body but a blob upload (a manifest is 90-450 kB)
    header_timeout: int = 10  # seconds from connecting (or the first byte of a request) to its last header
    body_timeout: int = 30  # seconds a request body may go without a byte arriving
    min_body_rate: int = 16 * 1024  # bytes/s a body must average once it has run longer than body_timeout
    keepalive_timeout: int = 5  # seconds an idle keep-alive connection stays open

    mlflow_uri: str | None = None
    qaihub_token: str | None = None  # Qualcomm AI Hub; else qai-hub's own ~/.qai_hub/client.ini
    qaihub_api_url: str | None = None
    debug: bool = False
    # Signed provenance (docs/distribution.md): public keys trusted besides your own, comma-separated
    # ("ed25519:<base64>" or paths to .pub files); the key the server signs published versions with.
    trusted_keys: str | None = None
    signing_key: str | None = None
    config_dir: Path | None = None  # where `registry login` saves servers and tokens; default: the user config dir
    s3_public_endpoint_url: str | None = None  # host:port clients use in presigned URLs (if not s3_endpoint_url)
    s3_proxy: bool = False  # stream S3 blobs through the API instead of redirecting (clients cannot reach S3)
    workers: int = 1  # `registry serve` worker processes
    access_log: bool = True  # `registry serve`: one JSON line per request on stderr

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'catalog.db'}"

    @property
    def resolved_store_url(self) -> str:
        if self.store_url:
            return self.store_url
        return (self.home / "blobs").resolve().as_uri()

    def model_copy(self, *, update: dict[str, Any]) -> Settings:
        return dataclasses.replace(self, **update)


def _parse(name: str, raw: str, annotation: Any) -> Any:
    kinds = set(typing.get_args(annotation)) - {type(None)} if _is_union(annotation) else {annotation}
    kind = next(iter(kinds))
    if kind is bool:
        low = raw.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
    elif kind is int:
        try:
            return int(raw)
        except ValueError:
            pass
    elif kind is Path:
        return Path(raw).expanduser()
    else:
        return raw if raw != "" or type(None) not in typing.get_args(annotation) else None
    raise InvalidInput(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}.")


def _is_union(annotation: Any) -> bool:
    return isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union


def get_settings(**overrides: Any) -> Settings:
    """Build the settings now, from the environment, with explicit overrides on top."""
    hints = typing.get_type_hints(Settings)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = os.environ.get(f"{ENV_PREFIX}{f.name.upper()}")
        if raw is not None:
            values[f.name] = _parse(f.name, raw, hints[f.name])
    unknown = set(overrides) - set(hints)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    values.update(overrides)
    _saved_login(values)
    return Settings(**values)


def _saved_login(values: dict[str, Any]) -> None:
    """Fill ``url`` (the saved default server) and ``token`` (saved for that URL) from ``registry login``."""
    if values.get("url") and values.get("token"):
        return
    from registry import credentials

    config_dir = values.get("config_dir") or credentials.default_config_dir()
    url, entry = credentials.saved_server(config_dir, values.get("url"))
    if url and not values.get("url"):
        values["url"] = url
    if entry.get("token") and not values.get("token"):
        values["token"] = entry["token"]


def settings_fields() -> list[str]:
    """The environment variable of every setting (docs and the docker-compose check use this)."""
    return [f"{ENV_PREFIX}{f.name.upper()}" for f in dataclasses.fields(Settings)]
