"""One exception hierarchy for the service, the API and the SDK.

Every error carries a stable ``code`` and an HTTP ``status``. The API turns an error into
``{"error": code, "detail": message, "hint": ...}`` and the SDK turns that back into the same class,
so ``except ModelNotFound`` works the same in-process and over HTTP.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RegistryError(Exception):
    """Base of every error a user can cause or meet."""

    code: ClassVar[str] = "registry_error"
    status: ClassVar[int] = 500
    # The CLI's exit code when set (docs list them); otherwise 2 for bad input (400/422), else 1.
    exit_code: ClassVar[int | None] = None

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.extra = extra or {}

    def __str__(self) -> str:
        return f"{self.detail} {self.hint}" if self.hint else self.detail

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.hint:
            body["hint"] = self.hint
        if self.extra:
            body["extra"] = self.extra
        return body


class InvalidInput(RegistryError, ValueError):
    code = "invalid_input"
    status = 422


class ImplausibleMeasurement(InvalidInput):
    """A reported figure far outside what the estimator expects (``registry benchmark add`` without --force)."""

    code = "implausible_measurement"


class InvalidManifest(InvalidInput):
    code = "invalid_manifest"


class UnsafePath(InvalidInput):
    code = "unsafe_path"


class IntegrityFailure(RegistryError):
    """Bytes that do not match their declared size or sha256."""

    code = "integrity_failure"
    status = 422


class BlobDamaged(IntegrityFailure):
    """A stored blob whose bytes no longer hash to its address (quarantined until the bytes are stored again)."""

    code = "blob_damaged"
    status = 500


class SignatureInvalid(IntegrityFailure):
    """A signed provenance statement that does not verify, or no longer matches the catalog or the bytes."""

    code = "signature_invalid"


class SignatureMissing(IntegrityFailure):
    """No signature by a trusted key where one is required."""

    code = "signature_missing"


class NotFound(RegistryError, LookupError):
    code = "not_found"
    status = 404


class ModelNotFound(NotFound):
    code = "model_not_found"


class VersionNotFound(NotFound):
    code = "version_not_found"


class BuildNotFound(NotFound):
    code = "build_not_found"


class RuntimeIncompatible(NotFound):
    """Every build that would answer needs a newer runtime than the caller ships (``--runtime-version``).

    A ``NotFound`` (404) like ``BuildNotFound``: no build of the request loads there. ``extra`` lists the
    constraints and, per refused build, what it needs. The CLI exits with code 3 (docs/compatibility.md)."""

    code = "runtime_incompatible"
    exit_code = 3


class DeviceNotFound(NotFound):
    code = "device_not_found"


class BlobNotFound(NotFound):
    code = "blob_not_found"


class Conflict(RegistryError):
    code = "conflict"
    status = 409


class VersionImmutable(Conflict):
    code = "version_immutable"


class Unauthorized(RegistryError):
    code = "unauthorized"
    status = 401


class Forbidden(RegistryError):
    code = "forbidden"
    status = 403


class PayloadTooLarge(RegistryError):
    code = "payload_too_large"
    status = 413


class RequestTimeout(RegistryError):
    code = "request_timeout"
    status = 408


class OfflineError(RegistryError):
    code = "offline"
    status = 503


class StoreError(RegistryError):
    code = "store_error"
    status = 502


class MissingExtra(RegistryError, ImportError):
    code = "missing_extra"
    status = 500


class DatabaseNotReady(RegistryError):
    code = "database_not_ready"
    status = 503


def _all_subclasses(cls: type[RegistryError]) -> list[type[RegistryError]]:
    out: list[type[RegistryError]] = [cls]
    for sub in cls.__subclasses__():
        out.extend(_all_subclasses(sub))
    return out


def error_class_for(code: str) -> type[RegistryError]:
    """The exception class for a wire ``code`` (the base class when the code is unknown)."""
    for cls in _all_subclasses(RegistryError):
        if cls.code == code:
            return cls
    return RegistryError


def require(module: str, extra: str) -> Any:
    """Import an optional heavy dependency, or fail with the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"This needs the optional dependency '{module}', which is not installed.",
            hint=f"Install it with: pip install 'edge-model-registry[{extra}]'",
        ) from exc
