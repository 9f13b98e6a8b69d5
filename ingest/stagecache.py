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

    def run(self, stage: str, key: str, work: Callable[[Path], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """The cached result of (stage, key), or ``work(out_dir)``'s, stored. Returns (result, was_cached)."""
        out = self.root / stage / key
        done = out / "done.json"
        if done.exists():
            return json.loads(done.read_text()), True
        if out.exists():
            shutil.rmtree(out)  # an interrupted earlier attempt
        out.mkdir(parents=True)
        result = work(out)
        done.write_text(json.dumps(result, default=str))
        return result, False
