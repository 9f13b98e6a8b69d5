"""The blob store interface: bytes addressed by sha256, written once, verified, never half-visible."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol, runtime_checkable

from registry.errors import IntegrityFailure, InvalidInput

CHUNK_SIZE = 4 * 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# ok: intact; missing: never stored (or deleted); quarantined: found damaged earlier; damaged: found just now
BlobState = Literal["ok", "missing", "quarantined", "damaged"]


def check_sha256(value: str) -> str:
    """A lowercase hex sha256, or a clear error (digests also name files, so this guards paths too)."""
    if not SHA256_RE.match(value):
        raise InvalidInput(f"'{value[:80]}' is not a sha256 digest.", hint="Give 64 lowercase hex characters.")
    return value


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int
    created: bool  # False when the blob was already stored (deduplicated)


@runtime_checkable
class BlobStore(Protocol):
    """What every store implements. ``put_*`` hash while streaming, verify, then publish atomically."""

    url: str

    def put_file(self, path: Path, *, expected_sha256: str | None = None, expected_size: int | None = None) -> BlobInfo:
        """Store a local file. Raises IntegrityFailure when the bytes do not match what was declared."""
        ...

    def put_stream(
        self, stream: BinaryIO, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> BlobInfo:
        """Store bytes read from a stream until EOF. Same checks as ``put_file``; stores nothing on failure."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """The stored size; BlobNotFound when absent."""
        ...

    def open(self, sha256: str) -> AbstractContextManager[BinaryIO]:
        """A readable binary stream of the blob; BlobNotFound when absent."""
        ...

    def iter_range(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Chunks of bytes [start, end) (end exclusive, None = to the end)."""
        ...

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes; False when they no longer match their address."""
        ...

    def check(self, sha256: str) -> BlobState:
        """Is the stored copy intact? Cheap when its stamp (file identity; S3: ETag) is unchanged since it was
        hashed, else the bytes are hashed again. A damaged copy is quarantined and reported ``damaged``."""
        ...

    def quarantine(self, sha256: str) -> None:
        """Take a damaged blob out of service (the catalog's rows stay; storing the bytes again heals it)."""
        ...

    def iter_blobs(self) -> Iterator[tuple[str, int, float]]:
        """Every stored blob as (sha256, size, modification time as a Unix timestamp)."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove a blob (garbage collection of blobs no build references)."""
        ...

    def cleanup_temp(self, older_than_seconds: float = 3600, *, dry_run: bool = False) -> tuple[int, int]:
        """Remove what killed writers left (temp files; S3: incomplete multipart uploads): (items, bytes)."""
        ...

    def copy_to(self, sha256: str, dest: Path, *, verify: bool = True) -> None:
        """Write the blob to ``dest`` atomically (temp file + rename), verifying the digest on the way."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """The file holding the blob when the store is on local disk, else None."""
        ...

    def presigned_url(self, sha256: str, *, expires_seconds: int = 300) -> str | None:
        """A short-lived direct download URL when the store has one (S3), else None."""
        ...


def verify_chunks(chunks: Iterable[bytes], sha256: str) -> bool:
    """True when the bytes of ``chunks`` hash to ``sha256``."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest() == sha256


def write_verified(chunks: Iterable[bytes], sha256: str, dest: Path, *, verify: bool = True, where: str = "") -> None:
    """Write ``chunks`` to ``dest`` atomically (temp file + rename), refusing bytes that do not hash to sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    tmp = Path(name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                if verify:
                    digest.update(chunk)
                out.write(chunk)
        if verify and digest.hexdigest() != sha256:
            raise IntegrityFailure(
                f"Blob {sha256}{where} is corrupted (its bytes hash to {digest.hexdigest()}); it was not copied.",
                hint="Re-publish the version's files to repair the store.",
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
