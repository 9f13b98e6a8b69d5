"""A file's verification stamp: the identity of its bytes on disk right after they were hashed.

``size mtime_ns ctime_ns inode device``. Any write to the file (even of the same size, even one that puts the
old mtime back) moves its ctime, and a replaced file has a new inode, so a stamp that still matches means the
bytes are the ones that were hashed; one that does not means they must be hashed again before use.
Standard library only: the warm pull checks stamps without importing anything heavy.
"""

from __future__ import annotations

import os
from pathlib import Path

from registry import atomic


def of(path: str | os.PathLike[str]) -> str:
    """The current stamp of ``path`` (FileNotFoundError when absent)."""
    st = os.stat(path)
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {st.st_dev}"


def write(stamp_file: Path, path: str | os.PathLike[str]) -> None:
    """Record ``path``'s stamp in ``stamp_file`` (atomically). Call it right after hashing ``path``."""
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(stamp_file, of(path))


def matches(stamp_file: Path, path: str | os.PathLike[str], size: int | None = None) -> bool:
    """True when ``path`` still has the stamp recorded in ``stamp_file`` (and ``size``, when given)."""
    try:
        recorded = stamp_file.read_text()
        now = of(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return recorded == now and (size is None or now.split(" ", 1)[0] == str(size))
