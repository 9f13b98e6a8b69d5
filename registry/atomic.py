"""Whole-file writes: a reader sees the old file or the new one, never half of one.

The bytes go to a temp file beside the target (same directory, so the rename stays on one filesystem), named per
process and thread so concurrent writers never share one, and dot-prefixed so nothing lists it as an entry. The
temp file then replaces the target in one ``os.replace``. A kill -9 mid-write leaves at most that temp file; an
error removes it. Plain standard library: the client's hot paths (``registry pull``) use it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_name(path: Path) -> Path:
    """Where a whole-file write of ``path`` goes first: unique per process and thread."""
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yields a temp path to write ``path``'s new content to (with any writer: ``torch.save``, ``np.save`` on an
    open file, a symlink); when the block ends without an error, it replaces ``path``; on an error it is removed."""
    tmp = temp_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` as ``path``'s whole content. ``mode`` (e.g. 0o600 for a secret) is set on the temp file
    when it is created, so the bytes are never readable with wider permissions."""
    with replacing(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)  # the umask may have narrowed it; never widens what was asked
            fh.write(data)


def write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    """``write_bytes`` of ``text`` in UTF-8."""
    write_bytes(path, text.encode("utf-8"), mode=mode)
