"""The ``registry`` command. Heavy modules are imported inside commands so that start-up stays fast."""

from __future__ import annotations

import os
import sys

# The CLI loads no pydantic plugins: scanning every installed package's entry points for them costs
# ~30 ms on each start, and `registry pull` must start fast.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer

from registry.cli import (
    audit_cmds,
    benchmark_cmds,
    cache_cmds,
    catalog_cmds,
    db_cmds,
    estimate_cmds,
    ingest_cmds,
    lock_cmds,
    login_cmds,
    qaihub_cmds,
    server_cmds,
    ui_cmds,
)

app = typer.Typer(
    name="registry",
    help="Edge Model Registry: versioned, per-device builds of edge AI models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
db_cmds.register(app)
catalog_cmds.register(app)
server_cmds.register(app)
ingest_cmds.register(app)
ui_cmds.register(app)
lock_cmds.register(app)
qaihub_cmds.register(app)
estimate_cmds.register(app)
benchmark_cmds.register(app)
cache_cmds.register(app)
login_cmds.register(app)
audit_cmds.register(app)

from registry.cli import bundle_cmds, sign_cmds  # noqa: E402  (key, sign, verify, bundle, mirror)

sign_cmds.register(app)
bundle_cmds.register(app)


@app.callback()
def _options(
    registry: str | None = typer.Option(
        None, "--registry", metavar="URL", help="A registry server for this command (else REGISTRY_URL or login)."
    ),
) -> None:
    if registry:
        os.environ["REGISTRY_URL"] = registry


def _take_registry_option(argv: list[str]) -> list[str]:
    """``--registry URL`` before or after the command: set REGISTRY_URL before the fast pull path looks at the
    arguments (no command has an option of that name)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--registry" and i + 1 < len(argv):
            os.environ["REGISTRY_URL"] = argv[i + 1]
            return argv[:i] + argv[i + 2 :]
        if arg.startswith("--registry="):
            os.environ["REGISTRY_URL"] = arg.partition("=")[2]
            return argv[:i] + argv[i + 1 :]
    return argv


def main() -> None:
    """Entry point: user errors become one line and a non-zero exit; tracebacks only with REGISTRY_DEBUG=1."""
    from registry.errors import RegistryError

    debug = os.environ.get("REGISTRY_DEBUG", "").lower() in ("1", "true", "yes")
    try:
        from registry.cli.remote_pull import fast_pull

        argv = _take_registry_option(sys.argv[1:])
        if fast_pull(argv):  # `registry pull` with plain flags skips typer's (pydantic) parsing
            return
        app(args=argv)
    except RegistryError as exc:
        if debug:
            raise
        from registry.cli.output import print_error

        print_error(exc.detail, exc.hint)
        sys.exit(exc.exit_code or (2 if exc.status in (400, 422) else 1))
    except OSError as exc:  # e.g. a path too long for the file system: the system's words, not a traceback
        if debug:
            raise
        from registry.cli.output import print_error

        where = f" ({str(exc.filename)[:80]}...)" if exc.filename else ""
        print_error(f"{exc.strerror or exc}{where}", "Check the paths and names given on the command line.")
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        from registry.cli.output import print_error

        print_error(
            f"internal error: {type(exc).__name__}: {exc}",
            "This is a bug. Run again with REGISTRY_DEBUG=1 for a traceback and report it.",
        )
        sys.exit(1)
