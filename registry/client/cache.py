"""The local download cache, laid out like huggingface_hub's so it can be read with ``ls``::

    {cache}/models--{model}/blobs/{sha256}                      the bytes, once
    {cache}/models--{model}/refs/{alias}                        the version an alias last resolved to
    {cache}/models--{model}/snapshots/{version}/{build}/{path}  symlinks into blobs/
    {cache}/models--{model}/snapshots/{version}/{build}/.resolution.json

``{build}`` is ``{precision}-{runtime}-{target}``. A blob appears under ``blobs/`` only after its size and
sha256 were checked (temp file + rename).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from registry.errors import InvalidInput
from registry.paths import safe_relative_path
from registry.vocab import check_slug

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(value: str) -> str:
    """A lowercase hex sha256 (the same rule as the stores'; kept here so the cache imports no store code)."""
    if not _SHA256.match(value):
        raise InvalidInput(f"'{value[:80]}' is not a sha256 digest.", hint="Give 64 lowercase hex characters.")
    return value


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def model_dir(self, model: str) -> Path:
        return self.root / f"models--{check_slug(model)}"

    def blob_path(self, model: str, sha256: str) -> Path:
        return self.model_dir(model) / "blobs" / check_sha256(sha256)

    def temp_dir(self, model: str) -> Path:
        path = self.model_dir(model) / "blobs" / ".incomplete"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def snapshot_dir(self, model: str, version: str, precision: str, runtime: str, target: str) -> Path:
        build = safe_relative_path(f"{precision}-{runtime}-{target}")
        return self.model_dir(model) / "snapshots" / safe_relative_path(version) / build

    def has_blob(self, model: str, sha256: str, size: int) -> bool:
        try:
            return self.blob_path(model, sha256).stat().st_size == size
        except FileNotFoundError:
            return False

    def link(self, model: str, snapshot: Path, rel_path: str, sha256: str) -> Path:
        """Make ``snapshot/rel_path`` a relative symlink to the blob; returns the link path."""
        link = snapshot / safe_relative_path(rel_path)
        link.parent.mkdir(parents=True, exist_ok=True)
        target = os.path.relpath(self.blob_path(model, sha256), link.parent)
        if link.is_symlink() and os.readlink(link) == target:
            return link
        tmp = link.with_name(f".{link.name}.{_uniq()}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, link)
        return link

    def write_resolution(self, snapshot: Path, data: dict[str, Any]) -> None:
        snapshot.mkdir(parents=True, exist_ok=True)
        tmp = snapshot / f".resolution.json.{_uniq()}.tmp"
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))
        os.replace(tmp, snapshot / ".resolution.json")

    def read_resolution(self, snapshot: Path) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((snapshot / ".resolution.json").read_text())
            return data
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write_ref(self, model: str, name: str, version: str) -> None:
        refs = self.model_dir(model) / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        tmp = refs / f".{name}.{_uniq()}.tmp"
        tmp.write_text(version)
        os.replace(tmp, refs / safe_relative_path(name))

    def read_ref(self, model: str, name: str) -> str | None:
        try:
            return (self.model_dir(model) / "refs" / safe_relative_path(name)).read_text().strip() or None
        except FileNotFoundError:
            return None


def _uniq() -> str:
    """A temp-name suffix unique per process and thread (many threads may pull the same build)."""
    import threading

    return f"{os.getpid()}-{threading.get_ident()}"
