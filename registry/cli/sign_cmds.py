"""Signed provenance: ``registry key create|list|trust``, ``registry sign``, ``registry verify``, and the
signature check behind ``registry pull --require-signature``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from registry.cli.output import info, print_json, print_table

JSON = typer.Option(False, "--json", help="Print JSON for scripts instead of text.")
key_app = typer.Typer(help="Ed25519 signing keys: yours and the ones you trust.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(key_app, name="key")
    app.command("sign")(sign)
    app.command("verify")(verify)


@key_app.command("create")
def key_create(name: str = typer.Option("", "--name", help="A label, e.g. your team."), json_out: bool = JSON) -> None:
    """Create a signing key pair under REGISTRY_HOME/keys (the private key readable by you only)."""
    from registry.service.keys import create_key
    from registry.settings import get_settings

    key = create_key(get_settings(), name)
    if json_out:
        print_json(key.as_json())
        return
    info(f"Created key {key.key_id}. Public key (give it to those who verify):")
    print(key.text)


@key_app.command("list")
def key_list(json_out: bool = JSON) -> None:
    """Your keys and the keys you trust (keys/trusted/ and REGISTRY_TRUSTED_KEYS)."""
    from registry.service.keys import trusted_keys
    from registry.settings import get_settings

    keys = list(trusted_keys(get_settings()).values())
    if json_out:
        print_json([k.as_json() for k in keys])
        return
    if not keys:
        info("No keys. `registry key create` makes one; `registry key trust ed25519:...` trusts a publisher's.")
        return
    print_table(None, ["key id", "origin", "name", "public key"], [(k.key_id, k.origin, k.name, k.text) for k in keys])


@key_app.command("trust")
def key_trust(
    public_key: str = typer.Argument(..., help="ed25519:<base64>, or a .pub file."),
    name: str = typer.Option("", "--name", help="Whose key this is."),
    json_out: bool = JSON,
) -> None:
    """Trust a publisher's public key: their signatures now verify."""
    from registry.service.keys import trust_key
    from registry.settings import get_settings

    key = trust_key(get_settings(), public_key, name)
    if json_out:
        print_json(key.as_json())
    else:
        info(f"Trusting key {key.key_id}" + (f" ({key.name})." if key.name else "."))


def sign(
    ref: str = typer.Argument(..., metavar="MODEL@VERSION"),
    key: str | None = typer.Option(None, "--key", help="Key id (a prefix will do); default REGISTRY_SIGNING_KEY."),
    json_out: bool = JSON,
) -> None:
    """Sign a version's provenance statement (files, recipe, tools, figures) with your key.

    Locally the envelope is stored in the catalog; with REGISTRY_URL it is uploaded (a 'publish' token)."""
    from registry.service.keys import load_private
    from registry.settings import get_settings

    settings = get_settings()
    model, version = _split(ref)
    public, private = load_private(settings, key)
    if settings.url:
        envelope = _sign_remote(settings, model, version, public, private)
    else:
        from registry.embedded import EmbeddedCatalog
        from registry.service.signing import sign_version

        with EmbeddedCatalog(settings).session() as session:
            envelope = sign_version(session, model, version, public, private)
    if json_out:
        print_json(envelope)
    else:
        info(f"Signed {model}@{version} with key {public.key_id}.")


def _sign_remote(settings: Any, model: str, version: str, public: Any, private: Any) -> dict[str, Any]:
    import httpx

    from registry.client.provenance import fetch_signed
    from registry.client.remote import error_from_body, unreachable
    from registry.service.signing import sign_statement, statement_from_detail

    detail, _ = fetch_signed(settings, model, version)
    envelope = sign_statement(statement_from_detail(detail), public, private)
    url = f"{settings.url.rstrip('/')}/v1/models/{model}/versions/{version}/signatures"
    headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
    try:
        response = httpx.put(url, json=envelope, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise unreachable(settings.url, exc) from exc
    if not response.is_success:
        raise error_from_body(response.status_code, response.content, url)
    return envelope


def verify(ref: str = typer.Argument(..., metavar="MODEL@VERSION"), json_out: bool = JSON) -> None:
    """Verify a version's signatures with your trusted keys: the statement, every figure, and (locally) every
    stored file's bytes. Anything changed since signing fails, naming what changed."""
    from registry.client.provenance import verify_ref
    from registry.settings import get_settings

    model, version = _split(ref)
    verified = verify_ref(get_settings(), model, version)
    result = {
        "model": verified.model,
        "version": verified.version,
        "verified": True,
        "signed_by": verified.signers,
        "untrusted_signers": verified.untrusted,
        "files": len(verified.subjects),
        "partial": verified.partial,
    }
    if json_out:
        print_json(result)
    else:
        info(
            f"{verified.model}@{verified.version}: verified, signed by {', '.join(verified.signers)} "
            f"({len(verified.subjects)} files, every figure)."
        )


def pull_signed(
    name: str,
    device: str,
    precision: str,
    runtime: str | None,
    version: str | None,
    alias_name: str | None,
    out_dir: Path | None,
    link: bool = False,
    runtime_versions: list[str] | None = None,
) -> dict[str, Any]:
    """``registry pull --require-signature``: pull into the cache, verify the version's signature and that
    every pulled file is a signed one, and only then place files in ``-o DIR``; the ``--json`` result."""
    from registry.cli.remote_pull import pull_with_progress
    from registry.client.provenance import check_pulled, verify_ref
    from registry.client.pull import export_file
    from registry.settings import get_settings

    result = pull_with_progress(
        name, device, precision, runtime, version, alias_name, None, True, runtime_versions=runtime_versions
    )
    verified = verify_ref(get_settings(), result["model"], result["version"], check_bytes=False)
    check_pulled(verified, result)
    if out_dir is not None:
        result["files"] = [
            {**f, "path": str(export_file(Path(f["path"]).resolve(), out_dir, f["name"], link=link))}
            for f in result["files"]
        ]
    return {**result, "signed_by": verified.signers}


def _split(ref: str) -> tuple[str, str]:
    from registry.errors import InvalidInput

    model, _, version = ref.partition("@")
    if not model.strip() or not version.strip():
        raise InvalidInput(f"Say which version: MODEL@VERSION, not '{ref}'.", hint="e.g. yolov8n@1.0.0")
    return model.strip(), version.strip()
