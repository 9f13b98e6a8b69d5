"""``registry lock`` and ``registry sync``: pin an app's models (registry.toml -> registry.lock), fetch them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from registry.cli.output import human_size, info, print_json

REQUIREMENTS = typer.Option(Path("registry.toml"), "--requirements", help="The app's requirements file.")
LOCKFILE = typer.Option(Path("registry.lock"), "--lockfile", help="The lockfile to write or read.")


def register(app: typer.Typer) -> None:
    app.command("lock")(lock)
    app.command("sync")(sync)


def lock(
    requirements: Path = REQUIREMENTS,
    lockfile: Path = LOCKFILE,
    json_out: bool = typer.Option(False, "--json", help="Print the lock as JSON."),
) -> None:
    """Resolve every model of registry.toml (REGISTRY_URL, or the local catalog) and write registry.lock."""
    from registry.client.lockfile import make_lock, read_requirements, write_lock
    from registry.client.sdk import Client

    reqs = read_requirements(requirements)
    with Client() as client:
        result = make_lock(reqs, client.resolve_json)
    _record_signers(result)
    write_lock(lockfile, result)
    if json_out:
        print_json(result)
        return
    for e in result["models"]:
        size = sum(f["size"] for f in e["files"])
        info(f"{e['ref']}  {e['device_slug']}/{e['precision']}/{e['runtime']}  build {e['build']}  {human_size(size)}")
    info(f"Wrote {lockfile} ({len(result['models'])} models).")


def sync(
    frozen: bool = typer.Option(
        False, "--frozen", help="Fail if registry.toml and the lock disagree, or the registry resolves differently."
    ),
    requirements: Path = REQUIREMENTS,
    lockfile: Path = LOCKFILE,
    out_dir: Path | None = typer.Option(
        None, "--output", "-o", help="Also place the files in DIR/MODEL/VERSION/PRECISION-RUNTIME-TARGET/."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what was fetched as JSON."),
    link: bool = typer.Option(False, "--link", help="With -o: hard links to the read-only cached blobs, not copies."),
) -> None:
    """Fetch exactly the builds registry.lock pins, verified; fail if anything differs."""
    from registry.client.lockfile import (
        differences,
        mismatch,
        pinned_version,
        read_lock,
        read_requirements,
        requirements_digest,
    )
    from registry.client.sdk import Client

    locked = read_lock(lockfile)
    if frozen:
        digest = requirements_digest(read_requirements(requirements))
        if digest != locked.get("requirements_sha256"):
            raise mismatch(
                f"{requirements} and {lockfile} disagree",
                ["the requirements changed since the lock was written"],
                "Run `registry lock` and commit the new lockfile.",
            )
    pulled: list[dict[str, Any]] = []
    with Client() as client:
        for entry in locked["models"]:
            req = entry["request"]
            if frozen and not client.offline:
                now = client.resolve_json(
                    req["name"],
                    req["device"],
                    req["precision"],
                    req["runtime"],
                    req.get("digest") or req["version"],
                    req["alias"],
                )
                problems = differences(entry, now)
                if problems:
                    raise mismatch(
                        f"{entry['ref']} ({req['device']}, {req['precision']}) resolves differently now",
                        problems,
                        "Run `registry lock` to accept the new resolution, or pin a version in registry.toml.",
                    )

            def check(resolution: dict[str, Any], entry: dict[str, Any] = entry) -> None:
                problems = differences(entry, resolution)
                if problems:
                    raise mismatch(
                        f"{entry['ref']} on the registry differs from {lockfile}",
                        problems,
                        "Nothing was fetched for it. Run `registry lock` if the change is expected.",
                    )

            dest = None
            if out_dir is not None:
                dest = (
                    out_dir
                    / entry["model"]
                    / entry["version"]
                    / f"{entry['precision']}-{entry['runtime']}-{entry['target']}"
                )
            r = client.pull(
                entry["model"],
                req["device"],
                entry["precision"],
                entry["runtime"],
                pinned_version(entry),
                None,
                dest,
                expect=check,
                link=link,
            )
            if entry.get("signed_by"):
                _check_signed(entry, r.to_json())
            pulled.append(r.to_json())
            if not json_out:
                info(f"{entry['ref']}  build {r.build}  {len(r.files)} file(s) verified")
    if json_out:
        print_json(pulled)
    else:
        info(f"Synced {len(pulled)} models from {lockfile}.")


def _record_signers(lock: dict[str, Any]) -> None:
    """Each entry whose version a trusted key signed gets ``signed_by`` (key ids), which `sync` then requires."""
    from registry.client.provenance import verify_ref
    from registry.errors import SignatureMissing
    from registry.settings import get_settings

    settings = get_settings()
    if settings.offline:
        return
    for entry in lock["models"]:
        try:
            verified = verify_ref(settings, entry["model"], entry["version"], check_bytes=False)
        except SignatureMissing:
            continue
        entry["signed_by"] = verified.signers


def _check_signed(entry: dict[str, Any], pulled: dict[str, Any]) -> None:
    """A locked entry with ``signed_by``: one of those keys still signs the version and the pulled files."""
    from registry.client.provenance import check_pulled, verify_ref
    from registry.errors import SignatureMissing
    from registry.settings import get_settings

    settings = get_settings()
    if settings.offline:  # the lock's sha256 of every file, recorded when the signature verified, still hold
        return
    verified = verify_ref(settings, entry["model"], entry["version"], check_bytes=False)
    if not set(verified.signers) & set(entry["signed_by"]):
        raise SignatureMissing(
            f"{entry['ref']} was locked as signed by {', '.join(entry['signed_by'])}; now signed by "
            f"{', '.join(verified.signers)}.",
            hint="Trust the locking signer's key, or run `registry lock` again to accept the new signer.",
        )
    check_pulled(verified, pulled)
