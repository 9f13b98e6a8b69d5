"""Air-gapped distribution: ``registry bundle create|import`` and ``registry mirror``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from registry.cli.output import human_size, info, print_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from registry.settings import Settings

JSON = typer.Option(False, "--json", help="Print JSON for scripts instead of text.")
bundle_app = typer.Typer(help="Bundles: models, their bytes and signed statements in one tar.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bundle_app, name="bundle")
    app.command("mirror")(mirror)


@bundle_app.command("create")
def bundle_create(
    model: list[str] = typer.Option(..., "--model", "-m", help="A model to include (repeat for more)."),
    device: list[str] = typer.Option([], "--device", "-d", help="Only builds that run on this device (repeatable)."),
    precision: list[str] = typer.Option([], "--precision", "-p", help="Only this precision (repeatable)."),
    version: str | None = typer.Option(None, "--version", "-v", help="This version (default: each model's latest)."),
    out: Path = typer.Option(..., "--output", "-o", help="The bundle file to write, e.g. bundle.tar."),
    json_out: bool = JSON,
) -> None:
    """Write the chosen builds' manifests, blobs, signed statements and a device-catalog snapshot to a tar."""
    from registry.embedded import EmbeddedCatalog
    from registry.service.bundle import Selection, create_bundle

    catalog = EmbeddedCatalog()
    sel = Selection(models=model, devices=device, precisions=precision, version=version)
    with catalog.session() as session:
        index = create_bundle(session, catalog.store, sel, out)
    blobs = [m for name, m in index["members"].items() if name.startswith("blobs/")]
    summary: dict[str, Any] = {
        "path": str(out),
        "versions": [v["ref"] for v in index["versions"]],
        "builds": sum(len(v["manifest"]["builds"]) for v in index["versions"]),
        "blobs": len(blobs),
        "bytes": out.stat().st_size,
    }
    if json_out:
        print_json(summary)
    else:
        info(
            f"Wrote {out}: {', '.join(summary['versions'])}, {summary['builds']} builds, "
            f"{len(blobs)} blobs ({human_size(summary['bytes'])})."
        )


@bundle_app.command("import")
def bundle_import(
    path: Path = typer.Argument(..., help="A bundle made by `registry bundle create`."),
    require_signature: bool = typer.Option(
        False, "--require-signature", help="Refuse the bundle unless a trusted key signed every version in it."
    ),
    json_out: bool = JSON,
) -> None:
    """Load a bundle into this catalog: every member checked first; importing it again changes nothing."""
    import tempfile

    from registry.embedded import EmbeddedCatalog
    from registry.service.bundle import import_bundle

    catalog = EmbeddedCatalog()
    tmp_root = catalog.settings.home / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp_root) as work, catalog.session() as session:
        report = import_bundle(session, catalog.store, path, Path(work))
        if require_signature:
            _require_signatures(session, catalog.settings, report.versions_created + report.versions_present)
    _report(report.to_dict(), json_out, f"Imported {path}")


def mirror(
    source: str = typer.Option(..., "--from", help="The remote registry's URL."),
    models: list[str] = typer.Option(..., "--models", "-m", help="Models to mirror (repeat, or comma-separated)."),
    device: list[str] = typer.Option([], "--device", "-d", help="Only builds that run on this device (repeatable)."),
    precision: list[str] = typer.Option([], "--precision", "-p", help="Only this precision (repeatable)."),
    version: str | None = typer.Option(None, "--version", "-v", help="Only this version (default: all)."),
    token: str | None = typer.Option(None, "--token", help="A read token for the source, if it needs one."),
    json_out: bool = JSON,
) -> None:
    """Replicate models from a remote registry into the local catalog; re-running fetches only what is new."""
    from registry.client.mirror import mirror as run_mirror
    from registry.settings import get_settings

    names = [n.strip() for item in models for n in item.split(",") if n.strip()]
    settings = get_settings()
    report = run_mirror(settings, source, names, devices=device, precisions=precision, version=version, token=token)
    _report(report.to_dict(), json_out, f"Mirrored {', '.join(names)} from {source}")


def _require_signatures(session: Session, settings: Settings, refs: list[str]) -> None:
    from registry.service.catalog import show_model
    from registry.service.keys import trusted_keys
    from registry.service.signing import envelopes_of, verify

    trusted = trusted_keys(settings)
    for ref in refs:
        model, _, version = ref.partition("@")
        verify(show_model(session, model, version), envelopes_of(session, model, version), trusted)


def _report(report: dict[str, Any], json_out: bool, what: str) -> None:
    if json_out:
        print_json(report)
        return
    created = report["versions_created"]
    present = report["versions_present"]
    info(
        f"{what}: new {', '.join(created) or 'nothing'}"
        + (f"; already here {', '.join(present)}" if present else "")
        + f"; {report['blobs_stored']} blobs stored, {report['signatures']} signatures."
    )
