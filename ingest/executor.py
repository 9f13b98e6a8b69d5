"""Where build stages run: in this process (``serial``), a local process pool (``process``, the default), or a
Dask distributed cluster (``dask://HOST:PORT``).

Processes, not threads: ``ingest.optimize`` changes the working directory while onnxruntime's quantization
tools run, which is not thread-safe. Workers are started lazily, so a run whose stages are all cached starts
none. A Dask cluster's workers must see the same work directory (same machine or a shared file system) and have
this package importable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import as_completed as _as_completed
from typing import Any, Protocol

from registry.errors import InvalidInput, require


class Executor(Protocol):
    name: str

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]: ...

    def close(self) -> None: ...


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class SerialExecutor:
    """Runs each stage at submit time, in this process (for debugging: tracebacks and breakpoints work)."""

    name = "serial"

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        return iter(list(futures))

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A local process pool of ``workers`` processes (spawned, so no onnxruntime or torch state is forked)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.name = f"process[{workers}]"
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        if self._pool is not None and getattr(self._pool, "_broken", False):
            self._pool.shutdown(wait=False, cancel_futures=True)  # a worker died; the pool cannot take work
            self._pool = None
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool.submit(fn, *args)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        return _as_completed(list(futures))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Stages submitted to a running Dask distributed scheduler at ``address`` (tcp://HOST:PORT)."""

    def __init__(self, address: str, timeout: str = "10s"):
        self.address = address
        self.timeout = timeout
        self.name = f"dask[{address}]"
        self._client: Any = None

    def _connect(self) -> Any:
        if self._client is None:
            distributed = require("distributed", "dask")
            try:
                self._client = distributed.Client(self.address, timeout=self.timeout)
            except (OSError, TimeoutError) as exc:
                raise InvalidInput(
                    f"Cannot reach the Dask scheduler at {self.address}: {exc}",
                    hint="Start one with `dask scheduler` (and `dask worker ADDRESS`), or use --executor process.",
                ) from exc
        return self._client

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._connect().submit(fn, *args, pure=False)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        distributed = require("distributed", "dask")
        items = list(futures)
        return iter(distributed.as_completed(items)) if items else iter(())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def make_executor(spec: str | None, workers: int | None = None) -> Executor:
    """``serial``, ``process`` (default) or ``dask://HOST:PORT``."""
    spec = (spec or "process").strip()
    if workers is not None and workers < 1:
        raise InvalidInput(f"--workers {workers}: need at least 1.", hint="e.g. --workers 2")
    if spec == "serial":
        return SerialExecutor()
    if spec == "process":
        return ProcessExecutor(workers or default_workers())
    if spec.startswith("dask://"):
        hostport = spec.removeprefix("dask://")
        if not hostport or ":" not in hostport:
            raise InvalidInput(f"'{spec}' has no HOST:PORT.", hint="e.g. --executor dask://127.0.0.1:8786")
        return DaskExecutor(f"tcp://{hostport}")
    raise InvalidInput(
        f"Unknown executor '{spec}'.", hint="Use process (default), serial, or dask://HOST:PORT for a Dask cluster."
    )
