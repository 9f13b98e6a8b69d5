"""Bytes: a strong ETag equal to the sha256 and a Repr-Digest, Range, If-None-Match, HEAD; S3 redirects to a
presigned URL. A stored blob is checked before it is answered for; a damaged one is quarantined, never served."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import ClientDisconnect
from starlette.types import Send

from registry.api.deps import ActorDep, CatalogDep, PublishAccess, ReadAccess, StoreDep
from registry.api.guard import streams_body
from registry.api.params import Sha256
from registry.db import transaction
from registry.embedded import EmbeddedCatalog
from registry.errors import BlobDamaged, BlobNotFound, InvalidInput, PayloadTooLarge, StoreError
from registry.service import audit
from registry.service.audit import Actor
from registry.storage import BlobStore, check_sha256


class _Sha256Segment(Convertor[str]):
    """A path segment that can be a sha256, so `/v1/blobs/missing` is never taken for a blob address (its
    other methods answer 405, as the schema says). The exact rule (lowercase hex) stays with the validation."""

    regex = "[0-9a-fA-F]{64}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("sha256", _Sha256Segment())
router = APIRouter(prefix="/v1", tags=["blobs"])
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$", re.IGNORECASE)
log = logging.getLogger("registry.api")


@router.api_route("/blobs/{sha256:sha256}", methods=["GET", "HEAD"], name="get_blob", dependencies=[ReadAccess])
async def get_blob(
    request: Request,
    catalog: CatalogDep,
    sha256: Sha256,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Download a blob. ``ETag`` is its sha256 and ``Repr-Digest`` (RFC 9530) its digest on every answer;
    ``Range`` gives 206; a matching ``If-None-Match`` 304. The stored copy is checked (its stamp; hashed
    again when that changed) before the status line: a damaged blob is quarantined and answered with an error."""
    check_sha256(sha256)
    store = catalog.store
    await check_intact(store, sha256)
    size = await run_in_threadpool(store.size, sha256)
    headers = blob_headers(sha256)
    if if_none_match and _none_match(if_none_match, sha256):
        return Response(status_code=304, headers=headers)
    # REGISTRY_S3_PROXY: clients cannot reach the object store, so its bytes stream through this API instead.
    proxy = catalog.settings.s3_proxy
    url = None if proxy else store.presigned_url(sha256, expires_seconds=catalog.settings.s3_presign_seconds)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers=headers)
    start, end = 0, size
    status = 200
    if range_header and is_bytes_range(range_header):
        parsed = parse_range(range_header, size)
        if parsed is None:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        start, end = parsed
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    body = store.iter_range(sha256, start, end) if status == 206 else verified_chunks(store, sha256)
    return BlobStream(body, status_code=status, headers=headers, media_type="application/octet-stream")


def blob_headers(sha256: str) -> dict[str, str]:
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    return {
        "ETag": f'"{sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "Accept-Ranges": "bytes",
        "Cache-Control": "public, max-age=31536000, immutable",
    }


async def check_intact(store: BlobStore, sha256: str) -> None:
    state = await run_in_threadpool(store.check, sha256)
    if state == "missing":
        raise BlobNotFound(f"Blob {sha256} is not in the store.")
    if state != "ok":
        if state == "damaged":
            log.error("blob %s failed verification and was quarantined (found before serving it)", sha256)
        raise BlobDamaged(
            f"Stored blob {sha256} is damaged (its bytes no longer hash to its sha256); it is quarantined "
            "and not served.",
            hint="Re-publish the version's files, or run `registry store verify --repair` on the server.",
        )


def _none_match(value: str, sha256: str) -> bool:
    """RFC 9110 13.1.2: ``*`` matches any current representation; entity tags compare weakly."""
    tags = [t.strip() for t in value.split(",")]
    return "*" in tags or f'"{sha256}"' in [t.removeprefix("W/") for t in tags]


def is_bytes_range(value: str) -> bool:
    """A Range in another unit than bytes is ignored (RFC 9110 14.2): the whole blob is sent."""
    return value.strip().lower().startswith("bytes=")


def _content_length(request: Request) -> int:
    raw = request.headers.get("content-length", "")
    if not raw.isdigit():
        raise InvalidInput("A blob upload needs a Content-Length header.", hint="Send the body with its length.")
    return int(raw)


def parse_range(value: str, size: int) -> tuple[int, int] | None:
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


class _Corrupted(Exception):
    pass


def verified_chunks(store: BlobStore, sha256: str) -> Iterator[bytes]:
    """Stream the whole blob, holding back the last chunk until the digest is confirmed. A blob found
    corrupted only now ends the response early (so no client receives it as complete), is quarantined, and
    is logged in one line."""
    digest = hashlib.sha256()
    held: bytes | None = None
    for chunk in store.iter_range(sha256):
        if held is not None:
            yield held
        digest.update(chunk)
        held = chunk
    if digest.hexdigest() != sha256:
        log.error("blob %s failed verification while being served; response cut short, blob quarantined", sha256)
        store.quarantine(sha256)
        raise _Corrupted(sha256)
    if held is not None:
        yield held


class BlobStream(StreamingResponse):
    """A streamed blob whose body may end early on purpose (corruption found mid-stream): the response is left
    incomplete, which the client sees as a cut connection, without a traceback in the server log."""

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        except _Corrupted:
            return


@router.put(
    "/blobs/{sha256:sha256}",
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
    if await run_in_threadpool(store.check, sha256) == "ok":  # a damaged or quarantined copy is replaced
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


def _audit_upload(catalog: EmbeddedCatalog, actor: Actor, sha256: str, size: int) -> None:
    with transaction(catalog.sessionmaker) as session:
        audit.record(session, actor, "blob.upload", sha256, after={"size": size})
