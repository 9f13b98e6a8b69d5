"""Helpers to write publish directories for tests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml


def model_card(slug: str = "tinynet", **extra: Any) -> dict[str, Any]:
    card = {
        "slug": slug,
        "name": slug.title(),
        "task": "classification",
        "domain": "computer-vision",
        "license": "apache-2.0",
        "weights": "random",
        "description": f"{slug} for tests",
    }
    card.update(extra)
    return card


def write_publish_dir(
    root: Path,
    *,
    slug: str = "tinynet",
    version: str = "1.0.0",
    builds: list[dict[str, Any]] | None = None,
    seed: bytes = b"",
    declare_digests: bool = True,
    card: dict[str, Any] | None = None,
) -> Path:
    """A directory with one file per build (random bytes) and a manifest.yaml describing them."""
    root.mkdir(parents=True, exist_ok=True)
    builds = builds or [
        {"precision": "float", "runtime": "onnx"},
        {"precision": "w8a8", "runtime": "onnx"},
    ]
    entries = []
    for i, b in enumerate(builds):
        files = []
        names = b.get("file_names") or [f"{b['precision']}-{b['runtime']}-{b.get('target', 'any')}/model.bin"]
        for name in names:
            data = b.get("data") or hashlib.sha256(seed + f"{slug}{version}{i}{name}".encode()).digest() * 64
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            f: dict[str, Any] = {"path": name}
            if declare_digests:
                f.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            files.append(f)
        entry = {k: v for k, v in b.items() if k not in ("file_names", "data")}
        entry.setdefault("target", "any")
        entry["files"] = files
        entries.append(entry)
    manifest = {"model": card or model_card(slug), "version": version, "builds": entries}
    (root / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def rewrite_manifest(root: Path, mutate: Any) -> None:
    data = yaml.safe_load((root / "manifest.yaml").read_text())
    mutate(data)
    (root / "manifest.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def cli_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(extra)
    return env
