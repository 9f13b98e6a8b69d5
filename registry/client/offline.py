"""Answering a pull from the cache alone (``REGISTRY_OFFLINE=1``) with the rules an online resolve follows.

Any spelling of the device resolves (slug, chipset, SoC part, marketing or phone name) through the device catalog
shipped with the package, falling back to the names recorded in cached answers for devices it does not know. A
model may be asked for by another name the server resolved before (kept under ``{cache}/.names/``). Among the
cached builds that answer the request, the version is the pinned one, the alias's, or the highest active release;
then a chipset-specific build for that device wins over a portable one, and portable runtimes go in the order
onnx, tflite, qnn_dlc (``registry.service.resolve``'s order; a test keeps the two equal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry import atomic
from registry.client.cache import Cache
from registry.errors import RegistryError
from registry.vocab import (
    ACTIVE,
    CHIPSET_RUNTIME_PREFERENCE,
    PORTABLE_RUNTIME_PREFERENCE,
    PORTABLE_TARGET,
    SemVer,
    normalize_name,
    normalize_precision,
    normalize_runtime,
)


def remember_name(cache: Cache, requested: str, slug: str) -> None:
    """Record that ``requested`` named the model ``slug`` (a family name such as ``yolov8``), for offline pulls."""
    key = requested.strip().lower()
    if key == slug or not key or "/" in key or key.startswith("."):
        return
    folder = cache.root / ".names"
    folder.mkdir(parents=True, exist_ok=True)
    atomic.write_text(folder / key, slug)


def model_slug(cache: Cache, requested: str) -> str:
    key = requested.strip().lower()
    try:
        return (cache.root / ".names" / key).read_text().strip() or key
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, OSError):
        return key


def resolve_cached(
    cache: Cache,
    model: str,
    device: str,
    precision: str,
    runtime: str | None,
    version: str | None,
    alias: str | None,
) -> dict[str, Any] | None:
    """The resolution (as the API's JSON) a cached build gives for this request, or None."""
    slug = model_slug(cache, model)
    model_dir = cache.model_dir(slug)
    want_precision = normalize_precision(precision)
    want_runtime = normalize_runtime(runtime) if runtime else None
    answers = _device_matcher(device)
    digest = version[len("sha256:") :].lower() if version and version.lower().startswith("sha256:") else None
    if digest is not None:  # a digest pin: the version (or build) whose recorded digest it is
        version = None
    for v in _versions(cache, model_dir, slug, version, alias):
        found = []
        for res_file in sorted((model_dir / "snapshots" / v).glob("*/.resolution.json")):
            data = cache.read_resolution(res_file.parent) or {}
            build = data.get("build") or {}
            if not data or data.get("precision") != want_precision:
                continue
            if want_runtime and data.get("runtime") != want_runtime:
                continue
            if not answers(data):
                continue
            if digest is not None and digest not in (data.get("content_digest"), data.get("build_digest")):
                continue
            if version is None and alias is None and digest is None and not _is_release(data):
                continue
            if all(cache.has_blob(data["model"], f["sha256"], f["size"]) for f in build.get("files", [])):
                found.append(data)
        if found:
            best = min(found, key=lambda d: rank(d["target"], d["runtime"]))
            return _for_request(best, device, model)
    return None


def rank(target: str, runtime: str) -> tuple[int, int]:
    order = CHIPSET_RUNTIME_PREFERENCE + PORTABLE_RUNTIME_PREFERENCE
    return (0 if target != PORTABLE_TARGET else 1, order.index(runtime) if runtime in order else len(order))


def _device_matcher(device: str) -> Callable[[dict[str, Any]], bool]:
    """Does a cached answer fit this device: a build for its chipset, or a portable build."""
    spec = _device_spec(device)
    if spec is not None:
        return lambda d: d.get("target") in (spec[0], PORTABLE_TARGET)
    key = normalize_name(device)
    return lambda d: key in (normalize_name(d.get("device", "")), normalize_name(d.get("device_slug", "")))


def _device_spec(device: str) -> tuple[str, str] | None:
    """(chipset, slug) from the device catalog shipped with the package, or None for a name it does not know."""
    try:
        from registry.devices.lookup import resolve_device_spec

        spec = resolve_device_spec(device)
    except (RegistryError, ImportError):
        return None
    return spec.chipset, spec.slug


def _versions(cache: Cache, model_dir: Path, slug: str, version: str | None, alias: str | None) -> list[str]:
    if alias and alias != "latest":
        pinned = cache.read_ref(slug, alias.strip().lower())
        return [pinned] if pinned else []
    if version:
        try:
            return [str(SemVer.parse(version))]
        except RegistryError:
            return [version]
    found = [p.name for p in (model_dir / "snapshots").glob("*") if p.is_dir()]
    return sorted(found, key=_semver_key, reverse=True)


def _semver_key(v: str) -> tuple[int, Any]:
    try:
        return (1, SemVer.parse(v).sort_key())
    except RegistryError:
        return (0, v)


def _is_release(data: dict[str, Any]) -> bool:
    """What 'latest' may be online: an active version that is not a prerelease."""
    try:
        prerelease = bool(SemVer.parse(str(data.get("version"))).prerelease)
    except RegistryError:
        return False
    return data.get("version_status", ACTIVE) == ACTIVE and not prerelease


def _for_request(data: dict[str, Any], device: str, requested_model: str) -> dict[str, Any]:
    """The cached answer restated for this request's device (a portable build answers every device)."""
    out: dict[str, Any] = json.loads(json.dumps(data))
    spec = _device_spec(device)
    if spec is not None:
        out["device"], out["device_slug"] = spec
    key = requested_model.strip().lower()
    notices = [n for n in out.get("notices", []) if not n.startswith("'")]
    if key != out["model"]:
        notices.insert(0, f"'{key}' is a name of {out['model']}: using {out['model']}.")
    out["notices"] = notices
    return out
