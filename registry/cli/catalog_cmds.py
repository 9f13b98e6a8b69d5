"""Catalog commands: models, show, devices, publish, pull, alias, deprecate, yank, restore.

Each is a thin shell over ``registry.Client``: the same code whether the catalog is embedded or a server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from registry.cli.output import human_size, info, print_json, print_table
from registry.vocab import MEASURED_HOST

if TYPE_CHECKING:
    from registry.client.sdk import Client

JSON = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


def register(app: typer.Typer) -> None:
    for fn in (models, show, devices, publish, pull, alias, deprecate, yank, restore):
        app.command(fn.__name__)(fn)


def split_ref(ref: str) -> tuple[str, str | None]:
    """``yolov8@1.2.0`` -> ("yolov8", "1.2.0"); ``yolov8`` -> ("yolov8", None)."""
    name, _, version = ref.partition("@")
    return name.strip(), (version.strip() or None)


def client() -> Client:
    """The one front door: the embedded catalog, or the server of --registry / REGISTRY_URL / `registry login`."""
    from registry.client.sdk import Client

    return Client()


def models(
    task: str | None = typer.Option(None, help="e.g. object-detection"),
    domain: str | None = typer.Option(None, help="computer-vision, generative-ai, audio or nlp"),
    device: str | None = typer.Option(None, help="Only models with a build that runs on this device."),
    precision: str | None = typer.Option(None, help="float, fp16, w8a8 (int8), w8a16, w4a16 (int4), mixed"),
    runtime: str | None = typer.Option(None, help="onnx, tflite, qnn_dlc, qnn_context_binary, ..."),
    license: str | None = typer.Option(None, "--license", help="e.g. apache-2.0"),
    text: str | None = typer.Option(None, "--search", "-s", help="Text in the name or description."),
    json_out: bool = JSON,
) -> None:
    """List the catalog's models, filtered."""
    with client() as c:
        found = c.search_all(
            text, task=task, domain=domain, device=device, precision=precision, runtime=runtime, license=license
        )
    if json_out:
        print_json([m.model_dump(mode="json") for m in found])
        return
    if not found:
        info("No models match. `registry models` without filters lists them all.")
        return
    print_table(
        None,
        ["model", "name", "task", "domain", "latest", "weights", "licence"],
        [(m.slug, m.name, m.task, m.domain, m.latest_version or "-", m.weights, m.license) for m in found],
    )


def show(ref: str = typer.Argument(..., metavar="MODEL[@VERSION]"), json_out: bool = JSON) -> None:
    """Show a model: its card, versions, aliases and the builds of one version (default: latest)."""
    name, version = split_ref(ref)
    with client() as c:
        detail = c.model(name, version)
    if json_out:
        print_json(detail.model_dump(mode="json"))
        return
    m = detail.model
    info(f"{m.slug}: {m.name}\n  {m.task} / {m.domain}, licence {m.license}, weights: {m.weights}")
    if m.names:
        info(f"  also answers to: {', '.join(m.names)}")
    if m.description:
        info(f"  {m.description}")
    print_table(
        "versions",
        ["version", "status", "aliases", "builds"],
        [
            (
                v.version,
                v.status + (f" ({v.status_reason})" if v.status_reason else ""),
                ", ".join(v.aliases),
                v.build_count,
            )
            for v in detail.versions
        ],
    )
    if detail.version:
        from registry.vocab import evaluation_text

        rows = []
        for b in detail.builds:
            host = next((x for x in b.benchmarks if x.provenance == MEASURED_HOST), None)
            acc = next((e for e in b.evaluations if e.kind == "accuracy" and e.component is None), None)
            fid = next((e for e in b.evaluations if e.kind == "fidelity" and e.metric == "cosine"), None)
            latency = f"{host.latency_ms:.3g} ms host" if host and host.latency_ms is not None else "-"
            accuracy = f"{acc.metric} {evaluation_text(acc.value, acc.unit)}" if acc else "-"
            if m.weights == "random":
                accuracy = "-"  # random weights: the header line says so, and fidelity is the figure
            fidelity = f"cosine {evaluation_text(fid.value, fid.unit)}" if fid else "-"
            rows.append((b.id, b.precision, b.runtime, b.target, human_size(b.size), latency, accuracy, fidelity))
        print_table(
            f"builds of {m.slug}@{detail.version.version}",
            ["build", "precision", "runtime", "target", "size", "latency", "accuracy", "fidelity to FP32"],
            rows,
        )
        _print_compatibility(detail)
        from registry.cli.benchmark_cmds import print_anchoring

        print_anchoring(detail)


def _print_compatibility(detail: Any) -> None:
    """Per build: the runtime versions that load it, the facts behind them, its inputs and outputs."""

    def tensors(specs: list[Any]) -> str:
        shown = [f"{t.name} {list(t.shape) if t.shape is not None else '?'} {t.dtype}" for t in specs[:4]]
        return "; ".join(shown) + (f" (+{len(specs) - 4})" if len(specs) > 4 else "")

    rows = []
    for b in detail.builds:
        r = b.requirements
        needs = ", ".join(
            f"{axis} >= {v}" + (f" ({r.reasons[axis]})" if r.reasons.get(axis) else "")
            for axis, v in sorted(r.runtimes.items())
        )
        facts = [f"opset {v}" if d == "ai.onnx" else f"{d} {v}" for d, v in r.onnx_opsets.items()]
        facts += [f"IR {r.onnx_ir_version}"] if r.onnx_ir_version else []
        facts += [f"schema {r.tflite_schema_version}"] if r.tflite_schema_version else []
        facts += [f"QAIRT {r.qairt_version}"] if r.qairt_version else []
        facts += [f"HTP {r.htp_arch}"] if r.htp_arch else []
        io = tensors(b.interface.inputs) + " -> " + tensors(b.interface.outputs) if b.interface.inputs else "-"
        rows.append((b.id, needs or "not recorded", ", ".join(facts) or "-", io))
    if rows:
        print_table("what loads each build (pull --runtime-version checks it)", ["build", "needs", "from", "io"], rows)


def devices(json_out: bool = JSON) -> None:
    """List the devices (chipsets) with their slugs, form factors and NPU architecture."""
    with client() as c:
        found = c.devices()
    if json_out:
        print_json([d.model_dump(mode="json") for d in found])
        return
    print_table(
        None,
        ["slug", "chipset", "name", "SoC", "form factors", "NPU"],
        [
            (
                d.slug,
                d.chipset,
                d.marketing_name,
                ", ".join(d.soc_parts),
                ", ".join(d.form_factors),
                d.npu_arch or "-",
            )
            for d in found
        ],
    )


def publish(
    directory: Path = typer.Argument(..., help="Directory holding the build files and manifest.yaml."),
    manifest: Path | None = typer.Option(None, help="Manifest path, if not DIRECTORY/manifest.yaml."),
    json_out: bool = JSON,
) -> None:
    """Publish a version with its builds from a directory and its manifest."""
    from registry.cli.remote_pull import transfer_progress

    with client() as c, transfer_progress(enabled=not json_out and sys.stderr.isatty()) as bar:
        result = c.publish(
            directory, manifest, progress=(lambda path, n: bar(path, _size(directory, path), n)) if bar else None
        )
    if json_out:
        print_json(result.model_dump(mode="json"))
    elif result.created:
        info(
            f"Published {result.model}@{result.version}: {len(result.build_ids)} builds, "
            f"{result.blobs_stored} new blobs ({human_size(result.bytes_stored)})."
        )
    else:
        info(f"{result.model}@{result.version} is already published with the same bytes: nothing to do.")


def _size(directory: Path, path: str) -> int | None:
    """A file's size for the progress bar's total (None if it cannot be read: the publish will say why)."""
    try:
        return (directory / path).stat().st_size
    except OSError:
        return None


def pull(
    model: str = typer.Argument(..., metavar="MODEL[@VERSION]"),
    device: str = typer.Option(..., "--device", "-d", help="Any device name: sd8g3, sm8650, 'Galaxy S24'..."),
    precision: str = typer.Option(..., "--precision", "-p", help="float, fp16, int8/w8a8, w8a16, int4/w4a16"),
    version: str | None = typer.Option(None, "--version", "-v", help="Exact version pin."),
    alias_name: str | None = typer.Option(None, "--alias", "-a", help="An alias such as stable."),
    runtime: str | None = typer.Option(None, "--runtime", "-r", help="onnx, tflite, qnn_dlc, ..."),
    out_dir: Path | None = typer.Option(None, "--output", "-o", help="Copy the files into this directory."),
    json_out: bool = JSON,
    link: bool = typer.Option(False, "--link", help="With -o: hard links to the read-only cached blobs, not copies."),
    require_signature: bool = typer.Option(
        False, "--require-signature", help="Fail unless a trusted key signed the version and its files."
    ),
    runtime_versions: list[str] | None = typer.Option(
        None,
        "--runtime-version",
        help="RUNTIME=VERSION the app ships (onnxruntime=1.20, litert=1.2, qairt=2.28; repeatable): only a build "
        "that loads there, else exit code 3 naming what the build needs.",
    ),
) -> None:
    """Fetch the build of MODEL for a device and precision, verified, into the cache (or -o DIR).

    MODEL@VERSION pins a version; MODEL@sha256:<digest> pins a version's content digest or a build digest."""
    import json

    name, ref_version = split_ref(model)
    version = version or ref_version
    if require_signature:
        from registry.cli.sign_cmds import pull_signed

        result = pull_signed(name, device, precision, runtime, version, alias_name, out_dir, link, runtime_versions)
    else:
        from registry.cli.remote_pull import pull_with_progress

        result = pull_with_progress(
            name,
            device,
            precision,
            runtime,
            version,
            alias_name,
            out_dir,
            json_out,
            link=link,
            runtime_versions=runtime_versions,
        )
    if json_out:  # without importing pydantic (print_json does): a warm pull stays light
        for w in result["warnings"]:
            info(f"warning: {w}")
        for n in result.get("notices", []):
            info(f"note: {n}")
        print(json.dumps(result, indent=2))
        return
    _report_pull(result)


def _report_pull(result: dict[str, Any]) -> None:
    for w in result["warnings"]:
        info(f"warning: {w}")
    for n in result.get("notices", []):
        info(f"note: {n}")
    info(
        f"{result['model']}@{result['version']} build {result['build']} "
        f"({result['precision']}, {result['runtime']}, {result['target']}) for {result['device_slug']}"
    )
    for f in result["files"]:
        print(f"{f['path']}  sha256:{f['sha256']}  {human_size(f['size'])}")


def alias(
    model: str = typer.Argument(...),
    name: str = typer.Argument(..., help="Alias name, e.g. stable."),
    version: str | None = typer.Argument(None, help="Version to point at (omit with --delete)."),
    delete: bool = typer.Option(False, "--delete", help="Remove the alias."),
    json_out: bool = JSON,
) -> None:
    """Set or move an alias (MODEL ALIAS VERSION), or remove it (--delete)."""
    if delete == (version is not None):
        raise typer.BadParameter("Give a VERSION to set the alias, or --delete to remove it (not both).")
    with client() as c:
        if delete:
            c.delete_alias(model, name)
            result: dict[str, Any] = {"model": model, "alias": name, "deleted": True}
        else:
            assert version is not None
            v = c.set_alias(model, name, version)
            result = {"model": v.model, "alias": name, "version": v.version}
    if json_out:
        print_json(result)
    else:
        info(f"{model}: alias {name} removed." if delete else f"{model}: {name} -> {result['version']}")


def deprecate(
    ref: str = typer.Argument(..., metavar="MODEL@VERSION"),
    reason: str | None = typer.Option(None, help="Why; shown to everyone who resolves it."),
    json_out: bool = JSON,
) -> None:
    """Deprecate a version: still resolvable, with a warning; no longer 'latest'."""
    _set_status(ref, "deprecate", reason, json_out)


def yank(
    ref: str = typer.Argument(..., metavar="MODEL@VERSION"),
    reason: str | None = typer.Option(None, help="Why; shown to everyone who pins it."),
    json_out: bool = JSON,
) -> None:
    """Yank a version: pullable only by exact pin (with a warning), never by alias or latest."""
    _set_status(ref, "yank", reason, json_out)


def restore(
    ref: str = typer.Argument(..., metavar="MODEL@VERSION"),
    json_out: bool = JSON,
) -> None:
    """Make a deprecated or yanked version active again."""
    _set_status(ref, "restore", None, json_out)


def _set_status(ref: str, action: str, reason: str | None, json_out: bool) -> None:
    from registry.errors import InvalidInput

    name, version = split_ref(ref)
    if not version:
        raise InvalidInput(
            f"Say which version to {action}: MODEL@VERSION, e.g. {name}@1.0.0.",
            hint=f"`registry show {name}` lists its versions.",
        )
    with client() as c:
        v = c.backend.set_status(action, name, version, reason)
    if json_out:
        print_json(v.model_dump(mode="json"))
    else:
        info(f"{v.model}@{v.version} is now {v.status}.")
