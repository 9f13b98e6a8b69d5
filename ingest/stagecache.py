"""Content-addressed stage cache: a stage's output lives under ``{root}/{stage}/{key}/`` and is reused when
the key (source digests + options + tool versions) is the same. A ``done.json`` written last marks it whole,
so an interrupted run redoes only the stage it was in."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from registry import atomic
from registry.hashing import sha256_file


@cache
def tool_versions() -> dict[str, str]:
    """Versions of the tools whose output a stage depends on (part of every key)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("onnx", "onnxruntime", "onnxconverter-common", "edge-model-registry"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def stage_key(stage: str, **parts: Any) -> str:
    blob = json.dumps({"stage": stage, "tools": tool_versions(), **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def file_digest(path: Path) -> str:
    return sha256_file(path)[0]


class StageCache:
    def __init__(self, root: Path):
        self.root = root

    def cached(self, stage: str, key: str) -> dict[str, Any] | None:
        """The stored result of (stage, key); None when there is none or its ``done.json`` cannot be read (a
        write cut short by a crash or a full disk), so the stage is simply done again."""
        try:
            result: dict[str, Any] = json.loads((self.root / stage / key / "done.json").read_text())
        except (OSError, ValueError):
            return None
        return result

    def run(self, stage: str, key: str, work: Callable[[Path], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """The cached result of (stage, key), or ``work(out_dir)``'s, stored. Returns (result, was_cached)."""
        found = self.cached(stage, key)
        if found is not None:
            return found, True
        out = self.root / stage / key
        if out.exists():
            shutil.rmtree(out)  # an interrupted earlier attempt
        out.mkdir(parents=True)
        result = work(out)
        atomic.write_text(out / "done.json", json.dumps(result, default=str))  # a done.json is always whole
        return result, False
