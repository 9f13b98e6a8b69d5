"""The catalog seen as Hugging Face model repositories (what ``registry.api.routes.hf`` serves).

repo = model; revision = a version (``1.2.0``), an alias (``stable``), ``main`` (the latest release), a
content digest (``sha256:...``) or the 40-hex commit this module derives from a version. Each build's files
appear as ``{precision}/{runtime}/{target}/{path}``, beside a generated ``README.md`` model card and a
``config.json`` holding the version's builds with every figure and its provenance.

The commit is ``sha256(model@version:content_digest)[:40]``: it changes exactly when the bytes do. Files are
LFS-style entries (``lfs.oid`` = sha256) whose git oid is that of their LFS pointer, as on the Hub.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from registry.entities import BuildInfo, ModelDetail
from registry.errors import NotFound, VersionNotFound
from registry.service import lookup
from registry.service.catalog import show_model
from registry.service.digests import find_by_digest, is_digest_ref
from registry.vocab import YANKED

MAIN = "main"
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


class EntryNotFound(NotFound):
    code = "entry_not_found"


@dataclass(frozen=True)
class HfFile:
    path: str
    sha256: str
    size: int
    content: bytes | None = None  # generated files (README.md, config.json); None for blobs in the store

    @property
    def is_lfs(self) -> bool:
        return self.content is None

    @property
    def oid(self) -> str:
        """The git blob id: of the bytes for generated files, of the LFS pointer for stored blobs."""
        data = self.content if self.content is not None else _lfs_pointer(self.sha256, self.size)
        return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class HfRevision:
    repo: str
    version: str
    commit: str
    detail: ModelDetail
    files: dict[str, HfFile] = field(default_factory=dict)


def commit_of(model: str, version: str, content_digest: str) -> str:
    return hashlib.sha256(f"{model}@{version}:{content_digest}".encode()).hexdigest()[:40]


def hf_path(build: BuildInfo, path: str) -> str:
    return f"{build.precision}/{build.runtime}/{build.target}/{path}"


def revision(session: Session, repo: str, rev: str = MAIN) -> HfRevision:
    """The files of ``repo`` at ``rev``. Unknown model: ModelNotFound; unknown revision: VersionNotFound."""
    model = lookup.get_model(session, repo)
    version = _pick(session, model, rev.strip())
    detail = show_model(session, model.slug, version)
    assert detail.version is not None
    commit = commit_of(model.slug, version, detail.version.content_digest)
    files: dict[str, HfFile] = {}
    for build in detail.builds:
        for f in build.files:
            files[hf_path(build, f.path)] = HfFile(hf_path(build, f.path), f.sha256, f.size)
    for name, content in (("README.md", model_card(detail, commit)), ("config.json", config_json(detail))):
        files[name] = HfFile(name, hashlib.sha256(content).hexdigest(), len(content), content)
    return HfRevision(model.slug, version, commit, detail, dict(sorted(files.items())))


def _pick(session: Session, model: Any, rev: str) -> str:
    versions = lookup.versions_of(session, model)
    if rev == MAIN:
        latest = lookup.latest_version(versions)
        if latest is None:
            raise VersionNotFound(
                f"{model.slug} has no active release for 'main'.", hint=lookup.describe_versions(versions)
            )
        return latest.version
    if _COMMIT_RE.match(rev):
        for v in versions:
            if commit_of(model.slug, v.version, v.content_digest) == rev:
                return v.version
        raise VersionNotFound(f"{model.slug} has no commit {rev}.", hint=lookup.describe_versions(versions))
    if is_digest_ref(rev):
        return find_by_digest(session, model, rev).version.version
    aliases = lookup.aliases_by_version(session, model)
    for v in versions:
        if rev.lower() in aliases.get(v.id, []):
            if v.status == YANKED:
                raise VersionNotFound(f"Alias '{rev}' of {model.slug} points at {v.version}, which is yanked.")
            return v.version
    return lookup.get_version(session, model, rev.removeprefix("v")).version


def entry(rev: HfRevision, path: str) -> HfFile:
    f = rev.files.get(path)
    if f is None:
        raise EntryNotFound(f"{rev.repo}@{rev.version} has no file '{path}'.", hint="GET /api/models/{repo}/tree/{rev}")
    return f


def model_info_json(rev: HfRevision) -> dict[str, Any]:
    """The ``/api/models/{repo}/revision/{rev}`` answer huggingface_hub's ``model_info``/``repo_info`` parse."""
    m, v = rev.detail.model, rev.detail.version
    assert v is not None
    created = _iso(v.created_at)
    return {
        "_id": rev.commit,
        "id": rev.repo,
        "modelId": rev.repo,
        "author": "edge-model-registry",
        "sha": rev.commit,
        "lastModified": created,
        "createdAt": created,
        "private": False,
        "gated": False,
        "disabled": False,
        "library_name": "edge-model-registry",
        "pipeline_tag": m.task,
        "tags": sorted({m.task, m.domain, f"license:{m.license}", "edge-model-registry"}),
        "cardData": {"license": m.license, "tags": [m.task, m.domain], "version": v.version},
        "siblings": [{"rfilename": f.path, "size": f.size} for f in rev.files.values()],
        "registry": {"version": v.version, "status": v.status, "content_digest": f"sha256:{v.content_digest}"},
    }


def tree_json(rev: HfRevision, prefix: str = "", recursive: bool = False) -> list[dict[str, Any]]:
    """``/api/models/{repo}/tree/{rev}[/{path}]``: files (and folders) under ``prefix``."""
    prefix = prefix.strip("/")
    base = f"{prefix}/" if prefix else ""
    out: dict[str, dict[str, Any]] = {}
    for f in rev.files.values():
        if not f.path.startswith(base):
            continue
        rest = f.path[len(base) :]
        if "/" in rest and not recursive:
            folder = base + rest.split("/", 1)[0]
            out.setdefault(folder, {"type": "directory", "oid": _folder_oid(rev, folder), "size": 0, "path": folder})
            continue
        if recursive:
            parts = rest.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                folder = base + "/".join(parts[:i])
                out.setdefault(
                    folder, {"type": "directory", "oid": _folder_oid(rev, folder), "size": 0, "path": folder}
                )
        item: dict[str, Any] = {"type": "file", "oid": f.oid, "size": f.size, "path": f.path}
        if f.is_lfs:
            item["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": len(_lfs_pointer(f.sha256, f.size))}
        out[f.path] = item
    if prefix and not out:
        raise EntryNotFound(f"{rev.repo}@{rev.version} has no folder '{prefix}'.")
    return [out[k] for k in sorted(out)]


def model_card(detail: ModelDetail, commit: str) -> bytes:
    """A README.md with Hub front matter, the builds and every figure with its provenance."""
    m, v = detail.model, detail.version
    assert v is not None
    lines = [
        "---",
        f"license: {m.license}",
        "library_name: edge-model-registry",
        f"pipeline_tag: {m.task}",
        "tags:",
        f"- {m.task}",
        f"- {m.domain}",
        "---",
        "",
        f"# {m.name} ({m.slug}@{v.version})",
        "",
        m.description or "",
        "",
        f"- status: {v.status}" + (f" ({v.status_reason})" if v.status_reason else ""),
        f"- content digest: `sha256:{v.content_digest}`",
        f"- commit: `{commit}`",
        f"- weights: {m.weights}" + (f"; upstream: {m.source_url}" if m.source_url else ""),
        "",
        "## Builds",
        "",
        "| folder | files | size (bytes) |",
        "|---|---|---|",
    ]
    for b in detail.builds:
        lines.append(f"| `{b.precision}/{b.runtime}/{b.target}/` | {len(b.files)} | {b.size} |")
    lines += [
        "",
        "## Figures",
        "",
        "| build | kind | figure | value | provenance | source |",
        "|---|---|---|---|---|---|",
    ]
    for b in detail.builds:
        folder = f"{b.precision}/{b.runtime}/{b.target}"
        for bm in b.benchmarks:
            where = bm.device_slug or bm.device or "host"
            lines.append(f"| {folder} | latency on {where} | ms | {bm.latency_ms} | {bm.provenance} | {bm.source} |")
        for e in b.evaluations:
            lines.append(
                f"| {folder} | {e.kind} on {e.dataset} | {e.metric} | {e.value} | {e.provenance} | {e.source} |"
            )
    lines += ["", "Generated by Edge Model Registry from its catalog; `config.json` has the same data as JSON.", ""]
    return "\n".join(lines).encode()


def config_json(detail: ModelDetail) -> bytes:
    """The version as JSON: model, version, builds (files, benchmarks, evaluations with provenance)."""
    v = detail.version
    assert v is not None
    data = {
        "registry": "edge-model-registry",
        "model": detail.model.model_dump(mode="json", exclude={"latest_version", "aliases"}),
        "version": v.version,
        "content_digest": f"sha256:{v.content_digest}",
        "builds": [
            {
                "folder": f"{b.precision}/{b.runtime}/{b.target}",
                **b.model_dump(mode="json", exclude={"id", "created_at", "mlflow_model_name", "mlflow_model_version"}),
            }
            for b in detail.builds
        ],
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _folder_oid(rev: HfRevision, folder: str) -> str:
    return hashlib.sha1(f"{rev.commit}:{folder}".encode(), usedforsecurity=False).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z") if value else None
