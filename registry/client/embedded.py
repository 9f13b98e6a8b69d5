"""The embedded catalog backend: the service layer on a database this process opens (``EmbeddedCatalog``).

Each call is one transaction. SQLAlchemy and the service modules are imported inside the methods, so a warm
``registry pull`` answered from the cache (``pull_stamp``) never imports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.client.backend import STATUS_ACTIONS, PullProgress, ResolveQuery, UploadProgress
from registry.settings import Settings
from registry.vocab import ModelFilter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from registry.client.backend import Fetch
    from registry.client.remote import DownloadStats
    from registry.embedded import EmbeddedCatalog
    from registry.entities import (
        BenchmarkReport,
        BuildInfo,
        DeviceInfo,
        ModelDetail,
        ModelInfo,
        PublishResult,
        ReportedBenchmark,
        VersionInfo,
    )
    from registry.service.audit import AuditEventInfo
    from registry.service.manifest import Manifest
    from registry.service.published import ImportReport
    from registry.service.tokens import TokenInfo


class EmbeddedBackend:
    remote = False

    def __init__(self, settings: Settings, catalog: EmbeddedCatalog | None = None) -> None:
        self.settings = settings
        self._catalog = catalog
        self._owned = catalog is None
        self.origin = settings.resolved_database_url

    @property
    def catalog(self) -> EmbeddedCatalog:
        if self._catalog is None:
            from registry.embedded import EmbeddedCatalog

            self._catalog = EmbeddedCatalog(self.settings)
        return self._catalog

    @contextmanager
    def session(self) -> Iterator[Session]:
        from registry.errors import DatabaseNotReady

        default_db = self.settings.home / "catalog.db"
        try:
            if not self.settings.database_url and not default_db.exists():  # do not create an empty file
                raise DatabaseNotReady(f"The catalog database at {default_db} is not set up.")
            with self.catalog.session() as s:
                yield s
        except DatabaseNotReady as exc:
            if self.settings.database_url:  # an explicit database: `registry db upgrade` is the answer
                raise
            raise DatabaseNotReady(
                f"{exc.detail} This machine has no catalog and no registry server configured.",
                hint="Either create the embedded catalog here with `registry init`, or use a team's server: "
                "`registry login URL` (or REGISTRY_URL=URL, or --registry URL).",
            ) from exc

    # -- reads -----------------------------------------------------------------------------------------------

    def search(self, query: ModelFilter, limit: int, cursor: str | None) -> tuple[list[ModelInfo], str | None]:
        from registry.service.catalog import search_page

        with self.session() as s:
            return search_page(s, query, limit=limit, cursor=cursor)

    def model(self, name: str, version: str | None) -> ModelDetail:
        from registry.service.catalog import show_model

        with self.session() as s:
            return show_model(s, name, version)

    def build(self, build_id: int) -> BuildInfo:
        from registry.service.catalog import get_build

        with self.session() as s:
            return get_build(s, build_id)

    def devices(self) -> list[DeviceInfo]:
        from registry.service.catalog import list_devices

        with self.session() as s:
            return list_devices(s, with_counts=True)

    def device(self, name: str) -> DeviceInfo:
        from registry.service.catalog import get_device

        with self.session() as s:
            return get_device(s, name)

    def resolve(self, query: ResolveQuery) -> dict[str, Any]:
        from registry.service.resolve import resolve

        q = query
        with self.session() as s:
            r = resolve(
                s,
                q.model,
                q.device,
                q.precision,
                runtime=q.runtime,
                version=q.version,
                alias=q.alias,
                runtime_versions=q.runtime_versions,
            )
        return r.model_dump(mode="json")

    def pull_stamp(self) -> str | None:
        from registry.client.fastpath import catalog_stamp

        return catalog_stamp(self.origin)

    def fetcher(self, downloads: dict[str, DownloadStats], progress: PullProgress | None) -> Fetch:
        def fetch(f: Any, dest: Path) -> None:
            on_bytes = (lambda n: progress(f, n)) if progress else None
            self.catalog.copy_blob(f.sha256, dest, on_bytes, where=f" ({f.path})")

        return fetch

    # -- writes ----------------------------------------------------------------------------------------------

    def publish(self, directory: Path, manifest: Manifest, progress: UploadProgress | None) -> PublishResult:
        from registry.service.publish import publish_directory

        with self.session() as s:
            return publish_directory(s, self.catalog.store, directory, manifest, on_bytes=progress)

    def set_alias(self, model: str, alias: str, version: str) -> VersionInfo:
        from registry.service import lifecycle

        with self.session() as s:
            return lifecycle.set_alias(s, model, alias, version)

    def delete_alias(self, model: str, alias: str) -> None:
        from registry.service import lifecycle

        with self.session() as s:
            lifecycle.delete_alias(s, model, alias)

    def set_status(self, action: str, model: str, version: str, reason: str | None) -> VersionInfo:
        from registry.service import lifecycle

        assert action in STATUS_ACTIONS, action
        with self.session() as s:
            result: VersionInfo = getattr(lifecycle, action)(s, model, version, reason)
            return result

    def audit(self, limit: int, action: str | None, target: str | None) -> list[AuditEventInfo]:
        from registry.service.audit import list_events

        with self.session() as s:
            return list_events(s, limit=limit, action=action, target=target)

    def link_mlflow(self, model: str, version: str, run_id: str, registered_model: str, builds: dict[int, str]) -> None:
        from registry.service.publish import link_mlflow

        with self.session() as s:
            link_mlflow(s, model, version, run_id, registered_model, builds)

    def add_benchmark(self, model: str, version: str, report: BenchmarkReport) -> ReportedBenchmark:
        import getpass

        from registry.service.reports import add_reported_benchmark

        with self.session() as s:
            return add_reported_benchmark(s, model, version, report, reporter=f"local:{getpass.getuser()}")

    def import_published(self, perf_csv: Path, numerics_csv: Path | None) -> ImportReport:
        from registry.service.published import import_published

        with self.session() as s:
            return import_published(s, perf_csv, numerics_csv)

    def create_token(self, scope: str, name: str) -> tuple[str, TokenInfo]:
        from registry.service.tokens import create_token

        with self.session() as s:
            return create_token(s, scope, name)

    def list_tokens(self) -> list[TokenInfo]:
        from registry.service.tokens import list_tokens

        with self.session() as s:
            return list_tokens(s)

    def revoke_token(self, token_id: int) -> TokenInfo:
        from registry.service.tokens import revoke_token

        with self.session() as s:
            return revoke_token(s, token_id)

    def info(self) -> dict[str, Any]:
        from registry import __version__

        return {"version": __version__, "mlflow_tracking_uri": self.settings.mlflow_uri}

    def whoami(self) -> dict[str, Any]:
        from sqlalchemy.engine import make_url

        url = make_url(self.origin).render_as_string(hide_password=True)
        return {"url": None, "catalog": url, "token_name": None, "scope": "admin (embedded catalog)"}

    def close(self) -> None:
        if self._owned and self._catalog is not None and "engine" in self._catalog.__dict__:
            self._catalog.engine.dispose()
