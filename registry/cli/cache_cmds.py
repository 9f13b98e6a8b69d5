"""``registry cache ls|verify|prune`` (the client's download cache), ``registry store verify`` and
``registry gc`` (the server's blob store)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from registry.cli.output import human_size, info, print_json, print_table

cache_app = typer.Typer(help="The local download cache (REGISTRY_CACHE_DIR).", no_args_is_help=True)
store_app = typer.Typer(help="The blob store behind the catalog (REGISTRY_STORE_URL).", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
    app.add_typer(store_app, name="store")
    app.command("gc")(gc)


def _cache() -> Any:
    from registry.client.cache import Cache
    from registry.settings import get_settings

    return Cache(get_settings().cache_dir)


@cache_app.command("ls")
def cache_ls(model: str | None = typer.Argument(None, help="Only this model."), json_out: bool = JSON) -> None:
    """What is cached, per model and version, with sizes."""
    from registry.client.cache_ops import blob_files, scan

    cache = _cache()
    builds = scan(cache, model)
    blob_bytes = sum(p.stat().st_size for _, _, p in blob_files(cache, model))
    if json_out:
        rows = [
            {
                "model": b.model,
                "version": b.version,
                "build": b.build,
                "device": b.resolution.get("device_slug"),
                "files": b.files,
                "size": b.size,
                "complete": b.complete,
                "last_pulled": b.last_pulled,
                "path": str(b.snapshot),
            }
            for b in builds
        ]
        print_json({"cache_dir": str(cache.root), "builds": rows, "blob_bytes": blob_bytes})
        return
    rows2 = [
        [
            b.model,
            b.version,
            b.build,
            b.files,
            human_size(b.size),
            "yes" if b.complete else "no",
            time.strftime("%Y-%m-%d %H:%M", time.localtime(b.last_pulled)),
        ]
        for b in builds
    ]
    print_table(None, ["model", "version", "build", "files", "size", "complete", "last pulled"], rows2)
    info(f"{len(builds)} builds, {human_size(blob_bytes)} of blobs on disk in {cache.root}.")


@cache_app.command("verify")
def cache_verify(
    model: str | None = typer.Argument(None, help="Only this model."),
    repair: bool = typer.Option(True, "--repair/--no-repair", help="Fetch damaged blobs again."),
    json_out: bool = JSON,
) -> None:
    """Hash every cached blob again; damaged ones are removed (never served) and fetched again."""
    from registry.client.cache_ops import builds_needing, scan, verify
    from registry.errors import IntegrityFailure, RegistryError

    cache = _cache()
    report = verify(cache, model)
    if repair and report.damaged:
        from registry.client.sdk import Client

        damaged = {sha for _, sha in report.damaged}
        with Client() as client:
            for b in builds_needing(scan(cache, model), damaged):
                r = b.resolution
                try:
                    client.pull(b.model, r["device_slug"], r["precision"], r["runtime"], b.version)
                    report.repaired += [(b.model, s) for s in b.blobs & damaged]
                except RegistryError as exc:
                    report.unrepaired.append(f"{b.model}@{b.version} {b.build}: {exc.detail}")
    if json_out:
        print_json(
            {
                "checked": report.checked,
                "bytes": report.bytes,
                "damaged": [{"model": m, "sha256": s} for m, s in report.damaged],
                "repaired": [{"model": m, "sha256": s} for m, s in sorted(set(report.repaired))],
                "unrepaired": report.unrepaired,
            }
        )
    else:
        info(f"Checked {report.checked} blobs ({human_size(report.bytes)}): {len(report.damaged)} damaged.")
        for m, s in report.damaged:
            fixed = "fetched again" if (m, s) in report.repaired else "removed"
            info(f"  damaged: {m} blob {s} ({fixed})")
        for msg in report.unrepaired:
            info(f"  not repaired: {msg}")
    if report.damaged and len(set(report.repaired)) < len(report.damaged):
        raise IntegrityFailure(
            f"{len(report.damaged) - len(set(report.repaired))} damaged cached blob(s) were removed, not repaired.",
            hint="Pull the affected builds again when the registry is reachable.",
        )


@cache_app.command("prune")
def cache_prune(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be removed."),
    keep_days: float = typer.Option(30.0, "--keep-days", help="Keep builds pulled within this many days."),
    lockfile: list[Path] = typer.Option(
        [], "--lockfile", help="Keep what this lockfile pins (repeatable; ./registry.lock by default)."
    ),
    json_out: bool = JSON,
) -> None:
    """Remove cached builds and blobs that no lockfile pins and no recent pull used."""
    from registry.client.cache_ops import prune
    from registry.client.lockfile import read_lock

    locks = lockfile or ([Path("registry.lock")] if Path("registry.lock").exists() else [])
    keep = {f["sha256"] for lock in locks for m in read_lock(lock)["models"] for f in m["files"]}
    report = prune(_cache(), keep=keep, recent_seconds=keep_days * 86400, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    if json_out:
        print_json(
            {
                "dry_run": dry_run,
                "snapshots": [str(p) for p in report.snapshots],
                "blobs": [str(p) for p in report.blobs],
                "bytes": report.bytes,
            }
        )
        return
    for p in report.snapshots:
        info(f"  snapshot {p}")
    info(f"{verb} {len(report.snapshots)} builds and {len(report.blobs)} blobs ({human_size(report.bytes)}).")


@store_app.command("verify")
def store_verify(
    repair: bool = typer.Option(False, "--repair", help="Put back damaged or missing blobs from a verified copy."),
    sources: list[Path] = typer.Option(
        [], "--from", help="Where to look for good copies (repeatable); the download cache is always searched."
    ),
    json_out: bool = JSON,
) -> None:
    """Hash every stored blob again; quarantine damaged ones (catalog rows untouched) and list the versions
    affected. With --repair, restore them from the download cache or --from directories."""
    from registry.embedded import EmbeddedCatalog
    from registry.errors import IntegrityFailure
    from registry.service.maintenance import verify_store

    catalog = EmbeddedCatalog()
    try:
        with catalog.session() as session:
            report = verify_store(session, catalog.store, repair=repair, sources=[catalog.settings.cache_dir, *sources])
    finally:
        catalog.engine.dispose()
    if json_out:
        print_json(
            {
                "checked": report.checked,
                "bytes": report.bytes,
                "damaged": report.damaged,
                "missing": report.missing,
                "repaired": report.repaired,
                "versions": report.versions,
            }
        )
    else:
        info(f"Checked {report.checked} blobs ({human_size(report.bytes)}): {len(report.damaged)} damaged.")
        for sha in report.damaged:
            info(f"  damaged, quarantined: {sha}")
        for sha in report.repaired:
            info(f"  repaired: {sha}")
        for sha, refs in report.versions.items():
            info(f"  not intact: {sha} used by {', '.join(refs)}")
    if report.versions:
        raise IntegrityFailure(
            f"{len(report.versions)} blob(s) that builds use are damaged or missing.",
            hint="Re-publish the versions listed (same files), or run `registry store verify --repair --from DIR`.",
        )


def gc(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be removed."),
    grace: int | None = typer.Option(
        None, "--grace", help="Seconds; default REGISTRY_GC_GRACE_SECONDS. Younger leftovers and blobs are kept."
    ),
    json_out: bool = JSON,
) -> None:
    """Remove what killed writers left (temp files, upload spools, S3 multipart uploads) and blobs no build
    references, once they are older than the grace period. Nothing a build references is removed."""
    from registry.embedded import EmbeddedCatalog
    from registry.service.maintenance import collect_garbage

    catalog = EmbeddedCatalog()
    s = catalog.settings
    try:
        with catalog.session() as session:
            report = collect_garbage(
                session,
                catalog.store,
                s.home / "uploads",
                s.gc_grace_seconds if grace is None else grace,
                dry_run=dry_run,
            )
    finally:
        catalog.engine.dispose()
    left = report.leftovers
    if json_out:
        print_json(
            {
                "dry_run": dry_run,
                "temp_files": left.temp_files,
                "upload_spools": left.upload_spools,
                "leftover_bytes": left.bytes,
                "blobs": [{"sha256": sha, "size": size} for sha, size in report.blobs],
                "blob_bytes": report.blob_bytes,
            }
        )
        return
    verb = "Would remove" if dry_run else "Removed"
    for sha, size in report.blobs:
        info(f"  unreferenced blob {sha} ({human_size(size)})")
    info(
        f"{verb} {left.temp_files} temp files/multipart uploads, {left.upload_spools} upload spools "
        f"({human_size(left.bytes)}) and {len(report.blobs)} unreferenced blobs ({human_size(report.blob_bytes)})."
    )
