"""Bytes: a strong ETag equal to the sha256, Range, If-None-Match, HEAD; S3 redirects to a presigned URL."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.requests import ClientDisconnect

from registry.api.deps import ActorDep, CatalogDep, PublishAccess, ReadAccess, StoreDep
from registry.api.guard import streams_body
from registry.api.params import Sha256
from registry.db import transaction
from registry.errors import IntegrityFailure, InvalidInput, PayloadTooLarge, StoreError
from registry.local import LocalCatalog
from registry.service import audit
from registry.service.audit import Actor
from registry.storage import BlobStore, check_sha256

router = APIRouter(prefix="/v1", tags=["blobs"])
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


@router.api_route("/blobs/{sha256}", methods=["GET", "HEAD"], name="get_blob", dependencies=[ReadAccess])
async def get_blob(
    request: Request,
    catalog: CatalogDep,
    sha256: Sha256,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Download a blob. ``ETag`` is its sha256; ``Range`` gives 206; a matching ``If-None-Match`` 304."""
    check_sha256(sha256)
    store = catalog.store
    size = await run_in_threadpool(store.size, sha256)
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": "public, max-age=31536000, immutable"}
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    url = store.presigned_url(sha256, expires_seconds=catalog.settings.s3_presign_seconds)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"ETag": etag})
    start, end = 0, size
    status = 200
    if range_header:
        parsed = _parse_range(range_header, size)
        if parsed is None:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        start, end = parsed
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    body = store.iter_range(sha256, start, end) if status == 206 else _verified(store, sha256)
    return StreamingResponse(body, status_code=status, headers=headers, media_type="application/octet-stream")


def _content_length(request: Request) -> int:
    raw = request.headers.get("content-length", "")
    if not raw.isdigit():
        raise InvalidInput("A blob upload needs a Content-Length header.", hint="Send the body with its length.")
    return int(raw)


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` range as [start, end); None when unsatisfiable. Multi-ranges are refused."""
    m = _RANGE_RE.match(value.strip())
    if not m or (not m[1] and not m[2]):
        return None
    if not m[1]:  # suffix: the last N bytes
        n = int(m[2])
        return (max(size - n, 0), size) if n > 0 and size > 0 else None
    start = int(m[1])
    end = min(int(m[2]) + 1, size) if m[2] else size
    return (start, end) if start < size and start < end else None


def _verified(store: BlobStore, sha256: str) -> Iterator[bytes]:
    """Stream the whole blob, holding back the last chunk until the digest is confirmed. A corrupted
    blob ends the response early, so no client ever receives it as complete."""
    digest = hashlib.sha256()
    held: bytes | None = None
    for chunk in store.iter_range(sha256):
        if held is not None:
            yield held
        digest.update(chunk)
        held = chunk
    if digest.hexdigest() != sha256:
        raise IntegrityFailure(f"Stored blob {sha256} is corrupted; refusing to serve it.")
    if held is not None:
        yield held


@router.put(
    "/blobs/{sha256}",
    dependencies=[PublishAccess],
    status_code=201,
    responses={200: {"description": "Already stored"}, 413: {}, 422: {}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
@streams_body
async def put_blob(
    request: Request,
    response: Response,
    store: StoreDep,
    catalog: CatalogDep,
    actor: ActorDep,
    sha256: Sha256,
) -> dict[str, object]:
    """Upload a blob's raw bytes. Stored only when the size and sha256 match, else nothing is kept."""
    check_sha256(sha256)
    content_length = _content_length(request)
    if content_length > catalog.settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"Upload of {content_length} bytes exceeds the limit of {catalog.settings.max_upload_bytes}.",
            hint="Raise REGISTRY_MAX_UPLOAD_BYTES.",
        )
    if await run_in_threadpool(store.exists, sha256):
        response.status_code = 200
        return {"sha256": sha256, "size": await run_in_threadpool(store.size, sha256), "created": False}
    tmp_dir = catalog.settings.home / "uploads"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=".upload-")
    tmp = Path(name)
    try:
        received = 0
        with os.fdopen(fd, "wb") as fh:
            try:
                async for chunk in request.stream():
                    received += len(chunk)
                    if received > content_length:
                        raise InvalidInput("The body is longer than its Content-Length.")
                    fh.write(chunk)
            except ClientDisconnect as exc:
                raise InvalidInput("The upload was cut short; nothing was stored.") from exc
        if received != content_length:
            raise InvalidInput(
                f"Truncated upload: received {received} of {content_length} bytes; nothing was stored.",
                hint="Retry the upload.",
            )
        info = await run_in_threadpool(store.put_file, tmp, expected_sha256=sha256, expected_size=content_length)
    except OSError as exc:
        raise StoreError(f"Could not store the upload: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    if info.created:
        await run_in_threadpool(_audit_upload, catalog, actor, info.sha256, info.size)
    return {"sha256": info.sha256, "size": info.size, "created": info.created}


def _audit_upload(catalog: LocalCatalog, actor: Actor, sha256: str, size: int) -> None:
    with transaction(catalog.sessionmaker) as session:
        audit.record(session, actor, "blob.upload", sha256, after={"size": size})
