"""``registry benchmark add``: report a latency you measured; it anchors the version's estimates. Also the lines
``registry show`` prints about anchored estimates and self-reported figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from registry.cli.output import info, print_json, print_table
from registry.vocab import ESTIMATED

if TYPE_CHECKING:
    from registry.entities import ModelDetail

benchmark_app = typer.Typer(help="Benchmarks you measured yourself.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(benchmark_app, name="benchmark")


@benchmark_app.command("add")
def add(
    ref: str = typer.Argument(..., metavar="MODEL@VERSION"),
    device: str = typer.Option(..., "--device", help="The device you measured on (any name, slug or chipset)."),
    precision: str = typer.Option(..., "--precision", help="The build's precision: float, w8a8, ..."),
    runtime: str = typer.Option(..., "--runtime", help="The build's runtime: onnx, tflite, qnn_dlc, ..."),
    latency_ms: float = typer.Option(..., "--latency-ms", help="Measured inference latency in milliseconds."),
    memory_mb: float | None = typer.Option(None, "--memory-mb", help="Measured peak memory in MB."),
    source: str = typer.Option(..., "--source", help="How it was measured: tool, app, settings, runs."),
    component: str | None = typer.Option(None, "--component", help="The component, for multi-part models."),
    force: bool = typer.Option(False, "--force", help="Record it even if it is over 100x off the estimate."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON for scripts instead of text."),
) -> None:
    """Report a latency you measured for a build (provenance `measured-device`, shown as reported by you). Over
    HTTP it needs a token with the 'publish' scope (REGISTRY_TOKEN). The version's estimates are re-derived from
    it on every device."""
    from registry import Client
    from registry.errors import InvalidInput

    model, _, version = ref.partition("@")
    if not model.strip() or not version.strip():
        raise InvalidInput(f"'{ref}' names no version.", hint="Give MODEL@VERSION, e.g. yolov8@1.0.0.")
    with Client() as client:
        result = client.add_benchmark(
            model.strip(),
            version.strip(),
            device=device,
            precision=precision,
            runtime=runtime,
            latency_ms=latency_ms,
            memory_mb=memory_mb,
            source=source,
            component=component,
            force=force,
        )
    if json_out:
        print_json(result.model_dump(mode="json"))
        return
    b = result.benchmark
    against = f" (estimate was {result.estimate_ms:.3g} ms)" if result.estimate_ms else ""
    info(
        f"recorded benchmark {b.id}: {b.latency_ms:g} ms on {b.device_slug or b.device}, {b.precision} {b.runtime}, "
        f"reported by {b.reported_by}{against}; {result.anchored_estimates} estimates re-derived from it"
    )


def print_anchoring(detail: ModelDetail) -> None:
    """For ``registry show``: per build, how many estimates are anchored and on what; self-reported figures."""
    rows, reported = [], []
    for build in detail.builds:
        estimates = [x for x in build.benchmarks if x.provenance == ESTIMATED]
        anchored = [x for x in estimates if x.anchored_on]
        reported += [x for x in build.benchmarks if x.reported_by]
        if anchored:
            labels = sorted({f"{x.anchored_on} [{x.anchor_level}]" for x in anchored})
            shown = "; ".join(labels[:2]) + (f" (+{len(labels) - 2} more)" if len(labels) > 2 else "")
            rows.append((build.id, build.precision, build.runtime, f"{len(anchored)} of {len(estimates)}", shown))
    if rows:
        print_table("anchored estimates", ["build", "precision", "runtime", "anchored", "anchored on"], rows)
    if reported:
        print_table(
            "self-reported measurements",
            ["build", "device", "latency", "reported by", "source"],
            [
                (x.build_id, x.device_slug or x.device, f"{x.latency_ms:g} ms", x.reported_by, x.source)
                for x in reported
            ],
        )
