"""The ``qai-hub`` backend: compile, profile and run a build on real Snapdragon devices through Qualcomm AI Hub.

It drives AI Hub the way Qualcomm's export scripts do, through the pinned ``qai-hub==0.56.0`` client
(extra ``qaihub``): upload the exported ONNX model; for quantized precisions either the locally quantized QDQ
model or, with ``quantize_on_hub``, a quantize job with the calibration samples uploaded as a dataset;
compile jobs per runtime (``tflite``, ``qnn_dlc``, ``onnx`` once, on the first device; ``qnn_context_binary``
and ``precompiled_qnn_onnx`` once per chipset); then one inference job with ``profile=True`` (0.56 folded
profile jobs into inference jobs) per build and device, on the evaluation inputs when given, whose outputs
are compared with the local FP32 outputs. Results are ``measured-device`` benchmark and evaluation dicts in
the publish manifest's shape, with job ids and links.

Entry point: ``QaiHubBackend(settings, work_dir=...).run(model_files, precision, runtimes, devices, ...)``.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.backends.base import DeviceBuild, DeviceRequest
from ingest.backends.qaihub_jobs import (
    HubConfig,
    JobStore,
    Retry,
    job_link,
    preflight,
    resolve_config,
    wait_all,
)
from ingest.backends.qaihub_results import (
    benchmark_dict,
    entries_of,
    evaluation_dict,
    file_digest,
    first_line,
    samples_digest,
    tool_versions,
)
from registry.errors import InvalidInput, MissingExtra, RegistryError
from registry.settings import Settings
from registry.vocab import ONNX, PORTABLE_TARGET, PRECOMPILED_QNN_ONNX, QNN_CONTEXT_BINARY, QNN_DLC, TFLITE

PORTABLE_RUNTIMES = (TFLITE, QNN_DLC, ONNX)
DEFAULT_RUNTIMES = (ONNX, TFLITE, QNN_CONTEXT_BINARY)  # --backend qai-hub without --runtimes
CHIPSET_RUNTIMES = (QNN_CONTEXT_BINARY, PRECOMPILED_QNN_ONNX)
POLL_ENV = "REGISTRY_QAIHUB_POLL_SECONDS"  # how often a running job is polled (default 10 s)
QUANT_DTYPES = {"w8a8": ("INT8", "INT8"), "w8a16": ("INT8", "INT16"), "w4a16": ("INT4", "INT16")}


@dataclass
class _Plan:
    runtime: str
    target: str
    compile_device: Any  # qai_hub.Device
    profile_devices: list[Any]
    build: DeviceBuild
    compile_jobs: dict[str | None, Any] = field(default_factory=dict)  # component -> CompileJob


class QaiHubBackend:
    name = "qai-hub"

    def __init__(
        self,
        settings: Settings,
        client: Any | None = None,
        *,
        work_dir: Path | None = None,
        poll_seconds: float = 10.0,
        job_timeout_s: float = 3 * 3600.0,
        retry: Retry | None = None,
        quantize_on_hub: bool = False,
        compile_options: str = "",
    ):
        self.settings = settings
        self._client = client
        self.work_dir = work_dir or settings.home / "ingest"  # the ingest work dir: job store and downloads
        self.poll_seconds = poll_seconds
        self.job_timeout_s = job_timeout_s
        self.retry = retry or Retry()
        self.quantize_on_hub = quantize_on_hub
        self.compile_options = compile_options
        self.config: HubConfig | None = None
        self._hub_names: dict[str, str] = {}  # a requested device name -> the AI Hub device it went to
        self._download_root = self.work_dir / "qaihub"

    # --- connection --------------------------------------------------------------------------------------
    def connect(self) -> Any:
        """The qai_hub client, after a fail-fast check of the token and the API URL."""
        if self._client is not None:
            return self._client
        self.config = resolve_config(self.settings)
        preflight(self.config)
        try:
            import qai_hub
        except ImportError as exc:
            raise MissingExtra(
                "The qai-hub backend needs the qai-hub client.", hint="pip install 'edge-model-registry[qaihub]'"
            ) from exc
        config = qai_hub.ClientConfig(
            api_token=self.config.api_token,
            api_url=self.config.api_url,
            web_url=self.config.web_url,
            verbose=False,
        )
        self._client = qai_hub.Client(config=config)
        return self._client

    def hub_devices(self, names: Sequence[str]) -> list[Any]:
        """The AI Hub device for each name: an AI Hub device name, or any name our device catalog resolves."""
        from registry.devices.catalog import resolve_device_spec

        available = self.connect().get_devices()
        found = []
        for name in names:
            exact = [d for d in available if d.name.casefold() == name.strip().casefold()]
            if exact:
                found.append(exact[0])
                continue
            spec = resolve_device_spec(name)
            on_chip = [d for d in available if f"chipset:{spec.chipset}" in d.attributes]
            if not on_chip:
                raise InvalidInput(
                    f"AI Hub offers no device with chipset {spec.chipset} (asked for '{name}').",
                    hint="`registry sync-qaihub-devices` lists what AI Hub offers; pick one of those.",
                )
            preferred = [d for n in spec.device_names for d in on_chip if d.name == n]
            found.append((preferred or on_chip)[0])
        return found

    # --- the entry point ---------------------------------------------------------------------------------
    def run(
        self,
        model_files: Mapping[str | None, Path],
        precision: str,
        runtimes: Sequence[str],
        devices: Sequence[str],
        *,
        calibration: Sequence[Mapping[str, np.ndarray]] | None = None,
        eval_inputs: Sequence[Mapping[str, np.ndarray]] | None = None,
        fp32_outputs: Sequence[Mapping[str, np.ndarray]] | None = None,
        job_store: JobStore | None = None,
        label: str | None = None,
    ) -> list[DeviceBuild]:
        """Compile ``model_files`` (component -> ONNX; ``None`` for a single-file model) for each runtime,
        profile each build on each device, and compare its outputs on ``eval_inputs`` with ``fp32_outputs``.

        One ``DeviceBuild`` per (runtime, target); a build whose job failed, timed out or stayed rate-limited
        carries ``error`` and the others go on. Evaluation inputs apply to single-component models. Downloads go
        to ``work_dir/qaihub/<label>/`` (the pipeline passes the model's slug).
        """
        unknown = [r for r in runtimes if r not in PORTABLE_RUNTIMES + CHIPSET_RUNTIMES]
        if unknown or not runtimes:
            raise InvalidInput(
                f"AI Hub cannot build runtime(s) {unknown or runtimes}.",
                hint=f"Choose from {', '.join(PORTABLE_RUNTIMES + CHIPSET_RUNTIMES)}.",
            )
        if not devices:
            raise InvalidInput("No devices given for the qai-hub backend.", hint="Pass --devices sd8g3,...")
        client = self.connect()
        hub_devices = self.hub_devices(devices)
        self._hub_names.update({name: device.name for name, device in zip(devices, hub_devices, strict=True)})
        self._download_root = self.work_dir / "qaihub" / label if label else self.work_dir / "qaihub"
        store = job_store or JobStore(self.work_dir / "qaihub-jobs.json")
        plans = self._plans(precision, runtimes, hub_devices)
        try:
            sources = {
                c: self._source_model(client, store, c, path, precision, calibration) for c, path in model_files.items()
            }
        except RegistryError:
            raise
        except Exception as exc:  # qai_hub.UserError / InternalError while uploading or quantizing
            raise RegistryError(
                f"AI Hub refused the model upload: {first_line(exc)}", hint="Nothing was compiled; re-run to retry."
            ) from exc
        self._compile(client, store, plans, sources)
        single = len(model_files) == 1
        inputs = eval_inputs if single and eval_inputs else None
        for plan in plans:
            if plan.build.error is None:
                self._download(plan)
        self._profile(client, store, plans, inputs, fp32_outputs if single else None)
        return [plan.build for plan in plans]

    # --- the pipeline's Backend protocol ---------------------------------------------------------------------
    def preflight(self, devices: Sequence[str]) -> None:
        """The token and API answer, and AI Hub offers a device for every name."""
        self.hub_devices(devices)

    def device_builds(self, request: DeviceRequest) -> list[DeviceBuild]:
        """Every runtime asked for (default ``DEFAULT_RUNTIMES``) compiled from the precision's portable ONNX,
        profiled and run on every device; the evaluation inputs (single-component models) are compared there with
        the FP32 reference's outputs."""
        from ingest.fidelity import run_model

        single = len(request.model_files) == 1
        evals = request.eval_inputs if single and request.eval_inputs else None
        fp32 = run_model(request.reference, evals) if evals and request.reference is not None else None
        return self.run(
            request.model_files,
            request.precision,
            request.runtimes or DEFAULT_RUNTIMES,
            request.devices,
            calibration=request.calibration if single else None,
            eval_inputs=evals,
            fp32_outputs=fp32,
            label=request.slug,
        )

    # --- stages ------------------------------------------------------------------------------------------
    def _plans(self, precision: str, runtimes: Sequence[str], hub_devices: list[Any]) -> list[_Plan]:
        plans = []
        for runtime in runtimes:
            if runtime in PORTABLE_RUNTIMES:
                build = DeviceBuild(precision, runtime, PORTABLE_TARGET)
                plans.append(_Plan(runtime, PORTABLE_TARGET, hub_devices[0], list(hub_devices), build))
                continue
            by_chipset: dict[str, list[Any]] = {}
            for device in hub_devices:
                by_chipset.setdefault(_chipset(device), []).append(device)
            for chipset, members in by_chipset.items():
                build = DeviceBuild(precision, runtime, chipset)
                plans.append(_Plan(runtime, chipset, members[0], members, build))
        return plans

    def _source_model(
        self,
        client: Any,
        store: JobStore,
        component: str | None,
        path: Path,
        precision: str,
        calibration: Sequence[Mapping[str, np.ndarray]] | None,
    ) -> Any:
        """The uploaded model (re-used by digest), or the target of a quantize job on AI Hub."""
        digest = file_digest(path)
        key = f"upload:{digest}"
        recorded = store.get(key)
        model = None
        if recorded:
            try:
                model = client.get_model(recorded["model_id"])
            except Exception:  # expired or deleted on AI Hub: upload again
                model = None
        if model is None:
            model = client.upload_model(str(path))
            store.record(key, "", "upload", model_id=model.model_id, component=component)
        if precision == "float" or precision == "fp16" or not self.quantize_on_hub:
            return model
        if not calibration:
            raise InvalidInput(
                f"A {precision} quantize job on AI Hub needs calibration samples.",
                hint="Give the recipe's calibration.",
            )
        import qai_hub

        weights, activations = QUANT_DTYPES.get(precision, ("INT8", "INT8"))
        qkey = f"quantize:{digest}:{precision}:{samples_digest(calibration)}"
        job = self._submit_or_attach(
            client,
            store,
            qkey,
            "quantize",
            lambda: client.submit_quantize_job(
                model,
                entries_of(calibration),
                weights_dtype=qai_hub.QuantizeDtype[weights],
                activations_dtype=qai_hub.QuantizeDtype[activations],
            ),
        )
        failure = wait_all({qkey: job}, timeout_s=self.job_timeout_s, poll_s=self.poll_seconds)[qkey]
        if failure:
            raise RegistryError(f"{precision} quantize job on AI Hub: {failure}", hint=job_link(job.job_id))
        return job.get_target_model()

    def _compile(self, client: Any, store: JobStore, plans: list[_Plan], sources: Mapping[str | None, Any]) -> None:
        waiting: dict[str, Any] = {}
        owners: dict[str, _Plan] = {}
        for plan in plans:
            options = f"--target_runtime {plan.runtime} {self.compile_options}".strip()
            for component, model in sources.items():
                # Portable builds are compiled once whatever the device list (target 'any'); chipset ones per chipset.
                key = f"compile:{component}:{model.model_id}:{plan.runtime}:{plan.target}:{options}"
                try:
                    job = self._submit_or_attach(
                        client,
                        store,
                        key,
                        "compile",
                        lambda m=model, d=plan.compile_device, o=options: client.submit_compile_job(
                            m, d, options=o, retry=False
                        ),
                        plan.build,
                    )
                except RegistryError as exc:
                    plan.build.error = str(exc)
                    break
                except Exception as exc:  # qai_hub.UserError / InternalError: recorded on this build only
                    plan.build.error = f"AI Hub refused the compile job: {first_line(exc)}"
                    break
                plan.compile_jobs[component] = job
                waiting[key], owners[key] = job, plan
                plan.build.details.setdefault("compile_jobs", {})[component or "model"] = {
                    "job_id": job.job_id,
                    "url": job_link(job.job_id),
                    "device": getattr(getattr(job, "device", None), "name", None) or plan.compile_device.name,
                    "options": options,
                }
        for key, failure in wait_all(waiting, timeout_s=self.job_timeout_s, poll_s=self.poll_seconds).items():
            if failure and owners[key].build.error is None:
                owners[key].build.error = failure

    def _download(self, plan: _Plan) -> None:
        folder = self._download_root / f"{plan.build.precision}-{plan.runtime}-{plan.target}"
        for component, job in plan.compile_jobs.items():
            target = folder / (component or "model")
            target.mkdir(parents=True, exist_ok=True)
            for old in target.iterdir():
                old.unlink()
            with contextlib.redirect_stdout(io.StringIO()):  # the client prints "Downloaded model to ..."
                path = job.download_target_model(str(target))
            if path is None:
                plan.build.error = f"AI Hub job {job.job_id} produced no target model."
                return
            plan.build.files.append(Path(path))
        plan.build.details["tool_versions"] = {}
        plan.build.details["backend"] = "qai-hub"

    def _profile(
        self,
        client: Any,
        store: JobStore,
        plans: list[_Plan],
        inputs: Sequence[Mapping[str, np.ndarray]] | None,
        fp32_outputs: Sequence[Mapping[str, np.ndarray]] | None,
    ) -> None:
        entries = entries_of(inputs) if inputs else None
        inputs_key = samples_digest(inputs) if inputs else "random"
        waiting: dict[str, Any] = {}
        owners: dict[str, tuple[_Plan, str | None, Any]] = {}
        for plan in plans:
            if plan.build.error is not None:
                continue
            for component, compile_job in plan.compile_jobs.items():
                target_model = compile_job.get_target_model()
                for device in plan.profile_devices:
                    key = f"profile:{component}:{compile_job.job_id}:{device.name}:{inputs_key}"
                    try:
                        job = self._submit_or_attach(
                            client,
                            store,
                            key,
                            "inference",
                            lambda m=target_model, d=device: client.submit_inference_job(
                                m, d, inputs=entries, profile=True, retry=False
                            ),
                            plan.build,
                        )
                    except Exception as exc:
                        _device_error(plan.build, device.name, first_line(exc))
                        continue
                    waiting[key], owners[key] = job, (plan, component, device)
        outcome = wait_all(waiting, timeout_s=self.job_timeout_s, poll_s=self.poll_seconds)
        for key, failure in outcome.items():
            plan, component, device = owners[key]
            job = waiting[key]
            if failure:
                _device_error(plan.build, device.name, failure)
                continue
            where = {"job_id": job.job_id, "device_name": device.name, "runtime": plan.runtime, "component": component}
            tools = tool_versions(client, job.job_id)
            plan.build.details["tool_versions"].update(tools)
            compile_job_id = plan.compile_jobs[component].job_id
            plan.build.benchmarks.append(
                benchmark_dict(
                    job.download_profile(), tools, compile_job_id=compile_job_id, chipset=_chipset(device), **where
                )
            )
            if fp32_outputs is not None and entries is not None:
                evaluation = evaluation_dict(job.download_output_data(), fp32_outputs, **where)
                if evaluation is not None:
                    plan.build.evaluations.append(evaluation)
        for plan in plans:
            if plan.build.error is None and not plan.build.benchmarks:
                failures = plan.build.details.get("device_errors", {})
                plan.build.error = "no device measured this build: " + "; ".join(
                    f"{d}: {e}" for d, e in failures.items()
                )

    def _submit_or_attach(
        self, client: Any, store: JobStore, key: str, kind: str, submit: Any, build: DeviceBuild | None = None
    ) -> Any:
        """Re-attach to the job recorded under ``key``, or submit it and record its id at once."""
        recorded = store.get(key)
        if recorded:
            job = client.get_job(recorded["job_id"])
            if not job.get_status().failure:  # running or done: re-attach; a failed job is submitted again
                if build is not None:
                    build.details.setdefault("reattached_jobs", []).append(job.job_id)
                return job
            store.forget(key)
            if build is not None:
                build.details.setdefault("resubmitted_failed_jobs", []).append(job.job_id)

        def on_retry(attempt: int) -> None:
            if build is not None:
                build.details["rate_limited_retries"] = build.details.get("rate_limited_retries", 0) + 1

        job = self.retry.call(submit, on_retry)
        store.record(key, job.job_id, kind)
        return job


def _device_error(build: DeviceBuild, device: str, message: str) -> None:
    build.details.setdefault("device_errors", {})[device] = message


def _chipset(device: Any) -> str:
    for attribute in device.attributes:
        if attribute.startswith("chipset:"):
            return str(attribute.split(":", 1)[1])
    raise InvalidInput(
        f"AI Hub device {device.name} names no chipset.",
        hint="Name the device by its chipset instead (e.g. sd8g3); `registry devices` lists them.",
    )


def make_backend(settings: Settings | None = None, *, work_dir: Path | None = None) -> QaiHubBackend:
    """The backend for ``get_backend("qai-hub")``: token and API checked now, so a bad setup fails before any work."""
    from registry.settings import get_settings

    poll = os.environ.get(POLL_ENV, "").strip()
    try:
        poll_seconds = float(poll) if poll else 10.0
    except ValueError:
        raise InvalidInput(f"{POLL_ENV}={poll!r} is not a number of seconds.", hint=f"e.g. {POLL_ENV}=30") from None
    backend = QaiHubBackend(settings or get_settings(), work_dir=work_dir, poll_seconds=poll_seconds)
    backend.connect()
    return backend
