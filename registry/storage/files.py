"""Blobs as files: ``{root}/sha256/ab/<digest>``, written to ``{root}/tmp`` then renamed into place.

Each stored blob is read-only and stamped right after it was hashed (``{root}/stamps/ab/<digest>``, see
``registry.filestamp``). A blob whose stamp changed is hashed again before it is trusted; a damaged one is moved
to ``{root}/quarantine/<digest>`` (its catalog rows are untouched) until the same bytes are stored again.
"""

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

from registry import filestamp
from registry.errors import BlobNotFound, IntegrityFailure, InvalidInput, StoreError
from registry.storage.base import (
    CHUNK_SIZE,
    SHA256_RE,
    BlobInfo,
    BlobState,
    check_sha256,
    verify_chunks,
    write_verified,
)


class FileStore:
    def __init__(self, root: Path):
        self.root = root
        self.url = root.as_uri()
        self._blobs = root / "sha256"
        self._tmp = root / "tmp"
        self._stamps = root / "stamps"
        self._quarantine = root / "quarantine"

    @classmethod
    def from_url(cls, url: str) -> FileStore:
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
        """Move a verified temp file to its address, or drop it when an intact copy is already there. A
        stored copy that fails verification is replaced: storing the same bytes again heals the store."""
        final = self._path(sha)
        if final.exists() and final.stat().st_size == size and self.check(sha) == "ok":
            tmp.unlink()
            os.utime(final)  # stored again just now: `registry gc` gives it a new grace period
            filestamp.write(self._stamp(sha), final)  # verified above; the new mtime is not a change of bytes
            return BlobInfo(sha, size, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)
        filestamp.write(self._stamp(sha), final)
        (self._quarantine / sha).unlink(missing_ok=True)
        return BlobInfo(sha, size, created=True)

    def _stamp(self, sha256: str) -> Path:
        return self._stamps / sha256[:2] / sha256

    def check(self, sha256: str) -> BlobState:
        """``ok`` (stamp unchanged, or hashed again and right: re-stamped), ``missing``, ``quarantined``, or
        ``damaged`` (found just now: moved to quarantine)."""
        path = self._path(sha256)
        if filestamp.matches(self._stamp(sha256), path):
            return "ok"
        if not path.is_file():
            return "quarantined" if (self._quarantine / sha256).exists() else "missing"
        if self.verify(sha256):
            filestamp.write(self._stamp(sha256), path)
            return "ok"
        self.quarantine(sha256)
        return "damaged"

    def quarantine(self, sha256: str) -> None:
        """Move a damaged blob out of service (kept for inspection; the next good store replaces it)."""
        self._quarantine.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(self._path(sha256), self._quarantine / sha256)
        except FileNotFoundError:
            pass
        self._stamp(sha256).unlink(missing_ok=True)

    def iter_blobs(self) -> Iterator[tuple[str, int, float]]:
        """Every stored blob as (sha256, size, mtime)."""
        for sub in sorted(self._blobs.glob("??")) if self._blobs.exists() else []:
            for p in sorted(sub.iterdir()):
                if SHA256_RE.match(p.name):
                    try:
                        st = p.stat()
                    except FileNotFoundError:
                        continue
                    yield p.name, st.st_size, st.st_mtime

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)
        self._stamp(sha256).unlink(missing_ok=True)

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

    def cleanup_temp(self, older_than_seconds: float = 3600, *, dry_run: bool = False) -> tuple[int, int]:
        """Remove temp files left by killed writers; returns (files, bytes)."""
        files = size = 0
        cutoff = time.time() - older_than_seconds
        leftovers = list(self._tmp.glob("put-*")) if self._tmp.exists() else []
        leftovers += list(self._stamps.glob("??/.*.tmp")) if self._stamps.exists() else []
        for p in leftovers:
            try:
                st = p.stat()
                if st.st_mtime < cutoff:
                    if not dry_run:
                        p.unlink()
                    files, size = files + 1, size + st.st_size
            except FileNotFoundError:
                continue
        return files, size


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
