"""``registry serve`` and ``registry token ...``."""

from __future__ import annotations

import typer

from registry.cli.output import info, print_json, print_table

token_app = typer.Typer(
    help="API tokens for writes over HTTP (and reads when REGISTRY_PUBLIC_READ=false).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve the catalog over HTTP (FastAPI under uvicorn). OpenAPI docs at /docs."""
    from registry.errors import require

    uvicorn = require("uvicorn", "server")
    require("fastapi", "server")
    from registry.local import LocalCatalog

    settings = LocalCatalog().settings
    LocalCatalog(settings).engine  # noqa: B018 - fail now, with a clear message, if the database URL is wrong
    info(f"Serving on http://{host}:{port} (docs at /docs)")
    uvicorn.run(
        "registry.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        http="registry.api.protocol:HeaderTimeoutProtocol",
        timeout_keep_alive=settings.keepalive_timeout,
    )


@token_app.command("create")
def create(
    scope: str = typer.Option("read", help="read, publish or admin."),
    name: str = typer.Option("", help="A label to recognise it by."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from registry.local import LocalCatalog
    from registry.service.tokens import create_token

    with LocalCatalog().session() as session:
        token, record = create_token(session, scope, name)
    if json_out:
        print_json({"token": token, **record.model_dump(mode="json")})
    else:
        print(token)
        info(f"Token {record.id} ({record.scope}) created. Store it now: it cannot be shown again.")


@token_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json")) -> None:
    """List tokens (never the tokens themselves)."""
    from registry.local import LocalCatalog
    from registry.service.tokens import list_tokens

    with LocalCatalog().session() as session:
        tokens = list_tokens(session)
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
    from registry.local import LocalCatalog
    from registry.service.tokens import revoke_token

    with LocalCatalog().session() as session:
        revoke_token(session, token_id)
    info(f"Token {token_id} revoked.")
