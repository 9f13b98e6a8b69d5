"""App lockfiles: ``registry.toml`` (what an app wants) -> ``registry.lock`` (exactly which bytes).

``registry.toml``::

    [[model]]
    name = "yolov8"
    device = "sd8g3"        # any device name the registry knows
    precision = "int8"
    alias = "stable"        # or: version = "1.2.0", or digest = "sha256:..." (a version's content
                            # digest or a build digest); none of them means the latest release
    runtime = "onnx"        # optional

``registry.lock`` is JSON: for each requirement the resolved ``model@version``, build id, device, runtime,
target and every file's path, sha256 and size, the version's ``content_digest`` and the ``build_digest`` (which
``registry sync`` then pulls by), plus the sha256 of the requirements it was made from.
See docs/lockfiles.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from registry import atomic
from registry.errors import Conflict, InvalidInput, RegistryError

LOCK_VERSION = 1
REQUIREMENT_KEYS = ("name", "device", "precision", "version", "alias", "runtime", "digest")


def read_requirements(path: Path) -> list[dict[str, str | None]]:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(
            f"No requirements file at {path}.", hint="Write registry.toml (see docs/lockfiles.md)."
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: {exc}", hint="Fix the TOML syntax (see docs/lockfiles.md).") from exc
    models = data.get("model")
    if not isinstance(models, list) or not models:
        raise InvalidInput(
            f"{path.name} lists no models.",
            hint="Add one [[model]] table per model: name, device, precision, and version or alias.",
        )
    out: list[dict[str, str | None]] = []
    for i, entry in enumerate(models, 1):
        where = f"{path.name}: model #{i}"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where} is not a table.", hint="Use [[model]] tables.")
        unknown = sorted(set(entry) - set(REQUIREMENT_KEYS))
        if unknown:
            raise InvalidInput(
                f"{where}: unknown key(s) {', '.join(unknown)}.", hint=f"Keys: {', '.join(REQUIREMENT_KEYS)}."
            )
        for key in ("name", "device", "precision"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise InvalidInput(
                    f"{where}: '{key}' is required (a string).", hint="See docs/lockfiles.md for the format."
                )
        if sum(1 for k in ("version", "alias", "digest") if entry.get(k)) > 1:
            raise InvalidInput(
                f"{where} ({entry['name']}): give one of version, alias or digest.", hint="Keep one of the keys."
            )
        req = {k: (str(entry[k]).strip() if entry.get(k) is not None else None) for k in REQUIREMENT_KEYS}
        if req["digest"] is None:
            del req["digest"]  # requirements without a digest keep the digest (and lock) they always had
        out.append(req)
    seen: set[tuple[str | None, ...]] = set()
    for r in out:
        ident = (r["name"], r["device"], r["precision"], r["runtime"])
        if ident in seen:
            raise InvalidInput(
                f"{path.name}: {r['name']} for {r['device']}/{r['precision']} is listed twice.",
                hint="Keep one entry per (model, device, precision, runtime).",
            )
        seen.add(ident)
    return out


def requirements_digest(reqs: list[dict[str, str | None]]) -> str:
    return hashlib.sha256(json.dumps(reqs, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def lock_entry(req: dict[str, str | None], resolution: dict[str, Any]) -> dict[str, Any]:
    build = resolution["build"]
    return {
        "ref": f"{resolution['model']}@{resolution['version']}",
        "request": req,
        "model": resolution["model"],
        "version": resolution["version"],
        "device": resolution["device"],
        "device_slug": resolution["device_slug"],
        "precision": resolution["precision"],
        "runtime": resolution["runtime"],
        "target": resolution["target"],
        "build": build["id"],
        "files": [{"path": f["path"], "sha256": f["sha256"], "size": f["size"]} for f in build["files"]],
        **{k: resolution[k] for k in ("content_digest", "build_digest") if resolution.get(k)},
    }


def pinned_version(entry: dict[str, Any]) -> str:
    """What ``registry sync`` asks for: the build digest when the lock has one (a pin by content alone)."""
    return f"sha256:{entry['build_digest']}" if entry.get("build_digest") else str(entry["version"])


def make_lock(reqs: list[dict[str, str | None]], resolve: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """``resolve(model, device, precision, runtime, version, alias)`` -> the resolution as JSON."""
    entries = []
    for r in reqs:
        version = r.get("digest") or r["version"]  # a digest pin travels as the version (MODEL@sha256:...)
        res = resolve(r["name"], r["device"], r["precision"], r["runtime"], version, r["alias"])
        entries.append(lock_entry(r, res))
    return {"lock_version": LOCK_VERSION, "requirements_sha256": requirements_digest(reqs), "models": entries}


def write_lock(path: Path, lock: dict[str, Any]) -> None:
    atomic.write_text(path, json.dumps(lock, indent=2) + "\n")


def read_lock(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"No lockfile at {path}.", hint="Run `registry lock` first.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name} is not valid JSON: {exc}", hint="Re-create it with `registry lock`.") from exc
    if data.get("lock_version") != LOCK_VERSION or not isinstance(data.get("models"), list):
        raise InvalidInput(
            f"{path.name} is not a registry lockfile (version {LOCK_VERSION}).", hint="Run `registry lock`."
        )
    return data


def differences(locked: dict[str, Any], resolution: dict[str, Any]) -> list[str]:
    """What differs between a lock entry and what the registry answers now (empty when identical)."""
    now = lock_entry(locked["request"], resolution)
    out = []
    for key in ("version", "precision", "runtime", "target", "build", "build_digest"):
        if key in locked and now.get(key) != locked[key]:
            out.append(f"{key} {locked[key]} -> {now[key]}")
    if now["files"] != locked["files"]:
        was = {(f["path"], f["sha256"], f["size"]) for f in locked["files"]}
        got = {(f["path"], f["sha256"], f["size"]) for f in now["files"]}
        for path, sha, size in sorted(was - got):
            out.append(f"file {path} (sha256 {sha[:12]}, {size} bytes) is not what the registry serves")
        for path, sha, size in sorted(got - was):
            out.append(f"the registry serves {path} (sha256 {sha[:12]}, {size} bytes), not in the lock")
    return out


def mismatch(what: str, problems: list[str], hint: str) -> RegistryError:
    return Conflict(f"{what}: " + "; ".join(problems), hint=hint)
