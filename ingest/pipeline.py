"""The ingest pipeline: (export) -> optimize per precision -> fidelity -> host profile -> evaluate -> record.

A model arrives ``Prepared``: its card, one FP32 ONNX file per component, calibration and evaluation inputs
(a recipe's, or synthetic ones for bring-your-own models) and, for zoo models, a task metric. Builds (one per
precision) are independent: they fan out to an executor (``ingest.executor``) as picklable ``BuildJob``s, and
their stages are cached by content (``ingest.stagecache``), so a re-run of an unchanged model skips finished
work and starts no worker at all. A precision that fails is recorded with its error without stopping the others.
Publishing, task evaluation and MLflow recording stay in this process (``ingest.record``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.byo import ByoInputs, ModelSource
from ingest.errors import UnsupportedPrecision
from ingest.stagecache import StageCache, file_digest, stage_key
from ingest.stages import BuildJob, digest_samples, failure, run_build
from registry.entities import PublishResult

if TYPE_CHECKING:
    from ingest.backends import Backend
    from ingest.executor import Executor
    from ingest.record import Catalog
    from ingest.runlog import Display, RunLog
    from ingest.zoo.base import TaskMetric

DEFAULT_PRECISIONS = ("float", "fp16", "w8a8")
HUB_RUNTIMES = ("onnx", "tflite", "qnn_context_binary")  # --backend qai-hub without --runtimes
Progress = Callable[[str], None]
Inputs = dict[str, Any]


@dataclass
class Prepared:
    """A model ready for its builds: FP32 ONNX per component, data, and what to build."""

    source: ModelSource
    precisions: tuple[str, ...]
    recipe_hash: str
    digests: dict[str, str] = field(default_factory=dict)
    calibration: dict[str, list[Inputs]] = field(default_factory=dict)
    eval: dict[str, list[Inputs]] = field(default_factory=dict)
    synthetic: bool = True
    supported: tuple[str, ...] | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_metric: TaskMetric | None = None
    export: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # the model could not be prepared (e.g. export failed)
    interfaces: dict[str, dict[str, Any]] = field(default_factory=dict)  # component -> its exact inputs
    data: dict[str, Any] = field(default_factory=dict)  # calibration / evaluation: given or synthetic
    accept_degenerate: bool = False
    ran_stages: int = 0
    cached_stages: int = 0

    @functools.cached_property
    def sample_digests(self) -> dict[str, str]:
        """The content digests of the calibration and evaluation samples (part of the stage keys), computed once
        for all of the model's precisions: hashing large inputs (YOLOv8's 640x640 images) per precision was a
        visible share of a cached re-ingest. Read only once the model is prepared."""
        out = {f"calibration/{name}": digest_samples(samples) for name, samples in self.calibration.items()}
        for name, samples in self.eval.items():
            out[f"eval/{name}"] = digest_samples(samples)
            out[f"first/{name}"] = digest_samples(samples[:1])
        return out


@dataclass
class IngestOptions:
    version: str | None = None
    profile_runs: int = 20
    devices: tuple[str, ...] = ()
    backend: str = "local"
    record_mlflow: bool = True
    runtimes: tuple[str, ...] = ()  # qai-hub: the runtimes AI Hub compiles (default HUB_RUNTIMES)


@dataclass
class IngestReport:
    model: str
    version: str
    run_id: int
    status: str
    builds: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: PublishResult | None = None
    cached_stages: int = 0
    ran_stages: int = 0
    mlflow: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    log_path: str | None = None
    devices: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "run": self.run_id,
            "stages_run": self.ran_stages,
            "stages_cached": self.cached_stages,
            "builds": {p: {k: v for k, v in b.items() if k not in _BULKY} for p, b in self.builds.items()},
            "published": self.published.model_dump(mode="json") if self.published else None,
            "mlflow_run": (self.mlflow or {}).get("run_id"),
            "error": self.error,
            "devices": list(self.devices),
            "log": self.log_path,
        }


_BULKY = ("components", "events", "traceback", "hub_builds", "device_evaluations")


def run_ingest(
    source: ModelSource,
    catalog: Catalog,
    work_dir: Path,
    *,
    version: str | None = None,
    precisions: tuple[str, ...] = DEFAULT_PRECISIONS,
    calibration_samples: int = 24,
    profile_runs: int = 20,
    progress: Progress | None = None,
    record_mlflow: bool = True,
    executor: Executor | None = None,
    devices: tuple[str, ...] = (),
    backend: str = "local",
    log: RunLog | None = None,
    display: Display | None = None,
    byo: ByoInputs | None = None,
) -> IngestReport:
    """Ingest a bring-your-own ONNX model (one file per component)."""
    from ingest.byo_prepare import prepare_onnx
    from registry.errors import InvalidInput

    try:
        prepared = prepare_onnx(source, precisions, calibration_samples, byo=byo, cache_root=work_dir / "cache")
    except InvalidInput as exc:
        from ingest.record import record_refused

        record_refused(catalog, source.slug, version, exc, log)
        raise
    opts = IngestOptions(version, profile_runs, devices, backend, record_mlflow)
    [report] = ingest_many(
        [prepared], catalog, work_dir, opts, executor=executor, progress=progress, log=log, display=display
    )
    return report


@dataclass
class _ModelRun:
    prepared: Prepared
    report: IngestReport
    pending: int = 0


def ingest_many(
    items: Iterable[Prepared],
    catalog: Catalog,
    work_dir: Path,
    opts: IngestOptions,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    log: RunLog | None = None,
    display: Display | None = None,
) -> list[IngestReport]:
    """Build, evaluate, publish and record every prepared model; builds fan out to ``executor``.

    ``items`` may be a generator that exports models one by one: builds of the first model already run on the
    workers while the next one exports here."""
    from ingest.backends import get_backend
    from ingest.executor import SerialExecutor
    from ingest.record import default_version, start_run

    backend = get_backend(opts.backend, work_dir=work_dir)
    runner = executor or SerialExecutor()
    say = _sayer(progress, log)
    cache_root = str(work_dir / "cache")
    runs: dict[str, _ModelRun] = {}
    futures: dict[Any, tuple[str, str, BuildJob]] = {}
    reports: list[IngestReport] = []
    try:
        for prep in items:
            slug = prep.source.slug
            version = opts.version or default_version(catalog, slug)
            run_id = start_run(catalog, prep, version, opts, log)
            report = IngestReport(slug, version, run_id, "running", devices=opts.devices)
            report.ran_stages, report.cached_stages = prep.ran_stages, prep.cached_stages
            report.log_path = str(log.path) if log else None
            run = runs[slug] = _ModelRun(prep, report)
            reports.append(report)
            for precision in prep.precisions:
                outcome = _queue(prep, precision, cache_root, opts, runner, futures, display)
                if outcome is None:
                    run.pending += 1
                else:
                    _record_build(run, precision, outcome, say, display)
            if run.pending == 0:
                _finish(run, catalog, work_dir, opts, backend, say, display)
        pending, retried = list(futures), set()
        while pending:
            resubmitted = []
            for future in runner.as_completed(pending):
                slug, precision, job = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool as exc:
                    # One worker died (the kernel's OOM killer, say) and took the pool with it: every build still
                    # queued there fails the same way, guilty or not. Each gets one more try in a fresh pool.
                    if (slug, precision) not in retried:
                        retried.add((slug, precision))
                        say(f"{slug}/{precision}: a worker process died; retrying once in a fresh process")
                        again = runner.submit(run_build, job)
                        futures[again] = (slug, precision, job)
                        resubmitted.append(again)
                        continue
                    outcome = failure(exc, hint=_DIED_HINT)
                except Exception as exc:  # the cluster went away
                    outcome = failure(exc)
                run = runs[slug]
                run.pending -= 1
                _record_build(run, precision, outcome, say, display)
                if run.pending == 0:
                    _finish(run, catalog, work_dir, opts, backend, say, display)
            pending = resubmitted
    finally:
        if executor is None:
            runner.close()
    return reports


_DIED_HINT = (
    "A worker process died twice on this build, most likely killed for memory (see `dmesg`). Run it alone with "
    "--workers 1, or give the machine more memory."
)


def _queue(
    prep: Prepared,
    precision: str,
    cache_root: str,
    opts: IngestOptions,
    runner: Executor,
    futures: dict[Any, tuple[str, str, BuildJob]],
    display: Display | None,
) -> dict[str, Any] | None:
    """The build's outcome when it is known now (failed up front, or every stage cached); else submit it."""
    slug = prep.source.slug
    if prep.error is not None:
        return {**prep.error, "status": "failed"}
    if prep.supported is not None and precision not in prep.supported:
        exc = UnsupportedPrecision(
            f"{slug} does not take precision {precision}: it supports {', '.join(prep.supported)}.",
            hint=f"Pick one of: {', '.join(prep.supported)}.",
        )
        return failure(exc)
    job = BuildJob(
        slug=slug,
        precision=precision,
        components={n: str(p) for n, p in prep.source.components.items()},
        digests=prep.digests,
        calibration=prep.calibration,
        eval=prep.eval,
        synthetic=prep.synthetic,
        cache_root=cache_root,
        profile_runs=opts.profile_runs,
        options=prep.options.get(precision, {}),
        sample_digests=prep.sample_digests,
        accept_degenerate=prep.accept_degenerate,
    )
    cached = run_build(job, cached_only=True)
    if cached is not None:
        return cached
    if display:
        display.stage(slug, precision, "optimize -> fidelity -> profile")
    futures[runner.submit(run_build, job)] = (slug, precision, job)
    return None


def _record_build(
    run: _ModelRun, precision: str, outcome: dict[str, Any], say: Progress, display: Display | None
) -> None:
    report = run.report
    for event in outcome.get("events", []):
        say(f"{report.model}: {event}")
    if outcome.get("traceback"):
        say(f"{report.model}/{precision} traceback:\n{outcome['traceback']}")
    report.ran_stages += int(outcome.get("ran", 0))
    report.cached_stages += int(outcome.get("cached", 0))
    report.builds[precision] = outcome
    if outcome["status"] == "built":
        say(f"{report.model}/{precision}: built")
    else:
        say(f"{report.model}/{precision}: failed: {outcome['error']}: {outcome['detail']}")
    if display:
        display.stage(report.model, precision, "built, waiting to publish" if outcome["status"] == "built" else "")
        if outcome["status"] != "built":
            display.done(report.model, precision, f"failed: {outcome['error']}")


def _finish(
    run: _ModelRun,
    catalog: Catalog,
    work_dir: Path,
    opts: IngestOptions,
    backend: Backend,
    say: Progress,
    display: Display | None,
) -> None:
    from ingest.evaluate import evaluate_builds
    from ingest.record import finish_run, publish, record_mlflow

    prep, report = run.prepared, run.report
    ok = {p: b for p, b in report.builds.items() if b.get("status") == "built"}
    try:
        if ok:
            if prep.task_metric is not None:
                say(f"{report.model}: evaluating {prep.task_metric.metric} on {prep.task_metric.dataset}")
                evaluate_builds(prep, ok, Path(work_dir / "cache"), report)
            for precision, build in ok.items():
                files = [Path(f) for comp in build["components"].values() for f in comp["files"]]
                if opts.backend == "qai-hub":
                    if display:
                        display.stage(report.model, precision, "AI Hub: compile -> profile on devices")
                    _hub_builds(prep, precision, build, opts, backend, say)
                build["device_benchmarks"] = _device_benchmarks(files, precision, opts.devices, backend=backend)
                # A device measurement anchors every estimate of the version (registry.service.anchoring): then
                # estimate every catalog device, not only the measured ones.
                estimate_on = None if _measured_on_device(build) else opts.devices
                build["device_benchmarks"] += _estimates(build, precision, estimate_on, work_dir / "cache", say)
            report.published = publish(catalog, prep, report.version, ok, work_dir)
            say(f"{report.model}@{report.version}: {'published' if report.published.created else 'unchanged'}")
            if opts.record_mlflow:
                report.mlflow = record_mlflow(catalog, prep, report, opts, work_dir, say)
    except Exception as exc:
        from registry.errors import RegistryError

        if not isinstance(exc, RegistryError):
            raise
        report.error = failure(exc)
        say(f"{report.model}: {exc}")
    built = len(ok) if report.error is None else 0
    report.status = "succeeded" if built == len(prep.precisions) else ("partial" if built else "failed")
    hub_failed = any(d["status"] == "failed" for b in ok.values() for d in b.get("device_builds", []))
    if report.status == "succeeded" and hub_failed:
        report.status = "partial"
    finish_run(catalog, report)
    if display:
        for precision in ok:
            display.done(report.model, precision, report.status if report.error is None else "failed")


def _device_benchmarks(
    build_files: list[Path], precision: str, devices: tuple[str, ...], *, backend: Backend | None = None
) -> list[dict[str, Any]]:
    """Per-device benchmarks of one build, through the backend (the local backend measures no device, so none;
    the estimator adds ``estimated`` figures here)."""
    if backend is None or not devices:
        return []
    out: list[dict[str, Any]] = []
    for device in devices:
        compiled = backend.compile(precision, build_files, device)
        out.extend(backend.profile(compiled, device))
    return out


def _measured_on_device(build: dict[str, Any]) -> bool:
    """Whether a backend measured this precision's build on a device (its portable build or one compiled)."""
    figures = [*build.get("device_benchmarks", []), *(b for hub in build.get("hub_builds", []) for b in hub.benchmarks)]
    return any(b.get("provenance") == "measured-device" and b.get("latency_ms") for b in figures)


def _estimates(
    build: dict[str, Any], precision: str, devices: tuple[str, ...] | None, cache_root: Path, say: Progress
) -> list[dict[str, Any]]:
    """``estimated`` figures of the portable build on each requested device (every catalog device when none
    was named), each with the estimator's version and its validated error for that device. Each graph's cost
    analysis is a cached stage (keyed by its optimize key and the analysis code), so a re-ingest only does the
    per-device arithmetic, against the installed estimator's parameters and device catalog."""
    from registry.estimator.predict import benchmarks_from_summaries

    try:
        summaries = {
            None if name == "model" else name: _graph_summary(comp, cache_root)
            for name, comp in build["components"].items()
        }
        out = benchmarks_from_summaries(summaries, precision, devices or None)
    except Exception as exc:  # an estimator that cannot read a graph must not cost the build its publish
        say(f"{precision}: no per-device estimates: {type(exc).__name__}: {exc}")
        return []
    for bench in out:  # the exact input shapes the graph was analysed at
        shapes = summaries[bench.get("component")].get("input_shapes")
        if shapes:
            bench.setdefault("details", {})["input_shapes"] = shapes
    return out


def _graph_summary(component: dict[str, Any], cache_root: Path) -> dict[str, Any]:
    """The build's graph cost summary, a cached stage keyed by the build's optimize key, the analysis code and the
    sizes given to the graph's symbolic input dims: those of the evaluation inputs the build was measured at, so
    an estimate is never made at a substituted size. ``summary["input_shapes"]`` is set only when every dynamic
    dim got its size that way."""
    from registry.estimator import graphcost

    path = Path(component["files"][0])
    dims, exact = _symbolic_sizes(path, component.get("input_shapes") or {})
    key = stage_key(
        "graphcost",
        built=component["optimize_key"],
        file=path.name,
        code=file_digest(Path(graphcost.__file__)),
        dims=dims,
    )

    def analyse(_out: Path) -> dict[str, Any]:
        summary: dict[str, Any] = graphcost.analyze_onnx(path, dims).summary()
        if exact and component.get("input_shapes"):
            summary["input_shapes"] = component["input_shapes"]
        return summary

    summary, _ = StageCache(cache_root).run("graphcost", key, analyse)
    return summary


def _symbolic_sizes(path: Path, shapes: dict[str, list[int]]) -> tuple[dict[str, int], bool]:
    """{dim_param: size} from the measured input shapes, and whether every dynamic input dim is covered."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    dims: dict[str, int] = {}
    exact = True
    for inp in model.graph.input:
        shape = shapes.get(inp.name)
        for axis, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                continue
            if d.dim_param and shape is not None and axis < len(shape):
                dims[d.dim_param] = int(shape[axis])
            else:
                exact = False
    return dims, exact


def _hub_builds(
    prep: Prepared, precision: str, build: dict[str, Any], opts: IngestOptions, backend: Backend, say: Progress
) -> None:
    """``--backend qai-hub``: AI Hub compiles this precision's build (the locally optimized ONNX, so the QDQ model
    for quantized precisions) for every runtime and target, profiles it on every device and runs the evaluation
    inputs there. Successful builds go to ``build["hub_builds"]`` (published as builds of their own); the
    ``onnx``/``any`` one is the portable build already published, so its device fidelity goes to
    ``build["device_evaluations"]`` and its benchmarks come through ``_device_benchmarks``. Every (runtime,
    target) is summarized in ``build["device_builds"]``; a failure there stops nothing else."""
    from ingest.backends.qaihub import QaiHubBackend
    from ingest.fidelity import run_model
    from registry.errors import RegistryError

    assert isinstance(backend, QaiHubBackend)
    comps = build["components"]
    model_files = {(None if n == "model" else n): _onnx_file(c["files"]) for n, c in comps.items()}
    single = next(iter(comps)) if len(comps) == 1 else None
    evals = prep.eval.get(single) if single else None
    runtimes = opts.runtimes or HUB_RUNTIMES
    summaries: list[dict[str, Any]] = []
    build["hub_builds"], build["device_evaluations"], build["device_builds"] = [], [], summaries
    say(f"{prep.source.slug}/{precision}: AI Hub: {', '.join(runtimes)} on {', '.join(opts.devices)}")
    try:
        made = backend.run(
            model_files,
            precision,
            runtimes,
            opts.devices,
            calibration=prep.calibration.get(single) if single else None,
            eval_inputs=evals,
            fp32_outputs=run_model(prep.source.components[single], evals) if single and evals else None,
            label=prep.source.slug,
        )
    except RegistryError as exc:  # nothing compiled for this precision (upload refused, no such device...)
        summaries.append({"runtime": "*", "target": "*", "status": "failed", "error": str(exc), "hint": exc.hint})
        say(f"{prep.source.slug}/{precision}: AI Hub: failed: {exc}")
        return
    for hub in made:
        summary: dict[str, Any] = {
            "runtime": hub.runtime,
            "target": hub.target,
            "status": "failed" if hub.error else "built",
            "devices": [b["device"] for b in hub.benchmarks],
            **{k: hub.details[k] for k in ("device_errors", "reattached_jobs", "compile_jobs") if k in hub.details},
        }
        if hub.error:
            summary["error"] = hub.error
            say(f"{prep.source.slug}/{precision}/{hub.runtime}/{hub.target}: AI Hub: failed: {hub.error}")
        elif (hub.runtime, hub.target) == ("onnx", "any"):
            build["device_evaluations"].extend(hub.evaluations)
        else:
            build["hub_builds"].append(hub)
        summaries.append(summary)


def _onnx_file(files: list[str]) -> Path:
    return next(Path(f) for f in files if Path(f).suffix == ".onnx")


def _sayer(progress: Progress | None, log: RunLog | None) -> Progress:
    def say(message: str) -> None:
        if log is not None:
            log.write(message)
        if progress is not None:
            progress(message)

    return say
