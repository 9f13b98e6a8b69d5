"""Verifying a version's signed provenance from where the CLI stands: the local catalog, or a server
(``REGISTRY_URL``) checked with your own trusted keys. The server is not trusted: the statement is rebuilt
from its answer and must be the one a trusted key signed; pulled bytes must match the signed digests."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from registry.errors import SignatureInvalid
from registry.settings import Settings

if TYPE_CHECKING:
    from registry.entities import ModelDetail
    from registry.service.signing import Verified


def fetch_signed(settings: Settings, model: str, version: str) -> tuple[ModelDetail, list[dict[str, Any]]]:
    """The version as the catalog describes it, and its signature envelopes."""
    from registry.entities import ModelDetail

    if settings.url:
        from registry.client import remote

        base = f"/v1/models/{quote(model, safe='')}/versions/{quote(version, safe='')}"
        detail = ModelDetail.model_validate(remote.get_json(settings.url, base, {}, token=settings.token, timeout=30))
        answer = remote.get_json(settings.url, base + "/signatures", {}, token=settings.token, timeout=30)
        envelopes = answer["signatures"]
        return detail, list(envelopes)
    from registry.embedded import EmbeddedCatalog
    from registry.service.catalog import show_model
    from registry.service.signing import envelopes_of

    catalog = EmbeddedCatalog(settings)
    try:
        with catalog.session() as session:
            return show_model(session, model, version), envelopes_of(session, model, version)
    finally:
        catalog.engine.dispose()


def verify_ref(settings: Settings, model: str, version: str, *, check_bytes: bool = True) -> Verified:
    """Verify ``model@version`` with the trusted keys; locally also re-hash every stored blob."""
    from registry.service.keys import trusted_keys
    from registry.service.signing import verify

    detail, envelopes = fetch_signed(settings, model, version)
    verified = verify(detail, envelopes, trusted_keys(settings))
    if check_bytes and not settings.url:
        check_stored_bytes(settings, verified)
    return verified


def check_stored_bytes(settings: Settings, verified: Verified) -> None:
    """Every signed file's bytes, read back from the store, still hash to the signed sha256."""
    from registry.embedded import EmbeddedCatalog

    store = EmbeddedCatalog(settings).store
    for name, sha in sorted(verified.subjects.items()):
        digest = hashlib.sha256()
        try:
            for chunk in store.iter_range(sha):
                digest.update(chunk)
        except Exception as exc:
            raise SignatureInvalid(
                f"{verified.model}@{verified.version}: file {name} (sha256 {sha[:12]}) cannot be read: {exc}"
            ) from exc
        if digest.hexdigest() != sha:
            raise SignatureInvalid(
                f"{verified.model}@{verified.version}: file {name} was changed: its stored bytes hash to "
                f"{digest.hexdigest()[:12]}, the signed sha256 is {sha[:12]}.",
                hint="The store was tampered with or corrupted; restore the blob or re-publish.",
            )


def check_pulled(verified: Verified, result: dict[str, Any]) -> None:
    """Each pulled file (``pull --json`` shape) is a signed subject with the signed sha256."""
    folder = f"{result['precision']}/{result['runtime']}/{result['target']}"
    subjects = verified.subjects
    for f in result["files"]:
        name = f"{folder}/{f['name']}"
        if subjects.get(name) != f["sha256"]:
            raise SignatureInvalid(
                f"{result['model']}@{result['version']}: pulled file {name} (sha256 {f['sha256'][:12]}) is not "
                "what was signed" + (f" (signed sha256 {subjects[name][:12]})." if name in subjects else "."),
                hint="Do not use these bytes.",
            )
