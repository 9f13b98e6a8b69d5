"""A Hugging Face Hub-compatible read endpoint, so ``huggingface_hub`` (``hf_hub_download``,
``snapshot_download``, ``model_info``) and the tools built on it pull from the registry unmodified.

- ``GET /api/models/{repo}[/revision/{rev}]``: repo info (``sha`` = commit, ``siblings``).
- ``GET /api/models/{repo}/tree/{rev}[/{path}]``: the file listing (``recursive``), LFS entries with the sha256.
- ``GET|HEAD /{repo}/resolve/{rev}/{path}``: the bytes, with ``X-Repo-Commit``, ``ETag`` = sha256,
  ``X-Linked-Etag``/``X-Linked-Size`` on stored blobs, ``Range``; a 302 to a presigned URL with an S3 store.
Errors carry the Hub's ``X-Error-Code`` (RepoNotFound, RevisionNotFound, EntryNotFound), which the client
maps to its own exception classes.
"""

from __future__ import annotations

import inspect
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from registry.api.deps import CatalogDep, ReadAccess
from registry.api.routes.blobs import (
    BlobStream,
    blob_headers,
    check_intact,
    is_bytes_range,
    parse_range,
    verified_chunks,
)
from registry.embedded import EmbeddedCatalog
from registry.errors import ModelNotFound, NotFound, RegistryError, VersionNotFound
from registry.service import hf

router = APIRouter(tags=["huggingface"], dependencies=[ReadAccess])


@router.get("/api/models/{repo}")
@router.get("/api/models/{repo}/revision/{rev}")
async def hf_model_info(catalog: CatalogDep, repo: str, rev: str = hf.MAIN) -> Response:
    """Repo info at a revision (a version, alias, ``main``, digest or commit)."""
    return await _answer(catalog, repo, rev, lambda r: JSONResponse(hf.model_info_json(r)))


@router.get("/api/models/{repo}/tree/{rev}")
@router.get("/api/models/{repo}/tree/{rev}/{path:path}")
async def hf_tree(
    catalog: CatalogDep, repo: str, rev: str, path: str = "", recursive: Annotated[bool, Query()] = False
) -> Response:
    """The files under ``path`` at a revision; folders unless ``recursive``."""
    return await _answer(catalog, repo, rev, lambda r: JSONResponse(hf.tree_json(r, path, recursive)))


@router.api_route("/{repo}/resolve/{rev}/{path:path}", methods=["GET", "HEAD"])
async def hf_resolve(
    request: Request,
    catalog: CatalogDep,
    repo: str,
    rev: str,
    path: str,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    """One file's bytes at a revision, with the headers huggingface_hub checks."""
    return await _answer(catalog, repo, rev, lambda r: _file(request, catalog, r, path, range_header))


async def _answer(catalog: EmbeddedCatalog, repo: str, rev: str, respond: Any) -> Response:
    try:
        revision = await run_in_threadpool(_load, catalog, repo, rev)
        answer = respond(revision)
        response: Response = await answer if inspect.isawaitable(answer) else answer
        response.headers.setdefault("X-Repo-Commit", revision.commit)
        return response
    except RegistryError as exc:
        return _hub_error(exc)


def _load(catalog: EmbeddedCatalog, repo: str, rev: str) -> hf.HfRevision:
    with catalog.session() as session:
        return hf.revision(session, repo, rev)


async def _file(
    request: Request, catalog: EmbeddedCatalog, rev: hf.HfRevision, path: str, range_header: str | None
) -> Response:
    try:
        f = hf.entry(rev, path)
    except hf.EntryNotFound as exc:
        response = _hub_error(exc)
        response.headers["X-Repo-Commit"] = rev.commit
        return response
    etag = f'"{f.sha256}"'
    headers = {"ETag": etag, "X-Repo-Commit": rev.commit, "Accept-Ranges": "bytes"}
    if f.content is None:  # a stored blob: checked before the status line, and its digest for any HTTP client
        await check_intact(catalog.store, f.sha256)
        headers["Repr-Digest"] = blob_headers(f.sha256)["Repr-Digest"]  # not Cache-Control: `main` moves
    if f.is_lfs:
        headers |= {"X-Linked-Etag": etag, "X-Linked-Size": str(f.size)}
        url = catalog.store.presigned_url(f.sha256, expires_seconds=catalog.settings.s3_presign_seconds)
        if url is not None:
            return Response(status_code=302, headers={**headers, "Location": url})
    start, end, status = 0, f.size, 200
    if range_header and is_bytes_range(range_header):
        parsed = parse_range(range_header, f.size)
        if parsed is None:
            return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{f.size}"})
        (start, end), status = parsed, 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{f.size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    if f.content is not None:
        return Response(f.content[start:end], status_code=status, headers=headers)
    store = catalog.store
    body = store.iter_range(f.sha256, start, end) if status == 206 else verified_chunks(store, f.sha256)
    return BlobStream(body, status_code=status, headers=headers, media_type="application/octet-stream")


def _hub_error(exc: RegistryError) -> Response:
    code = "RepoNotFound" if isinstance(exc, ModelNotFound) else None
    if isinstance(exc, VersionNotFound):
        code = "RevisionNotFound"
    elif isinstance(exc, hf.EntryNotFound):
        code = "EntryNotFound"
    message = re.sub(r"[\x00-\x1f\x7f]", " ", exc.detail).encode("ascii", "replace").decode()  # one header line
    headers = {"X-Error-Code": code, "X-Error-Message": message} if code else {}
    status = exc.status if not isinstance(exc, NotFound) else 404
    return JSONResponse(exc.to_dict(), status_code=status, headers=headers)
