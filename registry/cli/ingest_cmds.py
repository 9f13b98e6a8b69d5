"""``registry ingest``: fill the catalog with optimized, profiled, evaluated builds."""

from __future__ import annotations

from pathlib import Path

import typer

from registry.cli.output import info, print_json


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    onnx: Path = typer.Option(..., "--onnx", help="An FP32 ONNX model no recipe describes."),
    name: str = typer.Option(..., "--name", help="Model slug, e.g. my-detector."),
    task: str = typer.Option(..., "--task", help="e.g. classification, object-detection."),
    domain: str = typer.Option("computer-vision", help="computer-vision, generative-ai, audio or nlp."),
    license: str = typer.Option("unknown", "--license", help="Licence of the weights."),
    weights: str = typer.Option("real", help="real, trained-here or random."),
    precisions: str = typer.Option("float,fp16,w8a8", help="Comma-separated: float,fp16,w8a8,w8a16,w4a16,mixed"),
    version: str | None = typer.Option(None, help="Version to publish (default 1.0.0, or the latest)."),
    work_dir: Path | None = typer.Option(None, help="Stage cache and logs (default REGISTRY_HOME/ingest)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Optimize an ONNX model per precision, profile it on this host, evaluate fidelity to FP32, publish."""
    from registry.errors import require

    require("onnxruntime", "ml")
    from ingest.byo import ModelSource
    from ingest.pipeline import run_ingest
    from registry.local import LocalCatalog
    from registry.vocab import check_slug

    catalog = LocalCatalog()
    source = ModelSource(
        slug=check_slug(name),
        name=name,
        task=task,
        domain=domain,
        license=license,
        weights=weights,
        components={"model": onnx.resolve()},
        description=f"Brought as ONNX ({onnx.name}).",
    )
    report = run_ingest(
        source,
        catalog,
        work_dir or catalog.settings.home / "ingest",
        version=version,
        precisions=tuple(p for p in precisions.split(",") if p.strip()),
        progress=None if json_out else info,
    )
    summary = {
        "model": report.model,
        "version": report.version,
        "status": report.status,
        "run": report.run_id,
        "stages_run": report.ran_stages,
        "stages_cached": report.cached_stages,
        "builds": {p: {k: v for k, v in b.items() if k != "components"} for p, b in report.builds.items()},
        "published": report.published.model_dump(mode="json") if report.published else None,
    }
    if json_out:
        print_json(summary)
    else:
        built = [p for p, b in report.builds.items() if b["status"] == "built"]
        info(
            f"{report.model}@{report.version}: {report.status}; built {', '.join(built) or 'nothing'} "
            f"({report.ran_stages} stages run, {report.cached_stages} from cache)"
        )
    if report.status == "failed":
        raise typer.Exit(1)
