"""Blobs as files: ``{root}/sha256/ab/<digest>``, written to ``{root}/tmp`` then renamed into place."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

from registry.errors import BlobNotFound, IntegrityFailure, InvalidInput, StoreError
from registry.storage.base import CHUNK_SIZE, BlobInfo, check_sha256, verify_chunks, write_verified


class LocalStore:
    def __init__(self, root: Path):
        self.root = root
        self.url = root.as_uri()
        self._blobs = root / "sha256"
        self._tmp = root / "tmp"

    @classmethod
    def from_url(cls, url: str) -> LocalStore:
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            raise InvalidInput(f"'{url}' is not a local file URL.", hint="Use file:///absolute/path.")
        return cls(Path(unquote(parsed.path)))

    def _path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self._blobs / sha256[:2] / sha256

    def _tempfile(self) -> tuple[int, Path]:
        try:
            self._tmp.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        except OSError as exc:
            raise StoreError(
                f"Cannot write to the blob store at {self.root}: {exc}",
                hint="Check REGISTRY_STORE_URL / REGISTRY_HOME and the directory's permissions.",
            ) from exc
        return fd, Path(name)

    def put_file(self, path: Path, *, expected_sha256: str | None = None, expected_size: int | None = None) -> BlobInfo:
        """Copy and hash at once: the kernel copies (copy_file_range, no user-space copy) on one thread while
        this one reads and hashes the same pages, so a put costs about max(copy, hash), not their sum."""
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        with path.open("rb") as src:
            size = os.fstat(src.fileno()).st_size
            if expected_size is not None and size != expected_size:
                raise IntegrityFailure(f"'{path.name}' is {size} bytes, expected {expected_size}; nothing was stored.")
            if size < 8 * CHUNK_SIZE or not hasattr(os, "copy_file_range"):
                return self.put_stream(src, expected_sha256=expected_sha256, expected_size=expected_size)
            fd, tmp = self._tempfile()
            try:
                with os.fdopen(fd, "wb") as out, ThreadPoolExecutor(1) as pool:
                    copying = pool.submit(_kernel_copy, src.fileno(), out.fileno(), size)
                    sha = _hash_file(path)
                    copying.result()
                _check(sha, size, expected_sha256, expected_size)
                return self._publish_temp(tmp, sha, size)
            finally:
                tmp.unlink(missing_ok=True)

    def _publish_temp(self, tmp: Path, sha: str, size: int) -> BlobInfo:
        """Move a verified temp file to its address (or drop it when the blob is already there)."""
        final = self._path(sha)
        if final.exists() and final.stat().st_size == size:
            tmp.unlink()
            return BlobInfo(sha, size, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)
        return BlobInfo(sha, size, created=True)

    def put_stream(
        self, stream: BinaryIO, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> BlobInfo:
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        fd, tmp = self._tempfile()
        digest = hashlib.sha256()
        size = 0
        buf = bytearray(CHUNK_SIZE)
        view = memoryview(buf)
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                while True:
                    n = stream.readinto(view) if hasattr(stream, "readinto") else _read_into(stream, view)
                    if not n:
                        break
                    chunk = view[:n]
                    digest.update(chunk)
                    out.write(chunk)
                    size += n
                    if expected_size is not None and size > expected_size:
                        raise IntegrityFailure(f"More than the declared {expected_size} bytes; nothing stored.")
            sha = digest.hexdigest()
            _check(sha, size, expected_sha256, expected_size)
            return self._publish_temp(tmp, sha, size)
        finally:
            tmp.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(f"Blob {sha256} is not in the store.") from None

    def open(self, sha256: str) -> AbstractContextManager[BinaryIO]:
        path = self._path(sha256)

        @contextmanager
        def opened() -> Iterator[BinaryIO]:
            try:
                fh = path.open("rb")
            except FileNotFoundError:
                raise BlobNotFound(f"Blob {sha256} is not in the store.") from None
            with fh:
                yield fh

        return opened()

    def iter_range(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with self.open(sha256) as fh:
            fh.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                chunk = fh.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def verify(self, sha256: str) -> bool:
        return verify_chunks(self.iter_range(sha256), sha256)

    def copy_to(self, sha256: str, dest: Path, *, verify: bool = True) -> None:
        write_verified(self.iter_range(sha256), sha256, dest, verify=verify)

    def local_path(self, sha256: str) -> Path | None:
        path = self._path(sha256)
        return path if path.is_file() else None

    def presigned_url(self, sha256: str, *, expires_seconds: int = 300) -> str | None:
        return None

    def cleanup_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by killed writers; returns how many."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        for p in self._tmp.glob("put-*") if self._tmp.exists() else []:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                removed += 1
        return removed


def _kernel_copy(src: int, dst: int, size: int) -> None:
    offset = 0
    while offset < size:
        n = os.copy_file_range(src, dst, min(size - offset, 1 << 30), offset, offset)
        if n == 0:
            raise IntegrityFailure("The file shrank while it was being stored; nothing was stored.")
        offset += n


def _hash_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    data = stream.read(len(view))
    view[: len(data)] = data
    return len(data)


def _check(sha: str, size: int, expected_sha256: str | None, expected_size: int | None) -> None:
    if expected_size is not None and size != expected_size:
        raise IntegrityFailure(f"Got {size} bytes, expected {expected_size}; nothing was stored.")
    if expected_sha256 is not None and sha != expected_sha256:
        raise IntegrityFailure(f"The bytes hash to {sha}, expected {expected_sha256}; nothing was stored.")
