from __future__ import annotations

from fastapi import APIRouter

from registry.api.deps import ActorDep, PublishAccess, SessionDep, SettingsDep, StoreDep
from registry.api.params import WRITE_ERRORS
from registry.entities import PublishResult
from registry.service.manifest import Manifest
from registry.service.publish import publish_uploaded

router = APIRouter(prefix="/v1", tags=["publish"])


@router.post(
    "/versions",
    dependencies=[PublishAccess],
    status_code=201,
    responses=WRITE_ERRORS,
)
def publish_version(
    session: SessionDep, store: StoreDep, settings: SettingsDep, actor: ActorDep, manifest: Manifest
) -> PublishResult:
    """Publish a version whose blobs were uploaded first (``PUT /v1/blobs/{sha256}``).

    The same bytes again is a no-op (``created: false``); the same version with other bytes is a 409.
    With ``REGISTRY_SIGNING_KEY`` set, the server signs the new version's provenance statement."""
    result = publish_uploaded(session, store, manifest, actor)
    if settings.signing_key and result.created:
        from registry.service.keys import load_private
        from registry.service.signing import sign_version

        key, private = load_private(settings)
        session.flush()  # sessions do not autoflush; the statement is read from the new rows
        sign_version(session, result.model, result.version, key, private)
    return result
