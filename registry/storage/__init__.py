"""Blob stores. ``open_store(url)`` picks the implementation from the URL scheme."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.errors import InvalidInput
from registry.storage.base import BlobInfo, BlobState, BlobStore, check_sha256

if TYPE_CHECKING:
    from registry.settings import Settings

__all__ = ["BlobInfo", "BlobState", "BlobStore", "check_sha256", "open_store"]


def open_store(url: str, settings: Settings | None = None) -> BlobStore:
    """``file:///abs/path`` -> FileStore, ``s3://bucket/prefix`` -> S3Store (needs the ``s3`` extra)."""
    if url.startswith("file://"):
        from registry.storage.files import FileStore

        return FileStore.from_url(url)
    if url.startswith("s3://"):
        from registry.storage.s3 import S3Store

        return S3Store.from_url(url, settings)
    raise InvalidInput(f"Unsupported store URL '{url}'.", hint="Use file:///absolute/path or s3://bucket/prefix.")
