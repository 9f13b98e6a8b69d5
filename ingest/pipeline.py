"""The ingest pipeline: (export) -> optimize per precision -> fidelity -> host profile -> evaluate -> record.

A model arrives ``Prepared``: its card, one FP32 ONNX file per component (and the FP32 source of every other host
runtime, e.g. a float .tflite), calibration and evaluation inputs (a recipe's, or synthetic ones for
bring-your-own models) and, for zoo models, a task metric. Builds (one per (precision, runtime), ``BuildKey``)
are independent: they fan out to an executor (``ingest.executor``) as picklable ``BuildTask``s, and
their stages are cached by content (``ingest.stagecache``), so a re-run of an unchanged model skips finished
work and starts no worker at all. A build that fails is recorded with its error without stopping the others.
Task evaluation, the backend's device builds (``Backend.device_builds``), the per-device estimates, publishing
and MLflow recording stay in this process (``ingest.record``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.builds import BuildKey, BuildResult, ComponentResult
from ingest.byo import ByoInputs, ModelSource
from ingest.errors import UnsupportedPrecision
from ingest.stagecache import StageCache, file_digest, stage_key
from ingest.stages import BuildTask, digest_samples, failure, run_build
from registry.entities import PublishResult
from registry.vocab import ONNX

if TYPE_CHECKING:
    from ingest.backends import Backend
    from ingest.executor import Executor
    from ingest.record import Catalog
    from ingest.runlog import Display, RunLog
    from ingest.zoo.base import TaskMetric

DEFAULT_PRECISIONS = ("float", "fp16", "w8a8")
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
    # Host runtimes other than onnx (``ingest.converters``): runtime -> component -> its FP32 source and digest,
    # or why the model could not be converted to it (then every build of that runtime fails with that reason).
    runtimes: tuple[str, ...] = (ONNX,)
    sources: dict[str, dict[str, Path]] = field(default_factory=dict)
    source_digests: dict[str, dict[str, str]] = field(default_factory=dict)
    runtime_errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    io_names: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)

    def build_keys(self) -> tuple[list[BuildKey], list[BuildKey]]:
        """(every build to make, precision-major: (float, onnx), (float, tflite), (fp16, onnx), ...; the
        (precision, runtime) pairs skipped because that runtime has no such precision, e.g. w8a16 in tflite).
        ONNX takes every precision: one the model does not support fails with the reason."""
        from ingest.converters import converter

        made = {r: converter(r).precisions for r in self.runtimes if r != ONNX}
        keys = [BuildKey(p, r) for p in self.precisions for r in self.runtimes]
        return [k for k in keys if k.runtime == ONNX or k.precision in made[k.runtime]], [
            k for k in keys if k.runtime != ONNX and k.precision not in made[k.runtime]
        ]

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
    runtimes: tuple[str, ...] = ()  # the runtimes the backend compiles for devices (empty: its default)
    host_runtimes: tuple[str, ...] = (ONNX,)  # the runtimes built on this host (``ingest.converters``)


@dataclass
class IngestReport:
    model: str
    version: str
    run_id: int
    status: str
    builds: dict[BuildKey, BuildResult] = field(default_factory=dict)
    published: PublishResult | None = None
    cached_stages: int = 0
    ran_stages: int = 0
    mlflow: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    log_path: str | None = None
    devices: tuple[str, ...] = ()
    backend: str = "local"

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "run": self.run_id,
            "stages_run": self.ran_stages,
            "stages_cached": self.cached_stages,
            "builds": {key.label: build.summary() for key, build in self.builds.items()},
            "published": self.published.model_dump(mode="json") if self.published else None,
            "mlflow_run": (self.mlflow or {}).get("run_id"),
            "error": self.error,
            "devices": list(self.devices),
            "log": self.log_path,
        }

    def build(self, precision: str, runtime: str = ONNX) -> BuildResult:
        return self.builds[BuildKey(precision, runtime)]


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
    futures: dict[Any, tuple[str, BuildTask]] = {}
    reports: list[IngestReport] = []
    try:
        for prep in items:
            slug = prep.source.slug
            version = opts.version or default_version(catalog, slug)
            run_id = start_run(catalog, prep, version, opts, log)
            report = IngestReport(slug, version, run_id, "running", devices=opts.devices, backend=backend.name)
            report.ran_stages, report.cached_stages = prep.ran_stages, prep.cached_stages
            report.log_path = str(log.path) if log else None
            run = runs[slug] = _ModelRun(prep, report)
            reports.append(report)
            keys, skipped = prep.build_keys()
            for key in skipped:
                say(f"{slug}: no {key.label} build: {key.runtime} builds are {', '.join(_made(key.runtime))}")
            for key in keys:
                outcome = _queue(prep, key, cache_root, opts, runner, futures, display)
                if outcome is None:
                    run.pending += 1
                else:
                    _record_build(run, outcome, say, display, log)
            if run.pending == 0:
                _finish(run, catalog, work_dir, opts, backend, say, display)
        pending, retried = list(futures), set[tuple[str, BuildKey]]()
        while pending:
            resubmitted = []
            for future in runner.as_completed(pending):
                slug, job = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool as exc:
                    # One worker died (the kernel's OOM killer, say) and took the pool with it: every build still
                    # queued there fails the same way, guilty or not. Each gets one more try in a fresh pool.
                    if (slug, job.key) not in retried:
                        retried.add((slug, job.key))
                        say(f"{slug}/{job.key.label}: a worker process died; retrying once in a fresh process")
                        again = runner.submit(run_build, job)
                        futures[again] = (slug, job)
                        resubmitted.append(again)
                        continue
                    outcome = BuildResult.failed(job.key, failure(exc, hint=_DIED_HINT))
                except Exception as exc:  # the cluster went away
                    outcome = BuildResult.failed(job.key, failure(exc))
                run = runs[slug]
                run.pending -= 1
                _record_build(run, outcome, say, display, log)
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
    key: BuildKey,
    cache_root: str,
    opts: IngestOptions,
    runner: Executor,
    futures: dict[Any, tuple[str, BuildTask]],
    display: Display | None,
) -> BuildResult | None:
    """The build's outcome when it is known now (failed up front, or every stage cached); else submit it."""
    slug = prep.source.slug
    if prep.error is not None:
        return BuildResult.failed(key, prep.error)
    if key.runtime in prep.runtime_errors:  # the model did not convert to this runtime: every build says why
        return BuildResult.failed(key, prep.runtime_errors[key.runtime])
    supported = _supported(prep, key.runtime)
    if supported is not None and key.precision not in supported:
        runtime = "" if key.runtime == ONNX else f" for runtime {key.runtime}"
        exc = UnsupportedPrecision(
            f"{slug} does not take precision {key.precision}{runtime}: it supports {', '.join(supported)}.",
            hint=f"Pick one of: {', '.join(supported)}.",
        )
        return BuildResult.failed(key, failure(exc))
    onnx = {n: str(p) for n, p in prep.source.components.items()}
    job = BuildTask(
        slug=slug,
        precision=key.precision,
        components=onnx if key.runtime == ONNX else {n: str(p) for n, p in prep.sources[key.runtime].items()},
        digests=prep.digests if key.runtime == ONNX else prep.source_digests[key.runtime],
        calibration=prep.calibration,
        eval=prep.eval,
        synthetic=prep.synthetic,
        cache_root=cache_root,
        profile_runs=opts.profile_runs,
        options=prep.options.get(key.precision, {}),
        sample_digests=prep.sample_digests,
        accept_degenerate=prep.accept_degenerate,
        runtime=key.runtime,
        reference={} if key.runtime == ONNX else onnx,
        interfaces={} if key.runtime == ONNX else prep.io_names,
    )
    cached = run_build(job, cached_only=True)
    if cached is not None:
        return cached
    if display:
        display.stage(slug, key.label, "optimize -> fidelity -> profile")
    futures[runner.submit(run_build, job)] = (slug, job)
    return None


def _made(runtime: str) -> tuple[str, ...]:
    from ingest.converters import converter

    return converter(runtime).precisions


def _supported(prep: Prepared, runtime: str) -> tuple[str, ...] | None:
    """The precisions the model takes in ``runtime``: the model's own list, within what the converter makes."""
    if runtime == ONNX:
        return prep.supported
    from ingest.converters import converter

    made = converter(runtime).precisions
    return tuple(p for p in (prep.supported or made) if p in made)


def _record_build(
    run: _ModelRun, outcome: BuildResult, say: Progress, display: Display | None, log: RunLog | None
) -> None:
    report, label = run.report, outcome.key.label
    for event in outcome.events:
        say(f"{report.model}: {event}")
    if outcome.traceback:  # for whoever debugs it: the run log (the terminal has the failure's one line)
        (log.write if log is not None else say)(f"{report.model}/{label} traceback:\n{outcome.traceback}")
    report.ran_stages += outcome.ran
    report.cached_stages += outcome.cached
    report.builds[outcome.key] = outcome
    if outcome.built:
        say(f"{report.model}/{label}: built")
    else:
        say(f"{report.model}/{label}: failed: {outcome.error}: {outcome.detail}")
    if display:
        display.stage(report.model, label, "built, waiting to publish" if outcome.built else "")
        if not outcome.built:
            display.done(report.model, label, f"failed: {outcome.error}")


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
    ok = [b for b in report.builds.values() if b.built]
    try:
        if ok:
            if prep.task_metric is not None:
                say(f"{report.model}: evaluating {prep.task_metric.metric} on {prep.task_metric.dataset}")
                evaluate_builds(prep, ok, Path(work_dir / "cache"), report)
            for build in ok:
                if build.key.runtime == ONNX and opts.devices:  # a backend compiles from the portable ONNX
                    if display:
                        display.stage(report.model, build.key.label, f"{backend.name}: device builds")
                    _device_builds(prep, build, opts, backend, say)
                # A device measurement anchors every estimate of the version (registry.service.anchoring): then
                # estimate every catalog device, not only the measured ones.
                estimate_on = None if build.measured_on_device() else opts.devices
                build.device_benchmarks += _estimates(build, estimate_on, work_dir / "cache", say)
            report.published = publish(catalog, prep, report.version, ok, work_dir)
            say(f"{report.model}@{report.version}: {'published' if report.published.created else 'unchanged'}")
            if opts.record_mlflow:
                report.mlflow = record_mlflow(catalog, prep, report, opts, work_dir, say)
    except Exception as exc:
        from registry.errors import RegistryError

        if not isinstance(exc, RegistryError):
            raise
        report.error = failure(exc)
        if exc.code == "version_immutable":  # this ingest made other bytes than the version it would re-publish
            report.error["hint"] = _new_version_hint(report.model, report.version)
        say(f"{report.model}: {exc.detail} {report.error['hint'] or ''}".rstrip())
    built = len(ok) if report.error is None else 0
    report.status = "succeeded" if built == len(report.builds) else ("partial" if built else "failed")
    device_failed = any(d.error for b in ok for d in b.device_builds)
    if report.status == "succeeded" and device_failed:
        report.status = "partial"
    finish_run(catalog, report)
    if display:
        for build in ok:
            display.done(report.model, build.key.label, report.status if report.error is None else "failed")


def _new_version_hint(slug: str, version: str) -> str:
    """What to run when an ingest's builds differ from the published ``version`` (new weights, another exporter, a
    file more): the same ingest with the next patch version."""
    from registry.validation import semver_parts

    major, minor, patch, pre = semver_parts(version)  # a published version: valid
    bumped = f"{major}.{minor}.{patch}" if pre else f"{major}.{minor}.{patch + 1}"  # 1.0.0-rc1 -> 1.0.0
    return f"Published versions never change: re-run the ingest with --version {bumped} to publish these builds."


def _estimates(
    build: BuildResult, devices: tuple[str, ...] | None, cache_root: Path, say: Progress
) -> list[dict[str, Any]]:
    """``estimated`` figures of the portable build on each requested device (every catalog device when none
    was named), each with the estimator's version and its validated error for that device. Each graph's cost
    analysis is a cached stage (keyed by its optimize key and the analysis code), so a re-ingest only does the
    per-device arithmetic, against the installed estimator's parameters and device catalog."""
    from registry.estimator.predict import benchmarks_from_summaries

    try:
        summaries = {
            None if name == "model" else name: _graph_summary(comp, cache_root)
            for name, comp in build.components.items()
        }
        out = benchmarks_from_summaries(summaries, build.precision, devices or None, runtime=build.runtime)
    except Exception as exc:  # an estimator that cannot read a graph must not cost the build its publish
        say(f"{build.key.label}: no per-device estimates: {type(exc).__name__}: {exc}")
        return []
    for bench in out:  # the exact input shapes the graph was analysed at
        shapes = summaries[bench.get("component")].get("input_shapes")
        if shapes:
            bench.setdefault("details", {})["input_shapes"] = shapes
    return out


def _graph_summary(component: ComponentResult, cache_root: Path) -> dict[str, Any]:
    """The build's graph cost summary, a cached stage keyed by the build's optimize key, the analysis code and the
    sizes given to the graph's symbolic input dims: those of the evaluation inputs the build was measured at, so
    an estimate is never made at a substituted size. ``summary["input_shapes"]`` is set only when every dynamic
    dim got its size that way."""
    from registry.estimator import graphcost

    path = Path(component.graph)
    # The sizes of the graph's symbolic dims follow from the graph (its optimize key) and the measured shapes, so
    # those are the key: a cached re-run does not load the graph to read its inputs.
    key = stage_key(
        "graphcost",
        built=component.optimize_key,
        file=path.name,
        code=file_digest(Path(graphcost.__file__)),
        shapes=component.input_shapes,
    )

    def analyse(_out: Path) -> dict[str, Any]:
        dims, exact = _symbolic_sizes(path, component.input_shapes)
        summary: dict[str, Any] = graphcost.analyze_onnx(path, dims).summary()
        if exact and component.input_shapes:
            summary["input_shapes"] = component.input_shapes
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


def _device_builds(prep: Prepared, build: BuildResult, opts: IngestOptions, backend: Backend, say: Progress) -> None:
    """The backend's device builds of this precision's portable ONNX (the QDQ model for quantized precisions),
    each measured on the devices. The ``onnx``/``any`` one is the build already made here: its figures attach to
    it. The others are published as builds of their own. A failure stops nothing else."""
    from ingest.backends import DeviceBuild, DeviceRequest
    from registry.errors import RegistryError

    comps = build.components
    single = next(iter(comps)) if len(comps) == 1 else None
    request = DeviceRequest(
        slug=prep.source.slug,
        precision=build.precision,
        model_files={(None if n == "model" else n): c.path for n, c in comps.items()},
        devices=opts.devices,
        runtimes=opts.runtimes,
        calibration=prep.calibration.get(single) if single else None,
        eval_inputs=prep.eval.get(single) if single else None,
        reference=prep.source.components[single] if single else None,
    )
    say(f"{prep.source.slug}/{build.precision}: {backend.name}: device builds on {', '.join(opts.devices)}")
    try:
        made = backend.device_builds(request)
    except RegistryError as exc:  # nothing made for this precision (upload refused, no such device...)
        build.device_builds.append(DeviceBuild(build.precision, "*", "*", error=f"{exc} {exc.hint or ''}".strip()))
        say(f"{prep.source.slug}/{build.precision}: {backend.name}: failed: {exc}")
        return
    for device_build in made:
        if device_build.error:
            say(
                f"{prep.source.slug}/{build.precision}/{device_build.runtime}/{device_build.target}: failed: "
                f"{device_build.error}"
            )
        elif device_build.portable:
            build.device_benchmarks.extend(device_build.benchmarks)
            build.device_evaluations.extend(device_build.evaluations)
        build.device_builds.append(device_build)


def _sayer(progress: Progress | None, log: RunLog | None) -> Progress:
    def say(message: str) -> None:
        if log is not None:
            log.write(message)
        if progress is not None:
            progress(message)

    return say
