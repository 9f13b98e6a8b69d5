"""Content digests users can pin: a version's ``content_digest`` and a build's digest, both ``sha256:<hex>``.

A version's content digest is stored at publish time (``registry.service.publish.content_digest``). A build's
digest is computed the same way over the build's own files: sha256 over the sorted
``[precision, runtime, target, path, sha256, size]`` rows, so it changes exactly when one of its bytes does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import InvalidInput, VersionNotFound
from registry.models import Build, BuildFile, Model, Version

DIGEST_PREFIX = "sha256:"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def is_digest_ref(ref: str | None) -> bool:
    """True for ``sha256:<hex>`` (a digest pin), as opposed to a semantic version."""
    return bool(ref) and str(ref).strip().lower().startswith(DIGEST_PREFIX)


def parse_digest(ref: str) -> str:
    """``sha256:<64 hex>`` -> the hex digest; anything else is a clear error."""
    hex_part = ref.strip().lower().removeprefix(DIGEST_PREFIX)
    if not _HEX64.match(hex_part):
        raise InvalidInput(
            f"'{ref}' is not a content digest.",
            hint="A digest pin is sha256: followed by 64 hex digits (`registry show MODEL --json` lists them).",
        )
    return hex_part


def build_digest(precision: str, runtime: str, target: str, files: list[tuple[str, str, int]]) -> str:
    """The identity of one build's bytes, from its (path, sha256, size) files."""
    rows = sorted([precision, runtime, target, path, sha, size] for path, sha, size in files)
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def build_digests(session: Session, version_ids: list[int]) -> dict[int, str]:
    """Build id -> build digest for every build of these versions (one query for the files)."""
    builds = list(session.scalars(select(Build).where(Build.version_id.in_(version_ids))))
    files: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    if builds:
        rows = session.execute(
            select(BuildFile.build_id, BuildFile.path, BuildFile.blob_sha256, BuildFile.size).where(
                BuildFile.build_id.in_([b.id for b in builds])
            )
        )
        for build_id, path, sha, size in rows:
            files[build_id].append((path, sha, size))
    return {b.id: build_digest(b.precision, b.runtime, b.target, files[b.id]) for b in builds}


@dataclass(frozen=True)
class DigestMatch:
    version: Version
    build_id: int | None  # set when the digest named one build rather than the whole version


def find_by_digest(session: Session, model: Model, ref: str) -> DigestMatch:
    """The version of ``model`` whose content digest is ``ref``, or the build whose build digest is."""
    digest = parse_digest(ref)
    versions = list(session.scalars(select(Version).where(Version.model_id == model.id)))
    for v in versions:
        if v.content_digest == digest:
            return DigestMatch(v, None)
    by_build = build_digests(session, [v.id for v in versions])
    for build_id, d in by_build.items():
        if d == digest:
            version_id = session.scalars(select(Build.version_id).where(Build.id == build_id)).one()
            return DigestMatch(next(v for v in versions if v.id == version_id), build_id)
    raise VersionNotFound(
        f"{model.slug} has no version or build with digest sha256:{digest[:12]}...",
        hint=f"`registry show {model.slug} --json` lists each version's content_digest.",
    )
