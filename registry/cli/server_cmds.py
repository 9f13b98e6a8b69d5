"""``registry serve`` and ``registry token ...``."""

from __future__ import annotations

import typer

from registry.cli.output import info, print_json, print_table
from registry.vocab import READ

token_app = typer.Typer(
    help="API tokens for writes over HTTP (and reads when REGISTRY_PUBLIC_READ=false).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int | None = typer.Option(None, help="uvicorn worker processes (default REGISTRY_WORKERS, 1)."),
) -> None:
    """Serve the catalog over HTTP (FastAPI under uvicorn, httptools + uvloop). OpenAPI docs at /docs;
    /healthz (alive), /readyz (database and blob store reachable), /metrics (Prometheus)."""
    import os

    from registry.errors import InvalidInput, require
    from registry.settings import get_settings

    uvicorn = require("uvicorn", "server")
    require("fastapi", "server")
    require("prometheus_client", "server")
    from registry.embedded import EmbeddedCatalog

    settings = get_settings()
    workers = workers or settings.workers
    if workers < 1:
        raise InvalidInput(f"--workers {workers}: give 1 or more.")
    EmbeddedCatalog(settings).engine  # noqa: B018 - fail now, with a clear message, if the database URL is wrong
    if workers > 1:  # every worker writes its metrics here; /metrics adds them up
        _metrics_dir()
    info(f"Serving on http://{host}:{port} with {workers} worker(s) (docs at /docs, metrics at /metrics)")
    uvicorn.run(
        "registry.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,  # ours is structured JSON (registry.api.observe), REGISTRY_ACCESS_LOG=false turns it off
        http=_protocol(),
        loop=_fastest("uvloop", "asyncio"),
        timeout_keep_alive=settings.keepalive_timeout,
    )
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _protocol() -> str:
    """uvicorn's httptools parser when installed (the `server` extra), else h11; both with a header timeout."""
    fast = _fastest("httptools", "h11") == "httptools"
    return f"registry.api.protocol:{'HttpToolsHeaderTimeoutProtocol' if fast else 'HeaderTimeoutProtocol'}"


def _fastest(module: str, fallback: str) -> str:
    import importlib.util

    return module if importlib.util.find_spec(module) is not None else fallback


def _metrics_dir() -> None:
    """A fresh PROMETHEUS_MULTIPROC_DIR for this server's workers (kept if the operator set one)."""
    import os
    import tempfile

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="registry-metrics-")


@token_app.command("create")
def create(
    scope: str = typer.Option(READ, help="read, publish or admin."),
    name: str = typer.Option("", help="A label to recognise it by."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from registry.cli.catalog_cmds import client

    with client() as c:
        token, record = c.create_token(scope, name)
    if json_out:
        print_json({"token": token, **record.model_dump(mode="json")})
    else:
        print(token)
        info(f"Token {record.id} ({record.scope}) created. Store it now: it cannot be shown again.")


@token_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json")) -> None:
    """List tokens (never the tokens themselves)."""
    from registry.cli.catalog_cmds import client

    with client() as c:
        tokens = c.list_tokens()
    if json_out:
        print_json([t.model_dump(mode="json") for t in tokens])
    else:
        print_table(
            None,
            ["id", "name", "scope", "prefix", "last used", "revoked"],
            [(t.id, t.name, t.scope, t.prefix + "...", t.last_used_at or "-", t.revoked) for t in tokens],
        )


@token_app.command("revoke")
def revoke(token_id: int = typer.Argument(...)) -> None:
    """Revoke a token by id."""
    from registry.cli.catalog_cmds import client

    with client() as c:
        c.revoke_token(token_id)
    info(f"Token {token_id} revoked.")
