"""The blob store interface: bytes addressed by sha256, written once, verified, never half-visible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from registry.errors import InvalidInput

CHUNK_SIZE = 4 * 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


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

    def copy_to(self, sha256: str, dest: Path, *, verify: bool = True) -> None:
        """Write the blob to ``dest`` atomically (temp file + rename), verifying the digest on the way."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """The file holding the blob when the store is on local disk, else None."""
        ...

    def presigned_url(self, sha256: str, *, expires_seconds: int = 300) -> str | None:
        """A short-lived direct download URL when the store has one (S3), else None."""
        ...
