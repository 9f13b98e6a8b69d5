"""Validation of relative paths that users and manifests give (they become file names)."""

from __future__ import annotations

from pathlib import PurePosixPath

from registry.errors import UnsafePath
from registry.validation import MAX_PATH


def safe_relative_path(value: str) -> str:
    """A normalized relative POSIX path that cannot leave its directory, or UnsafePath."""
    if len(value) > MAX_PATH:
        raise UnsafePath(f"A file path is {len(value)} characters long; the limit is {MAX_PATH}.")
    if not value or "\x00" in value or "\\" in value:
        raise UnsafePath(f"Invalid file path {value!r}.", hint="Use a relative path with '/' separators.")
    p = PurePosixPath(value)
    if p.is_absolute() or value.startswith("~"):
        raise UnsafePath(f"File path '{value}' is absolute.", hint="Paths are relative to the publish directory.")
    if any(part in ("..", "") for part in value.split("/")) or value == ".":
        raise UnsafePath(f"File path '{value}' escapes or is not normalized.", hint="Remove '..' and empty parts.")
    normalized = str(p)
    return normalized[2:] if normalized.startswith("./") else normalized
