"""Latency and memory of a build on this machine's CPU: ``measured-host`` figures.

The runtime is the build's: onnxruntime's CPU execution provider for ``onnx``, the LiteRT interpreter (XNNPACK)
for ``tflite`` (``ingest.converters.tflite.host_runner``).

Each thread setting runs in its own child process, so that:
- peak memory is the child's own high-water RSS after creating the session and running it, minus its RSS
  just before (interpreter, numpy, onnxruntime and the inputs already loaded): it covers the weights, the
  optimized graph, the arena and activations. On Linux it reads ``VmRSS`` / ``VmHWM`` from
  ``/proc/self/status`` and resets the high-water mark first (``/proc/self/clear_refs``); ``ru_maxrss``
  is not usable there, as Linux carries it across fork+exec from a large parent (pytest, a notebook).
  Elsewhere it falls back to ``getrusage`` (peak minus peak, which can under-count);
- one setting's allocator and thread pool cannot disturb the next;
- a hung or runaway model is killed at the time budget.

Sessions use graph optimizations (ORT_ENABLE_ALL), one inter-op thread and
``session.intra_op.allow_spinning=0``: with spinning, two-thread timings swing by milliseconds on small hosts.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from registry.errors import InvalidInput, RegistryError
from registry.vocab import ONNX

MEMORY_METHOD: Final = "child process: high-water RSS (VmHWM, reset before load) minus RSS before load"
_GRACE_SECONDS: Final = 20.0  # process start-up and imports, on top of a setting's share of the budget


class ProfileFailed(RegistryError):
    code = "profile_failed"
    status = 422


@dataclass(frozen=True)
class ThreadProfile:
    """Timings of one intra-op thread count. ``truncated``: the time budget stopped it before ``runs``."""

    threads: int
    runs: int
    p50_ms: float
    p90_ms: float
    mean_ms: float
    min_ms: float
    load_ms: float
    peak_memory_mb: float
    truncated: bool


@dataclass(frozen=True)
class HostProfile:
    results: tuple[ThreadProfile, ...]
    cpu: str
    logical_cores: int
    runtime_version: str  # e.g. "onnxruntime 1.20.1", "ai-edge-litert 2.3.0 (XNNPACK)"
    memory_method: str
    seconds: float

    @property
    def onnxruntime_version(self) -> str:
        """The onnxruntime version, for an ONNX build's profile."""
        name, _, version = self.runtime_version.partition(" ")
        return version if name == "onnxruntime" else ""

    def at(self, threads: int) -> ThreadProfile:
        for result in self.results:
            if result.threads == threads:
                return result
        raise KeyError(f"no profile for {threads} threads (have {[r.threads for r in self.results]})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def profile(
    path: Path,
    inputs: Mapping[str, np.ndarray] | Sequence[Mapping[str, np.ndarray]],
    *,
    threads: Sequence[int | str] = (1, "all"),
    warmup: int = 3,
    runs: int = 20,
    max_seconds: float = 60.0,
    runtime: str = ONNX,
) -> HostProfile:
    """Profile ``path`` on the CPU once per thread count (``"all"`` = every logical core).

    ``inputs`` is one input dict or a list of them (cycled through the runs). The whole call takes at most
    about ``max_seconds`` (plus process start-up); settings that run out of time report fewer runs.
    """
    started = time.perf_counter()
    path = Path(path).resolve()
    if not path.is_file():
        raise InvalidInput(f"No {'ONNX' if runtime == ONNX else runtime} file at '{path}'.")
    feeds = [dict(inputs)] if isinstance(inputs, Mapping) else [dict(feed) for feed in inputs]
    if not feeds:
        raise InvalidInput("profile() needs at least one input dict.")
    if runs < 1 or warmup < 0 or max_seconds <= 0:
        raise InvalidInput("profile() needs runs >= 1, warmup >= 0 and max_seconds > 0.")
    counts = _thread_counts(threads)
    results: list[ThreadProfile] = []
    version = ""
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
        inputs_file = Path(tmp) / "inputs.npz"
        arrays: dict[str, Any] = {f"{i}/{k}": v for i, feed in enumerate(feeds) for k, v in feed.items()}
        np.savez(inputs_file, **arrays)
        for index, count in enumerate(counts):
            remaining = max_seconds - (time.perf_counter() - started)
            share = max(remaining / (len(counts) - index), 0.5)
            report = _run_child(path, inputs_file, count, warmup, runs, share, runtime)
            version = report.pop("runtime_version")
            results.append(ThreadProfile(**report))
    return HostProfile(
        results=tuple(results),
        cpu=cpu_model(),
        logical_cores=os.cpu_count() or 1,
        runtime_version=version,
        memory_method=MEMORY_METHOD,
        seconds=round(time.perf_counter() - started, 2),
    )


def _thread_counts(threads: Sequence[int | str]) -> list[int]:
    cores = os.cpu_count() or 1
    counts: list[int] = []
    for value in threads:
        if value == "all":
            count = cores
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            count = value
        else:
            raise InvalidInput(f"Invalid thread count {value!r}.", hint='Use positive integers or "all".')
        if count not in counts:
            counts.append(count)
    if not counts:
        raise InvalidInput("profile() needs at least one thread count.")
    return counts


def _run_child(
    path: Path, inputs_file: Path, threads: int, warmup: int, runs: int, seconds: float, runtime: str
) -> dict[str, Any]:
    spec = {"path": str(path), "inputs": str(inputs_file), "threads": threads, "warmup": warmup, "runs": runs}
    spec["seconds"], spec["runtime"] = seconds, runtime
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import ingest.profile_host as p; p._child_main()", json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=seconds + _GRACE_SECONDS,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProfileFailed(
            f"Profiling {path.name} ({threads} thread(s)) did not end in {seconds + _GRACE_SECONDS:.0f} s.",
            hint="Raise max_seconds, or lower runs / warmup.",
        ) from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        raise ProfileFailed(f"Profiling {path.name} with {threads} thread(s) failed: {tail or 'no output'}")
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def _child_main() -> None:
    """Child process: load inputs, note peak RSS, create the session, warm up, time runs, print JSON."""
    from ingest.converters import converter

    spec = json.loads(sys.argv[1])
    loader = converter(spec.get("runtime", ONNX)).host_runner  # imports the runtime before the baseline
    version = converter(spec.get("runtime", ONNX)).runtime_version()
    deadline = time.perf_counter() + float(spec["seconds"])
    with np.load(spec["inputs"]) as archive:
        feeds: dict[int, dict[str, np.ndarray]] = {}
        for key in archive.files:
            index, name = key.split("/", 1)
            feeds.setdefault(int(index), {})[name] = archive[key]
    ordered = [feeds[i] for i in sorted(feeds)]
    baseline_kb = _start_peak_tracking()
    t0 = time.perf_counter()
    run = loader(Path(spec["path"]), int(spec["threads"]))
    load_ms = (time.perf_counter() - t0) * 1000.0
    for i in range(int(spec["warmup"])):
        if i and time.perf_counter() > deadline:
            break
        run(ordered[i % len(ordered)])
    timings: list[float] = []
    wanted = int(spec["runs"])
    while len(timings) < wanted and (not timings or time.perf_counter() < deadline):
        feed = ordered[len(timings) % len(ordered)]
        t0 = time.perf_counter()
        run(feed)
        timings.append((time.perf_counter() - t0) * 1000.0)
    peak_kb = _peak_rss_kb()
    values = np.asarray(timings)
    report = {
        "threads": int(spec["threads"]),
        "runs": len(timings),
        "p50_ms": round(float(np.percentile(values, 50)), 4),
        "p90_ms": round(float(np.percentile(values, 90)), 4),
        "mean_ms": round(float(values.mean()), 4),
        "min_ms": round(float(values.min()), 4),
        "load_ms": round(load_ms, 2),
        "peak_memory_mb": round(max(peak_kb - baseline_kb, 0) / 1024.0, 2),
        "truncated": len(timings) < wanted,
        "runtime_version": version,
    }
    print(json.dumps(report))


def _proc_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _start_peak_tracking() -> int:
    """The current RSS in KiB, after resetting the high-water mark to it (Linux); else the peak so far."""
    rss = _proc_status_kb("VmRSS")
    if rss is None:
        return _peak_rss_kb()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")  # reset VmHWM to the current RSS
    except OSError:
        return _proc_status_kb("VmHWM") or rss
    return rss


def _peak_rss_kb() -> int:
    peak = _proc_status_kb("VmHWM")
    if peak is not None:
        return peak
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss // 1024) if sys.platform == "darwin" else int(maxrss)  # macOS reports bytes


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"
