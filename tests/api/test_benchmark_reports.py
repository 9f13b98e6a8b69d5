"""`registry benchmark add` over HTTP (real uvicorn, SDK and CLI): a publish-scope token's name becomes the
reporter, the figure is shown as self-reported, the version's estimates are anchored on it, and absurd values come
back as the same error class."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry import Client
from registry.embedded import EmbeddedCatalog
from registry.errors import ImplausibleMeasurement, Unauthorized
from registry.service.tokens import create_token
from tests.estimator.test_estimate import small_onnx  # noqa: F401  (fixture)
from tests.fixtures.server import running_server
from tests.helpers import cli_env
from tests.service.test_anchoring import N_DEVICES, SD8G3, _publish


@pytest.fixture
def api(catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path, small_onnx: Path) -> Iterator[str]:  # noqa: F811
    _publish(catalog, tmp_path / "pub", small_onnx, slug="tinynet")
    with running_server(registry_env) as url:
        yield url


def test_benchmark_add_over_http_names_the_reporter_and_anchors_estimates(
    api: str, catalog: EmbeddedCatalog, tmp_path: Path
) -> None:
    with catalog.session() as s:
        publish = create_token(s, "publish", name="alice-ci")[0]
        read = create_token(s, "read", name="reader")[0]
        admin = create_token(s, "admin", name="ops")[0]
    estimate = next(
        b["latency_ms"]
        for b in httpx.get(f"{api}/v1/models/tinynet").json()["builds"][0]["benchmarks"]
        if b["device"] == SD8G3
    )
    with Client(url=api, token=read) as client, pytest.raises(Exception) as refused:
        client.add_benchmark("tinynet", "1.0.0", device="sd8g3", precision="float", runtime="onnx", latency_ms=1.0,
                             source="x")  # fmt: skip
    assert refused.value.__class__.__name__ == "Forbidden"
    with Client(url=api, token=publish) as client:
        with pytest.raises(ImplausibleMeasurement):
            client.add_benchmark("tinynet", "1.0.0", device="sd8g3", precision="float", runtime="onnx",
                                 latency_ms=500 * estimate, source="wrong unit")  # fmt: skip
        out = client.add_benchmark(
            "tinynet",
            "1.0.0",
            device="Samsung Galaxy S24",
            precision="float",
            runtime="onnx",
            latency_ms=2 * estimate,
            source="benchmark app, 100 runs",
        )
        assert out.benchmark.reported_by == "alice-ci" and out.anchored_estimates == 2 * N_DEVICES
        detail = client.model("tinynet")
    bench = [b for build in detail.builds for b in build.benchmarks]
    (mine,) = [b for b in bench if b.reported_by]
    assert mine.provenance == "measured-device" and mine.details["self_reported"] is True
    anchored = [b for b in bench if b.provenance == "estimated"]
    assert len(anchored) == 2 * N_DEVICES and all("reported by alice-ci" in (b.anchored_on or "") for b in anchored)
    # the audit log keeps the report with its reporter's token
    with Client(url=api, token=admin) as client:
        (event,) = client.audit(action="benchmark.report")
    assert event.token_name == "alice-ci" and event.target == "tinynet@1.0.0"
    assert event.after and event.after["benchmark"] == mine.id and event.after["latency_ms"] == 2 * estimate
    # the superseded estimates are still there, through the build's history
    history = httpx.get(f"{api}/v1/builds/{mine.build_id}/benchmarks").json()
    assert sum(1 for b in history if b["superseded_by"]) == N_DEVICES
    # the CLI: no token is a clear error; with one, the same path
    env = cli_env({"REGISTRY_URL": api, "REGISTRY_HOME": str(tmp_path / "cli-home")})
    args = [sys.executable, "-m", "registry", "benchmark", "add", "tinynet@1.0.0", "--device", "sd8g3",
            "--precision", "float", "--runtime", "onnx", "--latency-ms", str(2 * estimate),
            "--source", "cli run"]  # fmt: skip
    anon = subprocess.run(args, env=env, capture_output=True, text=True)
    assert anon.returncode != 0 and "publish" in anon.stderr and "Traceback" not in anon.stderr
    done = subprocess.run([*args, "--json"], env=env | {"REGISTRY_TOKEN": publish}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["benchmark"]["reported_by"] == "alice-ci"
    # `registry show` against the server says which estimates are anchored, on what, and who reported the figure
    shown = subprocess.run([sys.executable, "-m", "registry", "show", "tinynet"], env=env | {"COLUMNS": "300"},
                           capture_output=True, text=True)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "anchored estimates" in text and f"{N_DEVICES} of {N_DEVICES}" in text
    assert "reported by alice-ci: benchmark app" in text
    assert "[same]" in text  # the level, printed as written (not swallowed as markup)
    assert "self-reported measurements" in text and "alice-ci" in text
    assert Unauthorized.code == "unauthorized"
