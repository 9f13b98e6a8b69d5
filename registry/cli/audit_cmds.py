"""``registry restore`` and ``registry audit``: through ``registry.Client`` (the local catalog or REGISTRY_URL)."""

from __future__ import annotations

import typer

from registry.cli.output import info, print_json, print_table


def register(app: typer.Typer) -> None:
    app.command("restore")(restore)
    app.command("audit")(audit)


def restore(
    ref: str = typer.Argument(..., metavar="MODEL@VERSION"),
    reason: str | None = typer.Option(None, help="Why; required to bring back a yanked version."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Make a version active again: from deprecated ('publish'), or from yanked ('admin', with --reason)."""
    from registry.client.sdk import Client
    from registry.errors import InvalidInput

    name, _, version = ref.partition("@")
    if not version:
        raise InvalidInput(
            f"Say which version to restore: MODEL@VERSION, e.g. {name}@1.0.0.",
            hint=f"`registry show {name}` lists its versions.",
        )
    with Client() as client:
        v = client.restore(name, version, reason)
    if json_out:
        print_json(v.model_dump(mode="json"))
    else:
        info(f"{v.model}@{v.version} is now {v.status}.")


def audit(
    limit: int = typer.Option(50, min=1, max=1000, help="How many events (newest first)."),
    action: str | None = typer.Option(None, help="Only this action, e.g. version.yank or publish."),
    target: str | None = typer.Option(None, help="Only targets starting with this, e.g. yolov8@."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """The audit log: every write with its token, client address and before/after ('admin' over HTTP)."""
    from registry.client.sdk import Client

    with Client() as client:
        events = client.audit(limit=limit, action=action, target=target)
    if json_out:
        print_json([e.model_dump(mode="json") for e in events])
        return
    rows = [
        (
            e.id,
            e.model_dump(mode="json")["at"],
            e.action,
            e.target,
            e.token_name or "-",
            e.client or "-",
            _change(e.before, e.after),
        )
        for e in events
    ]
    print_table(None, ["id", "at", "action", "target", "token", "client", "change"], rows)


def _change(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    def short(d: dict[str, object] | None) -> str:
        return ", ".join(f"{k}={v}" for k, v in d.items() if v is not None) if d else "-"

    return f"{short(before)} -> {short(after)}"
