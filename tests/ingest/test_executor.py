"""Fan-out: the same picklable build stages on a local process pool and on a real Dask distributed cluster."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.builds import BuildResult
from ingest.executor import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from ingest.pipeline import IngestOptions, ingest_many
from ingest.recipe import load_recipe
from ingest.zoo_pipeline import prepare_recipes
from registry.embedded import EmbeddedCatalog
from registry.errors import InvalidInput
from registry.service.catalog import show_model
from tests.ingest.zoo_fixture import make_local, write_recipe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def local(sqlite_url: str, tmp_path: Path) -> EmbeddedCatalog:
    return make_local(sqlite_url, tmp_path)


def _run(local: EmbeddedCatalog, tmp_path: Path, executor: object, precisions: list[str]) -> list[BuildResult]:
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", precisions=precisions))
    [report] = ingest_many(
        prepare_recipes([recipe], tmp_path / "work"),
        local,
        tmp_path / "work",
        IngestOptions(profile_runs=3),
        executor=executor,  # type: ignore[arg-type]
    )
    assert report.published is not None and report.published.created
    return list(report.builds.values())


def test_builds_fan_out_to_a_process_pool(local: EmbeddedCatalog, tmp_path: Path) -> None:
    pool = ProcessExecutor(2)
    try:
        builds = _run(local, tmp_path, pool, ["float", "fp16", "w8a8"])
    finally:
        pool.close()
    workers = {b.worker or "" for b in builds}
    assert all(b.built for b in builds)
    assert all(not w.endswith(f":{os.getpid()}") for w in workers)  # built in the pool, not here
    with local.session() as s:
        assert {b.precision for b in show_model(s, "tiny-digits").builds} == {"float", "fp16", "w8a8"}


def test_builds_run_on_a_dask_cluster(local: EmbeddedCatalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with LocalCluster(host="127.0.0.1", dashboard_address=None, n_workers=1, processes=True) as cluster:  # type: ignore[no-untyped-call]
        address = cluster.scheduler_address
        dask = make_executor(f"dask://{address.removeprefix('tcp://')}")
        assert isinstance(dask, DaskExecutor)
        try:
            builds = _run(local, tmp_path, dask, ["float", "w8a8"])
            worker_pids = set(dask._connect().run(os.getpid).values())
        finally:
            dask.close()
    assert {int((b.worker or "").rsplit(":", 1)[1]) for b in builds} <= worker_pids
    assert os.getpid() not in worker_pids
    with local.session() as s:
        top1 = [e for b in show_model(s, "tiny-digits").builds for e in b.evaluations if e.metric == "top1"]
    assert len(top1) == 2  # the task metric ran here, on the builds the cluster made


def test_an_unreachable_dask_scheduler_and_bad_specs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Cannot reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout="1s").submit(print, 1)
    with pytest.raises(InvalidInput, match="Unknown executor 'threads'"):
        make_executor("threads")
    with pytest.raises(InvalidInput, match="no HOST:PORT"):
        make_executor("dask://")
    with pytest.raises(InvalidInput, match="at least 1"):
        make_executor("process", 0)
    assert isinstance(make_executor("serial"), SerialExecutor)


def test_the_progress_display_shows_each_model_and_precision_and_stays_off_without_a_terminal() -> None:
    import io

    from rich.console import Console

    from ingest.runlog import Display

    buf = io.StringIO()
    with Display(enabled=True, console=Console(file=buf, force_terminal=True, width=100)) as display:
        display.stage("tiny-digits", "w8a8", "optimize -> fidelity -> profile")
        display.done("tiny-digits", "w8a8", "succeeded")
        display.done("tiny-digits", "w4a16", "failed: unsupported_precision")
    text = buf.getvalue()
    assert "tiny-digits" in text and "w8a8" in text and "failed: unsupported_precision" in text
    quiet = Display()  # pytest's stderr is not a terminal
    assert not quiet.enabled
    with quiet:
        quiet.stage("m", "float", "x")  # a no-op, not an error


def _die() -> int:
    os._exit(9)  # what the kernel's OOM killer does to a worker, as far as the pool can tell


def test_a_worker_killed_mid_build_breaks_only_that_pool_and_the_next_submit_gets_a_fresh_one() -> None:
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessExecutor(1)
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(_die).result(timeout=120)
        assert pool.submit(os.getpid).result(timeout=120) != os.getpid()  # a retried build runs again
    finally:
        pool.close()
