"""``registry init`` and ``registry db ...``."""

from __future__ import annotations

import typer

from registry.cli.output import info, print_json

db_app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(db_app, name="db")


def init(json_out: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Create the embedded catalog (SQLite + local blob store in REGISTRY_HOME) or migrate an existing one."""
    from registry.local import LocalCatalog

    catalog = LocalCatalog()
    devices = catalog.init()
    _ensure_bucket(catalog)
    s = catalog.settings
    result = {
        "home": str(s.home),
        "database": catalog.engine.url.render_as_string(hide_password=True),
        "store": s.resolved_store_url,
        "devices": devices,
    }
    if json_out:
        print_json(result)
    else:
        info(f"Catalog ready: {result['database']}\n  blobs in {result['store']}\n  {devices} devices")


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: head) and seed the device catalog."""
    from registry import migrate
    from registry.db import transaction
    from registry.devices import seed_devices
    from registry.local import LocalCatalog

    catalog = LocalCatalog()
    migrate.upgrade(catalog.engine, revision)
    if revision == "head":
        with transaction(catalog.sessionmaker) as session:
            seed_devices(session)
        _ensure_bucket(catalog)
    info(f"Database at revision {migrate.current(catalog.engine)}.")


@db_app.command("current")
def current() -> None:
    """Print the database's migration revision."""
    from registry import migrate
    from registry.local import LocalCatalog

    print(migrate.current(LocalCatalog().engine) or "(empty database)")


def _ensure_bucket(catalog: object) -> None:
    """With an S3 store, create its bucket if missing (idempotent), so a fresh MinIO works at once."""
    store = getattr(catalog, "store", None)
    create = getattr(store, "create_bucket", None)
    if callable(create):
        create()
