"""Every view of the catalog UI under ``AppTest``, against a real API (uvicorn) serving a seeded catalog."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.server import free_port, running_server
from tests.ui.conftest import SeededApi

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def run_app(monkeypatch: pytest.MonkeyPatch, url: str, **params: str) -> AppTest:
    monkeypatch.setenv("REGISTRY_URL", url)
    at = AppTest.from_file(APP, default_timeout=30)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rows(at: AppTest, index: int = 0) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = at.dataframe[index].value.to_dict("records")
    return records


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [t.value for t in at.title]
    return "\n".join(parts + [s.value for s in at.subheader] + [i.value for i in at.info])


def test_catalog_shows_each_models_best_build_for_the_device_with_its_provenance(
    monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi
) -> None:
    at = run_app(monkeypatch, seeded_api.url, device="sd8g3")
    table = rows(at)
    # Sorted fastest first on the Snapdragon 8 Gen 3; each figure says where it comes from.
    assert [r["model"] for r in table] == ["mobilenet-v2", "yolov8", "minilm"]
    by_model = {r["model"]: r for r in table}
    assert by_model["mobilenet-v2"]["latency"] == "~0.6 ms (estimated, ±30%)"
    assert by_model["yolov8"]["latency"] == "1.9 ms · measured-device"
    assert by_model["yolov8"]["best build"] == "w8a8 · qnn_context_binary · qualcomm-snapdragon-8gen3"
    assert by_model["yolov8"]["accuracy"] == "recall 60.5% (float 63.0%) · measured-host"
    # Accuracy (a task metric) and fidelity to FP32 are separate columns: a cosine is never shown as accuracy.
    # Random weights never show an accuracy, even one published with them.
    assert (by_model["minilm"]["accuracy"], by_model["minilm"]["fidelity to FP32"]) == (
        "— (random weights: see fidelity)",
        "cosine 0.993 of 1 · measured-host",
    )
    assert by_model["minilm"]["latency"] == "3 ms · measured-host"
    assert by_model["yolov8"]["open"] == "?page=model&model=yolov8&device=sd8g3"
    assert "3 of 3 models — best build on Snapdragon 8 Gen 3 Mobile" in texts(at)
    assert "Accuracy: the model's task metric on its dataset, as a percentage" in texts(at)

    # Filtering by a widget narrows the rows and lands in the URL (a deep link).
    at.selectbox(key="qp_domain").select("nlp").run()
    assert [r["model"] for r in rows(at)] == ["minilm"]
    assert at.query_params["domain"] == "nlp"

    # Without a device, the row falls back to the host measurement, and says so.
    at = run_app(monkeypatch, seeded_api.url, q="yolo")
    assert [(r["model"], r["latency"]) for r in rows(at)] == [("yolov8", "23.7 ms · measured-host")]


def test_catalog_filters_from_a_deep_link_and_from_the_widgets(
    monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi
) -> None:
    at = run_app(monkeypatch, seeded_api.url, device="sd8g3", max_latency="1")
    assert [r["model"] for r in rows(at)] == ["mobilenet-v2"]
    steps: list[tuple[str, Any, list[str]]] = [
        # minilm has no latency figure for the 8 Gen 3 (host only), so a latency bound leaves it out.
        ("qp_max_latency", 100.0, ["mobilenet-v2", "yolov8"]),
        ("qp_min_accuracy", 70.0, ["mobilenet-v2"]),  # a percentage: top-1 72% passes, recall 63% does not
        ("qp_min_accuracy", 50.0, ["mobilenet-v2", "yolov8"]),
        ("qp_sort", "name", ["mobilenet-v2", "yolov8"]),
    ]
    at = _apply(at, steps)
    # Any accuracy at all: minilm's (random weights) does not count.
    at = run_app(monkeypatch, seeded_api.url, min_accuracy="0")
    assert [r["model"] for r in rows(at)] == ["mobilenet-v2", "yolov8"]
    at = run_app(monkeypatch, seeded_api.url, device="sd8g3")
    steps = [
        ("qp_precision", "w4a16", ["yolov8"]),
        ("qp_precision", "", ["mobilenet-v2", "yolov8", "minilm"]),
        ("qp_license", "agpl-3.0", ["yolov8"]),
        ("qp_license", "", ["mobilenet-v2", "yolov8", "minilm"]),
        ("qp_sort", "accuracy", ["mobilenet-v2", "yolov8", "minilm"]),
        ("qp_device", "sd8g2", ["mobilenet-v2", "yolov8", "minilm"]),
        ("qp_runtime", "qnn_context_binary", []),
    ]
    at = _apply(at, steps)
    # The view is in the URL: the link reproduces it.
    assert (at.query_params["device"], at.query_params["runtime"]) == ("sd8g2", "qnn_context_binary")


def _apply(at: AppTest, steps: list[tuple[str, Any, list[str]]]) -> AppTest:
    for key, value, expected in steps:
        if key.startswith("qp_m"):
            at.number_input(key=key).set_value(value).run()
        else:
            at.selectbox(key=key).set_value(value).run()
        assert not at.exception
        if expected:
            assert [r["model"] for r in rows(at)] == expected, (key, value)
        else:
            assert not at.dataframe and "No model matches these filters" in texts(at)
    return at


def test_catalog_empty_state_and_opening_a_model(monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi) -> None:
    at = run_app(monkeypatch, seeded_api.url, q="no-such-model", device="sd8g3")
    assert not at.dataframe and "No model matches these filters" in texts(at)
    at.button[0].click().run()  # "Clear filters" keeps the device, drops the rest
    assert len(rows(at)) == 3 and at.query_params["device"] == "sd8g3"

    at.selectbox(key="open_model").select("yolov8").run()
    next(b for b in at.button if b.label == "Open model page").click().run()
    assert not at.exception
    assert at.title[0].value == "YOLOv8n"
    assert at.query_params["page"] == "model" and at.query_params["model"] == "yolov8"


def test_model_page_card_figures_downloads_and_pinned_snippets(
    monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi
) -> None:
    at = run_app(monkeypatch, seeded_api.url, page="model", model="yolov8", device="Samsung Galaxy S24")
    assert at.title[0].value == "YOLOv8n"
    page = texts(at)
    assert "licence **agpl-3.0**" in page and "https://github.com/ultralytics/ultralytics" in page
    assert "real weights" in at.success[0].value
    # The chosen device first: one row per build that runs on it, its figure there beside the host's.
    pivot = {(r["precision"], r["runtime"]): r for r in rows(at, 0)}
    assert set(pivot) == {("float", "onnx"), ("w8a8", "onnx"), ("w4a16", "onnx"), ("w8a8", "qnn_context_binary")}
    assert pivot[("w8a8", "qnn_context_binary")]["latency on sd8g3"] == "1.9 ms · measured-device"
    assert (pivot[("w4a16", "onnx")]["latency on sd8g3"], pivot[("w4a16", "onnx")]["host CPU"]) == (
        "—",
        "30.0 ms · measured-host",
    )
    versions = rows(at, 3)
    assert [(v["version"], v["aliases"]) for v in versions] == [("1.1.0", ""), ("1.0.0", "stable")]
    builds = rows(at, 1)
    # An estimate for a chipset the estimator is not calibrated on is collapsed under a note, not in the table.
    assert "sd8g2" not in {b["device"] for b in builds}
    assert [(r["device"], r["latency"]) for r in rows(at, 2)] == [("sd8g2", "~50.0 ms (estimated, ±145%)")]
    assert "1 estimate(s) for 1 chipset(s) the estimator is not calibrated on" in [e.label for e in at.expander]
    figures = {(b["device"], b["precision"], b["runtime"]): b for b in builds}
    assert figures[("sd8g3", "w8a8", "onnx")]["latency"] == "~3.1 ms (estimated, ±22%)"
    assert figures[("host CPU", "w8a8", "onnx")]["latency"] == "23.7 ms · measured-host"
    ctx = figures[("sd8g3", "w8a8", "qnn_context_binary")]
    assert (ctx["latency"], ctx["memory"], ctx["compute units"]) == (
        "1.9 ms · measured-device",
        "12.5 MB",
        "NPU 100% (118)",
    )
    assert figures[("sd8g3", "float", "onnx")]["accuracy"] == "recall 63.0% · measured-host"
    assert "Best build on **Snapdragon 8 Gen 3 Mobile**: `w8a8 · qnn_context_binary`" in page

    downloads = at.get("download_button")
    assert len(downloads) == 4 and all(getattr(d, "label", "") == "Download model.bin" for d in downloads)
    snippets = [c.value for c in at.code]
    assert (
        "registry pull yolov8 --device sd8g3 --precision w8a8 --version 1.1.0 --runtime qnn_context_binary" in snippets
    )
    assert any('version="1.1.0"' in s and f'Client("{seeded_api.url}")' in s for s in snippets)

    # Pinning the older version (through its alias label) pins every snippet and lists its two builds.
    at.selectbox(key="qp_version").select("1.0.0").run()
    assert at.query_params["version"] == "1.0.0"
    assert len(at.get("download_button")) == 2
    assert "registry pull yolov8 --device sd8g3 --precision float --version 1.0.0 --runtime onnx" in [
        c.value for c in at.code
    ]


def test_a_model_opens_by_another_name_and_its_card_lists_them(
    monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi
) -> None:
    at = run_app(monkeypatch, seeded_api.url, page="model", model="mobilenet")
    assert at.title[0].value == "MobileNetV2"
    assert "Also answers to: `mobilenet` (`registry pull mobilenet ...` gets mobilenet-v2)" in texts(at)


def test_model_page_without_a_device_or_model(monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi) -> None:
    at = run_app(monkeypatch, seeded_api.url, page="model")
    assert "Pick a model above" in texts(at)
    at = run_app(monkeypatch, seeded_api.url, page="model", model="minilm")
    assert "random weights" in at.warning[0].value
    assert "Pick a device above for the `registry pull` command." in texts(at)
    builds = rows(at, 0)
    assert (builds[1]["accuracy"], builds[1]["fidelity to FP32"]) == (
        "— (random weights: see fidelity)",
        "cosine 0.993 of 1 · measured-host",
    )
    # A build measured per component shows its total with the parts, one row per host thread count.
    assert [(b["device"], b["latency"]) for b in builds if b["precision"] == "fp16"] == [
        ("host CPU · 1 thread", "9 ms · measured-host (total: decoder 5 ms + encoder 4 ms)"),
        ("host CPU · 2 threads", "5.5 ms · measured-host (total: decoder 3 ms + encoder 2.5 ms)"),
    ]
    at = run_app(monkeypatch, seeded_api.url, page="model", model="no-such-model")
    assert "No model" in at.error[0].value


def test_compare_page_pareto_front_heatmap_and_precisions(
    monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi
) -> None:
    at = run_app(monkeypatch, seeded_api.url, page="compare", device="sd8g3")
    # One chart and one Pareto front per task and metric (top-1 and recall never share an axis), then the heatmap
    # and the precision bars.
    assert len(at.get("vega_lite_chart")) == 4
    assert "**classification** · accuracy = top1 on val-100 (%)" in texts(at)
    assert "**object-detection** · accuracy = recall on val-100 (%)" in texts(at)
    front = rows(at, 0)
    assert [r["Pareto front"] for r in front] == ["mobilenet-v2 w8a8 · onnx", "mobilenet-v2 float · onnx"]
    assert {r["metric"] for r in rows(at, 1)} == {"recall on val-100"}
    # The heatmap's devices are chosen with a selector, the page's device first.
    assert at.multiselect(key="heatmap_devices").value[:2] == ["sd8g3", "host CPU"]
    # Or a whole family of devices at once (Mobile, IoT, Automotive, ...), each family its own readable row.
    family = at.selectbox(key="qp_family")
    assert family.options[1:] == ["Mobile (2 devices)"]
    at = family.select("Mobile").run()
    assert at.query_params["family"] == "Mobile" and not at.get("multiselect")
    heatmap = json.loads(at.get("vega_lite_chart")[2].proto.spec)
    assert heatmap["layer"][0]["encoding"]["x"]["sort"] == ["sd8g3", "host CPU", "sd8g2"]
    side = {r["model"]: r for r in rows(at, 2)}
    assert side["yolov8"]["INT8 (w8a8)"] == "1.9 ms · measured-device · recall 60.5%"
    assert side["yolov8"]["INT4 (w4a16)"] == "30.0 ms · measured-host"
    assert side["mobilenet-v2"]["INT4 (w4a16)"] == "no build"

    # A device with no figure for both axes gets an explanation instead of an empty chart.
    at = run_app(monkeypatch, seeded_api.url, page="compare", device="sd8g2", task="text-embedding")
    assert "No build here has both a latency figure for this device and an accuracy evaluation" in texts(at)


def test_devices_page_lists_skus_with_facts_and_build_counts(
    monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi
) -> None:
    at = run_app(monkeypatch, seeded_api.url, page="devices")
    table = {r["slug"]: r for r in rows(at)}
    assert len(table) == 29
    # Ten portable builds run everywhere; the 8 Gen 3 also has its context binary.
    assert (table["sd8g3"]["builds"], table["sd8g2"]["builds"], table["sd8g3"]["NPU"]) == (11, 10, "V75")
    at = run_app(monkeypatch, seeded_api.url, page="devices", q="sm8650", device="sd8g3")
    assert [r["slug"] for r in rows(at)] == ["sd8g3"]
    facts = {r["fact"]: r for r in rows(at, 1)}
    assert facts["npu_arch"]["value"] == "V75" and facts["npu_arch"]["source"]
    at = run_app(monkeypatch, seeded_api.url, page="devices", q="no-such-phone")
    assert "No device matches this filter." in texts(at)


def test_switching_views_from_the_sidebar(monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi) -> None:
    at = run_app(monkeypatch, seeded_api.url)
    assert at.title[0].value == "Catalog"
    at.radio(key="qp_page").set_value("compare").run()
    assert not at.exception and at.title[0].value == "Compare"
    assert at.query_params["device"] == "sd8g3"  # the device with the most builds, now in the link
    at.radio(key="qp_page").set_value("devices").run()
    assert not at.exception and at.title[0].value == "Devices"
    at.radio(key="qp_page").set_value("catalog").run()
    assert not at.exception and at.query_params == {"page": "catalog", "device": "sd8g3"}
    assert rows(at)[0]["latency"] == "~0.6 ms (estimated, ±30%)"


def test_every_page_says_when_the_api_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    at = run_app(monkeypatch, url, page="devices", model="yolov8")
    for page in ("catalog", "model", "compare", "devices"):
        at.radio(key="qp_page").set_value(page).run()
        assert not at.exception and at.query_params["page"] == page
        assert at.error[0].value == f"Cannot reach the registry API at {url}.", page
        assert "registry serve" in at.info[0].value and "REGISTRY_URL" in at.info[0].value


@pytest.fixture
def empty_api(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    shutil.copyfile(sqlite_template, tmp_path / "catalog.db")
    env = {
        "REGISTRY_HOME": str(tmp_path / "home"),
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'catalog.db'}",
        "REGISTRY_STORE_URL": (tmp_path / "blobs").as_uri(),
    }
    with running_server(env) as url:
        yield url


def test_an_empty_catalog_says_how_to_fill_it(monkeypatch: pytest.MonkeyPatch, empty_api: str) -> None:
    for page in ("catalog", "model", "compare"):
        at = run_app(monkeypatch, empty_api, page=page)
        assert "The catalog is empty. Publish a model with `registry publish DIR`" in at.info[0].value
