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
    catalog_cmds,
    db_cmds,
    estimate_cmds,
    ingest_cmds,
    lock_cmds,
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
audit_cmds.register(app)


def main() -> None:
    """Entry point: user errors become one line and a non-zero exit; tracebacks only with REGISTRY_DEBUG=1."""
    from registry.errors import RegistryError

    debug = os.environ.get("REGISTRY_DEBUG", "").lower() in ("1", "true", "yes")
    try:
        from registry.cli.remote_pull import fast_pull

        if fast_pull(sys.argv[1:]):  # `registry pull` with plain flags skips typer's (pydantic) parsing
            return
        app()
    except RegistryError as exc:
        if debug:
            raise
        from registry.cli.output import print_error

        print_error(exc.detail, exc.hint)
        sys.exit(2 if exc.status in (400, 422) else 1)
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
