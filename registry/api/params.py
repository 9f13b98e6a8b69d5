"""Path parameters with the validation layer's limits (declared in the OpenAPI schema), and the error
responses routes declare."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from registry.validation import ALIAS_PATTERN, MAX_DEVICE, MAX_SLUG, MAX_VERSION, SEMVER_PATTERN, SHA256_PATTERN

# Lookups are lenient about case and spaces ("YOLOv8" finds yolov8), so reads declare lengths, not patterns.
ModelName = Annotated[str, Path(min_length=1, max_length=MAX_SLUG, description="A model slug, e.g. yolov8.")]
VersionText = Annotated[
    str, Path(max_length=MAX_VERSION, pattern=SEMVER_PATTERN, description="A semantic version, e.g. 1.2.0.")
]
AliasName = Annotated[str, Path(pattern=ALIAS_PATTERN, description="An alias, e.g. stable.")]
# A device name needs a letter or digit (what is left after normalizing is the lookup key).
DEVICE_PATTERN = "[A-Za-z0-9]"
Sha256 = Annotated[str, Path(pattern=SHA256_PATTERN, description="The blob's sha256 (64 lowercase hex).")]

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the one error shape."""
    words = {
        400: "Bad request",
        401: "No valid bearer token",
        403: "The token's scope is too narrow",
        404: "Not found",
        408: "The request body was too slow",
        409: "Conflicts with the current state",
        413: "The request body is too large",
        416: "Range not satisfiable",
        422: "Invalid input",
        502: "The blob store failed",
    }
    return {s: {"description": words[s], **_ERROR} for s in statuses}


WRITE_ERRORS = errors(400, 401, 403, 404, 408, 409, 413, 422)

DeviceName = Annotated[str, Path(max_length=MAX_DEVICE, pattern=DEVICE_PATTERN, description="Any device name.")]
