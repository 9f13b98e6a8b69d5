"""The OpenAPI document as the API behaves: one error schema on every error status, bearer auth optional
on public reads, blob bytes as ``application/octet-stream``, unique operation ids."""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. version_not_found."},
        "detail": {"type": "string"},
        "hint": {"type": "string", "description": "What to do next."},
        "extra": {"type": "object"},
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ALWAYS = {"422": "Invalid input", "500": "Internal error"}


def install(app: FastAPI, *, public_reads: set[tuple[str, str]]) -> None:
    """Replace ``app.openapi`` with the corrected document (built once). ``public_reads``: the (method, path)
    pairs a request without a token may call."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with warnings.catch_warnings():  # GET and HEAD of one route share an id until ``correct`` splits them
                warnings.simplefilter("ignore")
                doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = correct(doc, public_reads=public_reads)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def correct(doc: dict[str, Any], *, public_reads: set[tuple[str, str]]) -> dict[str, Any]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            _errors(op, path)
            if method == "head":
                op["operationId"] = op.get("operationId", "op") + "_head"
            if (method, path) in public_reads and op.get("security"):
                op["security"] = [{}, *op["security"]]  # a token is optional on public reads
            if path.startswith("/v1/blobs/") and method in ("get", "head"):
                _blob_bytes(op, with_body=method == "get")
    return doc


def _errors(op: dict[str, Any], path: str) -> None:
    responses = op.setdefault("responses", {})
    for status, description in _ALWAYS.items():
        responses.setdefault(status, {"description": description})
    if op.get("security"):
        responses.setdefault("401", {"description": "No valid bearer token"})
        responses.setdefault("403", {"description": "The token's scope is too narrow"})
    if "{" in path:
        responses.setdefault("404", {"description": "Not found"})
    if path.startswith("/v1/blobs/"):
        responses.setdefault("502", {"description": "The blob store failed"})
        if op.get("requestBody") is not None or "put" in op.get("operationId", ""):
            responses.setdefault("408", {"description": "The upload was too slow"})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = {"application/json": {"schema": _ERROR_REF}}


def _blob_bytes(op: dict[str, Any], *, with_body: bool) -> None:
    octets = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    responses = op["responses"]
    ok = {"description": "The blob's bytes"}
    responses["200"] = ok | ({"content": octets} if with_body else {})
    responses["206"] = {"description": "A byte range"} | ({"content": octets} if with_body else {})
    responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
    responses["307"] = {"description": "Redirect to a presigned storage URL"}
    responses["416"] = {"description": "Range not satisfiable (Content-Range: bytes */size)"}
