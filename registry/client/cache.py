"""The local download cache, laid out like huggingface_hub's so it can be read with ``ls``::

    {cache}/models--{model}/blobs/{sha256}                      the bytes, once
    {cache}/models--{model}/refs/{alias}                        the version an alias last resolved to
    {cache}/models--{model}/snapshots/{version}/{build}/{path}  symlinks into blobs/
    {cache}/models--{model}/snapshots/{version}/{build}/.resolution.json

``{build}`` is ``{precision}-{runtime}-{target}``. A blob appears under ``blobs/`` only after its size and
sha256 were checked (temp file + rename). It is then made read-only and stamped (``blobs/.stamps/{sha256}``:
size, mtime, ctime, inode, device, see ``registry.filestamp``); a blob whose stamp no longer matches is hashed
again before it is served, and removed when its bytes changed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from registry import atomic, filestamp
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

    def stamp_path(self, model: str, sha256: str) -> Path:
        return self.model_dir(model) / "blobs" / ".stamps" / check_sha256(sha256)

    def seal(self, model: str, sha256: str) -> None:
        """Make a just-verified blob read-only and record its stamp."""
        blob = self.blob_path(model, sha256)
        os.chmod(blob, 0o444)
        filestamp.write(self.stamp_path(model, sha256), blob)

    def stamp_ok(self, model: str, sha256: str, size: int) -> bool:
        """True when the blob is there and unchanged since it was last hashed (a stat and a small read)."""
        return filestamp.matches(self.stamp_path(model, sha256), self.blob_path(model, sha256), size)

    def check_blob(self, model: str, sha256: str, size: int) -> str:
        """``ok`` (stamp matches, or the bytes were hashed again and are right: re-stamped), ``missing``, or
        ``damaged`` (the bytes no longer hash to sha256: the blob was removed so it is never served)."""
        if self.stamp_ok(model, sha256, size):
            return "ok"
        blob = self.blob_path(model, sha256)
        try:
            from registry.hashing import sha256_file

            actual, actual_size = sha256_file(blob)
        except FileNotFoundError:
            return "missing"
        if actual == sha256 and actual_size == size:
            self.seal(model, sha256)
            return "ok"
        self.remove_blob(model, sha256)
        return "damaged"

    def remove_blob(self, model: str, sha256: str) -> None:
        self.stamp_path(model, sha256).unlink(missing_ok=True)
        self.blob_path(model, sha256).unlink(missing_ok=True)

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
        with atomic.replacing(link) as tmp:
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(target)
        return link

    def write_resolution(self, snapshot: Path, data: dict[str, Any]) -> None:
        snapshot.mkdir(parents=True, exist_ok=True)
        atomic.write_text(snapshot / ".resolution.json", json.dumps(data, indent=1, sort_keys=True, default=str))

    def read_resolution(self, snapshot: Path) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((snapshot / ".resolution.json").read_text())
            return data
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write_ref(self, model: str, name: str, version: str) -> None:
        refs = self.model_dir(model) / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        atomic.write_text(refs / safe_relative_path(name), version)

    def read_ref(self, model: str, name: str) -> str | None:
        try:
            return (self.model_dir(model) / "refs" / safe_relative_path(name)).read_text().strip() or None
        except FileNotFoundError:
            return None
