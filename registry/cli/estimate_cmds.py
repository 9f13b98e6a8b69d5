"""``registry inspect`` (graph cost of an ONNX file) and ``registry estimate`` (latency, memory and compute units
per device, from the calibrated estimator)."""

from __future__ import annotations

from pathlib import Path

import typer

from registry.cli.output import print_json, print_table
from registry.vocab import ONNX


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
    app.command("estimate")(estimate)
    app.command("import-published")(import_published)


def inspect(
    model: Path = typer.Argument(..., help="An ONNX file (external data next to it is not read)."),
    json_out: bool = typer.Option(False, "--json", help="Per-graph totals and every node as JSON."),
) -> None:
    """Cost analysis of an ONNX graph: MACs, FLOPs, parameter and activation bytes by op class; peak memory."""
    from registry.estimator.graphcost import analyze_onnx

    cost = analyze_onnx(model)
    if json_out:
        print_json(cost.to_json())
        return
    rows = [
        (cls, t.nodes, _si(t.macs), _si(t.flops), _mb(t.param_bytes), _mb(t.act_bytes))
        for cls, t in sorted(cost.by_class.items(), key=lambda kv: -kv[1].flops)
    ]
    rows.append(("total", cost.node_count, _si(cost.macs), _si(cost.flops), _mb(cost.param_bytes), ""))
    print_table(
        f"{model.name}: peak live activations {_mb(cost.peak_activation_bytes)} MB",
        ["op class", "nodes", "MACs", "FLOPs", "params MB", "activations MB"],
        rows,
    )
    if cost.unknown_shapes:
        typer.echo(f"note: {cost.unknown_shapes} nodes have outputs of unknown shape; their cost counts as 0.")


def estimate(
    model: Path = typer.Argument(..., help="An ONNX file."),
    device: str = typer.Option(..., "--device", help="A device name, slug or chipset, or 'all'."),
    precision: str | None = typer.Option(
        None, "--precision", help="float, fp16, w8a8, w8a16, w4a16 or mixed (default: read from the graph)."
    ),
    runtime: str = typer.Option(ONNX, "--runtime", help="onnx, tflite, qnn_dlc, qnn_context_binary, ..."),
    json_out: bool = typer.Option(False, "--json"),
    anchor: list[str] = typer.Option(
        [],
        "--anchor",
        help="DEVICE=MS: a latency you measured for this file (same precision and runtime) on one device; "
        "every estimate is re-derived from it. Repeatable.",
    ),
) -> None:
    """Predicted latency, peak memory and compute-unit split of an ONNX model on a device (an estimate, with its
    validated error for that device)."""
    from registry.estimator.anchor import anchor_result, anchors_from_options
    from registry.estimator.graphcost import analyze_onnx
    from registry.estimator.predict import estimate_all_devices, estimate_graph

    cost = analyze_onnx(model)
    precision = _precision(model, precision)  # given, else read from the graph
    anchors = anchors_from_options(anchor, precision, runtime)
    if device.strip().lower() == "all":
        results = estimate_all_devices(cost, precision=precision, runtime=runtime)
    else:
        results = [estimate_graph(cost, device=device, precision=precision, runtime=runtime)]
    if anchors:
        summary = cost.summary()
        results = [anchor_result(summary, r, anchors) for r in results]
    if json_out:
        print_json(results if device.strip().lower() == "all" else results[0])
        return
    rows = [
        (
            r["device"],
            r["marketing_name"],
            f"~{r['latency_ms']:.3g} ms",
            f"±{r['error_pct']:.0f}%",
            f"{r['peak_memory_mb']:.1f}",
            r["compute_units"]["primary"],
            "yes" if r["calibrated"] else "no (prior)",
            *([f"{r['anchored']['level']}" if r.get("anchored") else "-"] if anchors else []),
        )
        for r in results
    ]
    title = f"{model.name} ({precision}, {runtime}): estimated by estimator {results[0]['estimator_version']}"
    if anchors:
        title += f", anchored on {'; '.join(a.label() for a in anchors)}"
    print_table(
        title,
        ["device", "name", "latency", "error", "peak MB", "unit", "calibrated", *(["anchored"] if anchors else [])],
        rows,
    )


def _precision(model: Path, given: str | None) -> str:
    """The precision to estimate at: the one given (a warning when the graph says otherwise), else the graph's."""
    import onnx

    from registry.cli.output import info
    from registry.estimator.precision_of import precision_of
    from registry.vocab import normalize_precision

    found = precision_of(onnx.load(str(model), load_external_data=False))
    if given is None:
        info(f"note: estimating at {found.precision}, read from the graph ({found.evidence}); --precision overrides.")
        return found.precision
    chosen = normalize_precision(given)
    if chosen != found.precision:
        info(f"warning: --precision {chosen}, but the graph looks {found.precision} ({found.evidence}).")
    return chosen


def import_published(
    perf_csv: Path | None = typer.Argument(
        None, help="aihub_published_perf.csv (default: the copy shipped with the package, with its numerics)"
    ),
    numerics: Path | None = typer.Option(None, "--numerics", help="aihub_published_numerics.csv (accuracy)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Attach Qualcomm's published measurements to the catalog models of the same architecture (provenance
    `published`, with the source release and AI Hub job ids)."""
    from registry.cli.catalog_cmds import client
    from registry.cli.output import info

    if perf_csv is None:
        from registry.estimator.fit import PUBLISHED_DIR

        perf_csv = PUBLISHED_DIR / "aihub_published_perf.csv"
        numerics = numerics or PUBLISHED_DIR / "aihub_published_numerics.csv"
    with client() as c:
        report = c.import_published(perf_csv, numerics)
    out = report.to_json()
    if json_out:
        print_json(out)
        return
    info(
        f"published: {out['benchmarks']} benchmarks, {out['evaluations']} evaluations for "
        f"{', '.join(out['models']) or 'no catalog model'}; {out['already_present']} already present"
    )
    if out["anchored_estimates"]:
        info(f"anchored: {out['anchored_estimates']} estimates re-derived from the published figures")
    if out["missing_models"]:
        info(f"not in the catalog (nothing attached): {', '.join(out['missing_models'])}")


def _si(n: float) -> str:
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(int(n))


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f}"
