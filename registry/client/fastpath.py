"""Warm pulls from the local catalog without opening it.

A pull request (model, device, precision, runtime, version | alias | latest) and its answer are kept in the
cache, stamped with the identity of the SQLite catalog's files (size and mtime of the database and its
write-ahead log). Every write to the catalog changes the stamp, so a stale answer is never used; an
unchanged stamp means the database would answer the same. This keeps SQLAlchemy (a quarter second of
imports) off the path of a repeated ``registry pull``. Other databases always take the full path.
Each file an answer names must still carry the verification stamp taken when its bytes were hashed
(``registry.filestamp``); otherwise the full path runs, which hashes the file again and repairs it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from registry import atomic, filestamp
from registry.vocab import normalize_name


def catalog_stamp(database_url: str) -> str | None:
    """The identity of a SQLite catalog's files, or None when there is no cheap identity."""
    if not database_url.startswith("sqlite:///"):
        return None
    db = Path(database_url.removeprefix("sqlite:///"))
    parts = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            st = path.stat()
        except FileNotFoundError:
            if path == db:
                return None
            parts.append("-")
            continue
        if path != db and st.st_size == 0:  # an empty WAL (a reader has the catalog open) holds no change
            parts.append("-")
            continue
        parts.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def request_key(
    source: str,
    model: str,
    device: str,
    precision: str,
    runtime: str | None,
    version: str | None,
    alias: str | None,
    constraints: str = "",
) -> str:
    """``constraints``: ``registry.compat.constraint_text`` of the runtime versions a pull stated (if any)."""
    parts = [
        source,
        model.strip().lower(),
        normalize_name(device),
        precision.strip().lower(),
        (runtime or "").lower(),
        version or "",
        alias or "",
    ]
    raw = json.dumps([*parts, constraints] if constraints else parts)
    return hashlib.sha256(raw.encode()).hexdigest()


def _path(cache_root: Path, key: str) -> Path:
    return cache_root / ".resolutions" / f"{key}.json"


def load(cache_root: Path, key: str, stamp: str) -> dict[str, Any] | None:
    """The cached answer when its stamp still matches and every file it names is still in the cache."""
    try:
        entry: dict[str, Any] = json.loads(_path(cache_root, key).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if entry.get("stamp") != stamp:
        return None
    for f in entry.get("files", []):
        try:
            blob = Path(os.path.realpath(f["path"]))
            if not filestamp.matches(blob.parent / ".stamps" / blob.name, blob, f["size"]):
                return None  # changed since it was hashed: the full path hashes it again (and repairs it)
        except (OSError, KeyError, TypeError):
            return None
    try:
        os.utime(_path(cache_root, key))  # last used now: `registry cache prune` keeps what recent pulls need
    except OSError:
        pass
    entry.pop("stamp")  # the cache's key, not part of the answer: `pull --json` prints the same keys warm or cold
    return entry


def save(cache_root: Path, key: str, stamp: str, result: dict[str, Any]) -> None:
    path = _path(cache_root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps({**result, "stamp": stamp}))
