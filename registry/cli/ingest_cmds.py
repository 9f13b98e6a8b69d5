"""``registry ingest``: fill the catalog with optimized, profiled, evaluated builds.

registry ingest RECIPE|--all [--precisions ...] [--devices sd8g3,...] [--version X] [--backend local|qai-hub]
                [--runtimes onnx,tflite,qnn_context_binary]
                [--executor process|serial|dask://HOST:PORT] [--workers N] [--json]
registry ingest --onnx model.onnx --name foo --task classification [...]
registry ingest --torch model.pt --input-shape x:1x3x224x224 --name foo --task classification [...]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from registry.cli.output import console, info, print_json
from registry.vocab import ONNX, TFLITE

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport, Prepared
    from ingest.recipe import Recipe
    from ingest.runlog import Display
    from registry.client.sdk import Client


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(
    recipe: list[str] | None = typer.Argument(
        None, help="Recipe files, or slugs of recipes in ingest/recipes (one or more)."
    ),
    all_recipes: bool = typer.Option(False, "--all", help="Every recipe in ingest/recipes."),
    onnx: Path | None = typer.Option(None, "--onnx", help="An FP32 ONNX model no recipe describes."),
    torch_ckpt: Path | None = typer.Option(
        None,
        "--torch",
        help="A TorchScript file or a whole pickled nn.Module (loaded with torch.load(weights_only=False): "
        "it can run code, so only use files you trust). Needs --input-shape.",
    ),
    input_shape: list[str] = typer.Option(
        [],
        "--input-shape",
        help="For --onnx/--torch: NAME:1x3x640x640[:dtype], once per input; give an input again for another size.",
    ),
    state_input: list[str] = typer.Option([], "--state-input", help="An input fed back from an output (zeros)."),
    input_value: list[str] = typer.Option([], "--input-value", help="NAME=VALUE: an input held at one value."),
    calibration_data: Path | None = typer.Option(
        None, "--calibration-data", help="For --onnx/--torch: a directory of .npz/.npy, image or .wav samples."
    ),
    eval_data: Path | None = typer.Option(None, "--eval-data", help="For --onnx/--torch: held-out samples, as above."),
    preprocess: str | None = typer.Option(
        None, "--preprocess", help="Images/audio: color=rgb,scale=1/255,mean=a:b:c,std=a:b:c,layout=nchw,rate=16000."
    ),
    accept_degenerate: bool = typer.Option(
        False, "--accept-degenerate", help="Publish builds whose fidelity run was degenerate, marked so."
    ),
    asset: list[Path] = typer.Option(
        [],
        "--asset",
        help="For --onnx/--torch: a file every build ships beside the model, e.g. tokenizer.json or labels.txt "
        "(repeat for more).",
    ),
    name: str | None = typer.Option(None, "--name", help="Model slug for --onnx/--torch, e.g. my-detector."),
    task: str | None = typer.Option(None, "--task", help="For --onnx/--torch: e.g. classification."),
    domain: str = typer.Option("computer-vision", help="computer-vision, generative-ai, audio or nlp."),
    license: str = typer.Option("unknown", "--license", help="Licence of the weights."),
    weights: str = typer.Option("real", help="real, trained-here or random."),
    precisions: str | None = typer.Option(
        None, help="Comma-separated: float,fp16,w8a8,w8a16,w4a16,mixed (default: the recipe's; float,fp16,w8a8)."
    ),
    devices: str | None = typer.Option(None, help="Comma-separated device names, e.g. sd8g3,sm8750."),
    version: str | None = typer.Option(None, help="Version to publish (default 1.0.0, or the latest)."),
    backend: str = typer.Option(
        "local", help="Where builds are compiled and profiled: local (this host) or qai-hub (Qualcomm AI Hub)."
    ),
    runtimes: str | None = typer.Option(
        None,
        help="local: onnx,tflite (default both; tflite needs the tflite extra). qai-hub: comma-separated "
        "tflite,qnn_dlc,onnx,qnn_context_binary,precompiled_qnn_onnx (default onnx,tflite,qnn_context_binary).",
    ),
    executor: str = typer.Option("process", help="process, serial, or dask://HOST:PORT."),
    workers: int | None = typer.Option(None, help="Processes for --executor process (default min(2, CPUs))."),
    profile_runs: int = typer.Option(20, help="Timed runs per host profile."),
    work_dir: Path | None = typer.Option(None, help="Stage cache and logs (default REGISTRY_HOME/ingest)."),
    mlflow: bool = typer.Option(True, "--mlflow/--no-mlflow", help="Record the run and builds in MLflow."),
    json_out: bool = typer.Option(False, "--json"),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also show third-party warnings and logs on the terminal (always in the log)."
    ),
) -> None:
    """Export, optimize per precision, profile on this host, evaluate, publish and record in MLflow."""
    from registry.errors import InvalidInput, require

    require("onnxruntime", "ml")
    modes = [
        m for m, on in (("RECIPE", recipe), ("--all", all_recipes), ("--onnx", onnx), ("--torch", torch_ckpt)) if on
    ]
    if len(modes) != 1:
        raise InvalidInput(
            "Give exactly one of RECIPE, --all, --onnx PATH or --torch PATH"
            + (f" (got {' and '.join(modes)})." if modes else "."),
            hint="e.g. `registry ingest --all`, or `registry ingest --onnx m.onnx --name foo --task classification`.",
        )
    from ingest.backends import get_backend
    from ingest.executor import make_executor
    from ingest.pipeline import IngestOptions
    from ingest.runlog import RunLog, new_run_id
    from registry.client.sdk import Client
    from registry.embedded import EmbeddedCatalog

    wanted = _precisions(precisions)
    backend = backend.strip().lower()
    host_runtimes, device_runtimes = _runtimes(runtimes, backend, bool(devices), json_out)
    if onnx is not None:
        if TFLITE in (runtimes or ""):
            raise InvalidInput(
                "--onnx models are built as onnx only: TFLite builds are converted from the torch module.",
                hint="Give --torch CHECKPOINT (or a recipe) for tflite builds.",
            )
        host_runtimes = (ONNX,)
    opts = IngestOptions(
        version=version,
        profile_runs=profile_runs,
        devices=_devices(devices),
        backend=backend,
        runtimes=device_runtimes,
        host_runtimes=host_runtimes,
        record_mlflow=mlflow,
    )
    # Builds are made here either way; they are published to the server when one is configured.
    client = Client()
    catalog: EmbeddedCatalog | Client = client if client.url else EmbeddedCatalog(client.settings)
    root = work_dir or catalog.settings.home / "ingest"
    # a clear error before any work (qai-hub: no token, API unreachable, a device AI Hub does not offer)
    get_backend(backend, work_dir=root).preflight(opts.devices)
    if client.url:  # the builds are published there at the end: a token that may publish, checked before any work
        _check_publish_scope(client)
    else:  # no catalog here yet: say so now, not after the first model's export
        from registry.client.embedded import EmbeddedBackend

        backend_here = client.backend
        assert isinstance(backend_here, EmbeddedBackend)
        with backend_here.session():
            pass
    assets = _assets(asset, byo=onnx is not None or torch_ckpt is not None)  # a missing file is said at once
    pool = make_executor(executor, workers)
    log = RunLog(catalog.settings.home / "ingest" / "logs" / f"{new_run_id()}.log")
    where = ",".join(opts.devices) or "-"
    log.write(f"registry ingest {' '.join(modes)} executor={pool.name} backend={backend} devices={where}")
    if torch_ckpt is not None and not json_out:
        info(f"note: {_security_note()}")
    byo_flags = {
        "state": state_input,
        "values": input_value,
        "calibration_data": calibration_data,
        "eval_data": eval_data,
        "preprocess": preprocess,
        "accept_degenerate": accept_degenerate,
        "assets": assets,
    }
    if not json_out:
        info(f"log: {log.path} (third-party warnings and logs go there{'' if verbose else '; -v shows them here'})")
    try:
        with _terminal(log.path, verbose) as terminal, _display(terminal, json_out) as display:
            progress = None if json_out else display.current
            if onnx is not None or torch_ckpt is not None:
                reports = _byo(
                    onnx,
                    torch_ckpt,
                    input_shape,
                    name,
                    task,
                    domain,
                    license,
                    weights,
                    wanted,
                    root,
                    catalog,
                    opts,
                    pool,
                    progress,
                    log,
                    display,
                    byo_flags,
                )
            else:
                reports = _recipes(recipe or [], all_recipes, wanted, root, catalog, opts, pool, progress, log, display)
    finally:
        pool.close()
        log.close()
    _report(reports, str(log.path), json_out, single=not all_recipes and len(recipe or []) <= 1)
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


def _assets(paths: list[Path], *, byo: bool) -> dict[str, Path]:
    """The ``--asset`` files (``ingest_byo.byo_assets``), which only a brought model takes."""
    from registry.cli.ingest_byo import byo_assets
    from registry.errors import InvalidInput

    if paths and not byo:
        raise InvalidInput(
            "--asset is for --onnx/--torch models.",
            hint="A recipe's model names the files its builds ship in its factory (ZooModel.assets).",
        )
    return byo_assets(paths)


def _check_publish_scope(client: Client) -> None:
    """Refuse an ingest whose builds the server would refuse to publish (no token, or a read-only one)."""
    from registry.errors import Forbidden
    from registry.vocab import PUBLISH, has_scope

    scope = client.whoami().get("scope")
    if scope and has_scope(scope, PUBLISH):
        return
    held = f"a '{scope}' token" if scope else "no token"
    raise Forbidden(
        f"{client.url} would refuse to publish these builds: this client has {held}, and publishing needs the "
        "'publish' scope.",
        hint="Log in with a publish token: `registry login URL` (an admin makes one with `registry token create "
        "--scope publish`), or set REGISTRY_TOKEN.",
    )


@contextmanager
def _terminal(log_path: Path, verbose: bool) -> Iterator[TextIO]:
    """The stream for the run's own output; unless ``verbose``, third-party output goes to the run log."""
    if verbose:
        yield sys.stderr
        return
    from ingest.runlog import third_party_output_to

    with third_party_output_to(log_path) as terminal:
        yield terminal


def _display(terminal: TextIO, json_out: bool) -> Display:
    from ingest.runlog import Display

    if json_out:
        return Display(enabled=False)
    if terminal.isatty():
        from rich.console import Console

        return Display(enabled=True, console=Console(file=terminal))
    return Display(enabled=False, lines=terminal)


def _security_note() -> str:
    from ingest.byo_torch import SECURITY_NOTE

    return SECURITY_NOTE


def _precisions(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    from registry.vocab import normalize_precision

    return tuple(dict.fromkeys(normalize_precision(p.strip()) for p in text.split(",") if p.strip()))


def _runtimes(
    text: str | None, backend: str, has_devices: bool, quiet: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the runtimes built on this host, the runtimes the backend compiles for devices). The local backend builds
    onnx and tflite here (default: both, tflite when its extra is installed); qai-hub builds onnx here and compiles
    the given runtimes (default its own) on AI Hub, which needs --devices."""
    import importlib.util

    from ingest.converters import HOST_RUNTIMES
    from registry.errors import InvalidInput, MissingExtra
    from registry.vocab import normalize_runtime

    asked = tuple(dict.fromkeys(normalize_runtime(r) for r in (text or "").split(",") if r.strip()))
    if backend == "qai-hub":
        if not has_devices:
            raise InvalidInput(
                "--backend qai-hub needs --devices: AI Hub compiles and profiles for real devices.",
                hint='e.g. --devices sd8g3,"Samsung Galaxy S25"',
            )
        return (ONNX,), asked
    others = [r for r in asked if r not in HOST_RUNTIMES]
    if others:
        raise InvalidInput(
            f"--backend {backend} builds {' and '.join(HOST_RUNTIMES)} only, not {', '.join(others)}.",
            hint="Use --backend qai-hub for qnn_dlc, qnn_context_binary or precompiled_qnn_onnx builds.",
        )
    has_tflite = importlib.util.find_spec("litert_torch") is not None
    if TFLITE in asked and not has_tflite:
        raise MissingExtra(
            "tflite builds need litert-torch.", hint="pip install 'edge-model-registry[tflite]' (make setup does)."
        )
    if asked:
        return tuple(r for r in HOST_RUNTIMES if r in asked), ()
    if not has_tflite and not quiet:
        info("note: building onnx only; install the tflite extra for LiteRT builds too")
    return ((ONNX, TFLITE) if has_tflite else (ONNX,)), ()


def _devices(text: str | None) -> tuple[str, ...]:
    """Each name resolved in the device catalog (unknown -> an error with the closest matches), as slugs."""
    if not text:
        return ()
    from registry.devices.lookup import resolve_device_spec

    return tuple(dict.fromkeys(resolve_device_spec(n.strip()).slug for n in text.split(",") if n.strip()))


def _byo(
    onnx: Path | None,
    torch_ckpt: Path | None,
    input_shape: list[str],
    name: str | None,
    task: str | None,
    domain: str,
    license: str,
    weights: str,
    wanted: tuple[str, ...] | None,
    root: Path,
    catalog: Any,
    opts: Any,
    pool: Any,
    progress: Any,
    log: Any,
    display: Any,
    byo_flags: dict[str, Any],
) -> list[IngestReport]:
    from registry.cli.ingest_byo import ingest_onnx, ingest_torch
    from registry.errors import InvalidInput
    from registry.vocab import check_slug

    if not name or not task:
        raise InvalidInput(
            "--onnx and --torch need --name and --task.", hint="e.g. --name my-detector --task object-detection"
        )
    slug = check_slug(name)
    precisions = wanted or ("float", "fp16", "w8a8")
    card = {"name": name, "task": task, "domain": domain, "license": license, "weights": weights}
    run = {"executor": pool, "progress": progress, "log": log, "display": display}
    display.plan({slug: _planned(precisions, opts.host_runtimes if torch_ckpt is not None else (ONNX,))})
    if onnx is not None:
        return ingest_onnx(onnx, slug, card, input_shape, byo_flags, precisions, root, catalog, opts, run)
    assert torch_ckpt is not None
    return ingest_torch(torch_ckpt, slug, card, input_shape, byo_flags, precisions, root, catalog, opts, run)


def _planned(precisions: tuple[str, ...], runtimes: tuple[str, ...]) -> int:
    """How many builds a model gets: every precision in onnx, those the other runtimes make in theirs."""
    from ingest.converters import converter

    return sum(1 for r in runtimes for p in precisions if r == ONNX or p in converter(r).precisions)


def _recipes(
    recipe: list[str],
    all_recipes: bool,
    wanted: tuple[str, ...] | None,
    root: Path,
    catalog: Any,
    opts: Any,
    pool: Any,
    progress: Any,
    log: Any,
    display: Any,
) -> list[IngestReport]:
    from ingest.pipeline import ingest_many
    from ingest.recipe import RECIPES_DIR, find_recipe, list_recipes, load_recipe
    from ingest.zoo_pipeline import prepare_recipes
    from registry.errors import InvalidInput

    if all_recipes:
        paths = list_recipes()
        if not paths:
            raise InvalidInput(f"No recipes in {RECIPES_DIR}.", hint="Add recipe YAML files there, or give one.")
    else:
        paths = [find_recipe(r) for r in recipe]
    recipes = [load_recipe(p) for p in paths]  # every recipe checked before any work starts
    seen: dict[str, Path] = {}
    for r in recipes:
        if r.slug in seen and r.path is not None:
            raise InvalidInput(f"{r.path} and {seen[r.slug]} both describe '{r.slug}'.", hint="Give each a slug.")
        seen[r.slug] = r.path or Path(r.slug)
    display.plan({r.slug: _planned(wanted or r.precisions, opts.host_runtimes) for r in recipes})
    preps = prepare_recipes(recipes, root, precisions=wanted, log=log, runtimes=opts.host_runtimes)
    return ingest_many(
        _announced(preps, recipes, display),
        catalog,
        root,
        opts,
        executor=pool,
        progress=progress,
        log=log,
        display=display,
    )


def _announced(preps: Iterator[Prepared], recipes: list[Recipe], display: Display) -> Iterator[Prepared]:
    """``preps`` (prepared one recipe at a time), saying on the display which model is being built and exported."""
    for recipe in recipes:
        display.current(f"{recipe.slug}: building the model and exporting it to ONNX")
        prep = next(preps, None)
        if prep is None:
            return
        yield prep


def _report(reports: list[IngestReport], log_path: str, json_out: bool, *, single: bool) -> None:
    if json_out:
        if single and len(reports) == 1:
            print_json(reports[0].summary())
        else:
            status = (
                "failed"
                if any(r.status == "failed" for r in reports)
                else ("succeeded" if all(r.status == "succeeded" for r in reports) else "partial")
            )
            print_json({"status": status, "models": [r.summary() for r in reports], "log": log_path})
        return
    from rich.table import Table

    table = Table(title="ingest summary", header_style="bold")
    for col in ("model", "status", "built", "failed", "stages run / cached"):
        table.add_column(col, overflow="fold")
    for r in reports:
        built = [k.label for k, b in r.builds.items() if b.built]
        failed = [f"{k.label} ({b.error})" for k, b in r.builds.items() if not b.built]
        table.add_row(
            f"{r.model}@{r.version}",
            r.status,
            ", ".join(built) or "nothing",
            ", ".join(failed),
            f"{r.ran_stages} / {r.cached_stages}",
        )
    console(stderr=True).print(table)
    for r in reports:
        if r.error:
            info(f"{r.model}: {r.error['detail']} {r.error.get('hint') or ''}".rstrip())
        for b in r.builds.values():  # the backend's device builds
            for d in b.device_builds:
                where = f"{b.precision}/{d.runtime}/{d.target}"
                info(f"  {r.backend} {where}: " + (f"failed: {d.error}" if d.error else "built"))
    info(f"log: {log_path}")
