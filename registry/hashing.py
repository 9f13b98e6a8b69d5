"""sha256 of files, streamed."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex digest, size) of a file, read in chunks."""
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
        size = fh.tell()
    return digest.hexdigest(), size
