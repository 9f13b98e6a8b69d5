"""``registry mirror``: replicate models from a remote registry into the local catalog, incrementally.

Each version is read over the public API (``/v1/models/{m}/versions/{v}``, its ``/signatures``), filtered to
the devices and precisions asked for, and loaded with ``registry.service.bundle.import_versions``: only blobs
the local store lacks are downloaded (each verified against its sha256), versions already present are no-ops.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from registry.client import remote
from registry.entities import BuildInfo, ModelDetail
from registry.service.bundle import ImportReport, import_versions, version_manifest
from registry.settings import Settings
from registry.vocab import PORTABLE_TARGET, normalize_precision


def mirror(
    settings: Settings,
    source: str,
    models: list[str],
    *,
    devices: list[str],
    precisions: list[str],
    version: str | None = None,
    token: str | None = None,
) -> ImportReport:
    """Pull every (or one) version of ``models`` from ``source`` into the local catalog of ``settings``."""
    from registry.embedded import EmbeddedCatalog

    source = source.rstrip("/")
    chipsets = {_get(source, f"/v1/devices/{quote(d, safe='')}", token)["chipset"] for d in devices}
    wanted = {normalize_precision(p) for p in precisions}
    catalog = EmbeddedCatalog(settings)
    report = ImportReport()
    with tempfile.TemporaryDirectory(dir=_tmp_root(settings)) as tmp:
        for model in models:
            for detail in _versions(source, model, version, token):
                builds = [b for b in detail.builds if _wanted(b, chipsets, wanted)]
                if not builds or detail.version is None:
                    continue
                entry = {
                    "ref": f"{detail.model.slug}@{detail.version.version}",
                    "status": detail.version.status,
                    "status_reason": detail.version.status_reason,
                    "manifest": version_manifest(detail, builds),
                }

                def blob(sha256: str, builds: list[BuildInfo] = builds) -> Path:
                    size = next(f.size for b in builds for f in b.files if f.sha256 == sha256)
                    dest = Path(tmp) / sha256
                    remote.download_blob(f"{source}/v1/blobs/{sha256}", sha256, size, dest, api_url=source, token=token)
                    return dest

                def envelopes(v: dict[str, Any]) -> list[dict[str, Any]]:
                    model_name, _, ver = v["ref"].partition("@")
                    path = f"/v1/models/{quote(model_name, safe='')}/versions/{quote(ver, safe='')}/signatures"
                    return list(_get(source, path, token)["signatures"])

                with catalog.session() as session:
                    import_versions(session, catalog.store, [entry], blob, envelopes, report)
    catalog.engine.dispose()
    return report


def _versions(source: str, model: str, version: str | None, token: str | None) -> list[ModelDetail]:
    base = f"/v1/models/{quote(model, safe='')}"
    if version:
        return [ModelDetail.model_validate(_get(source, f"{base}/versions/{quote(version, safe='')}", token))]
    first = ModelDetail.model_validate(_get(source, base, token))
    return [
        ModelDetail.model_validate(_get(source, f"{base}/versions/{quote(v.version, safe='')}", token))
        for v in reversed(first.versions)  # oldest first, so an interrupted mirror resumes in order
    ]


def _wanted(build: BuildInfo, chipsets: set[str], precisions: set[str]) -> bool:
    if precisions and build.precision not in precisions:
        return False
    return not chipsets or build.target == PORTABLE_TARGET or build.target in chipsets


def _get(source: str, path: str, token: str | None) -> dict[str, Any]:
    return remote.get_json(source, path, {}, token=token, timeout=30)


def _tmp_root(settings: Settings) -> Path:
    root = settings.home / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root
