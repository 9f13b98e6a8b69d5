"""The catalog UI in a real browser: `registry ui` (UI and embedded API) driven by Playwright with Debian's Chromium.

Filters the catalog, opens a model, downloads a build and checks its sha256, and saves a screenshot of every view
to artifacts/screenshots/ (ignored by git: a test run leaves the tree clean; `make screenshots` refreshes the README's
docs/screenshots/ from the demo catalog on purpose).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.fixtures.server import free_port
from tests.helpers import cli_env
from tests.ui.conftest import SeededApi

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
expect.set_options(timeout=20_000)  # a loaded CI machine renders slower; each wait still ends on an element
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`registry ui` exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def registry_ui(seeded_api: SeededApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`registry ui` with no --api: it starts its own API on the (seeded) embedded catalog. Yields both URLs."""
    port = free_port()
    log = tmp_path_factory.mktemp("ui-log") / "registry-ui.log"
    env = cli_env({**seeded_api.env, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry", "ui", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    ui_url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{ui_url}/_stcore/health", proc)
        found = None
        for _ in range(300):
            found = re.search(r"Started the API on the embedded catalog at (\S+)", log.read_text())
            if found or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert found, log.read_text()
        yield ui_url, found[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    # Stopping `registry ui` stops the API it started.
    assert found
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{found[1]}/healthz", timeout=2)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the last chart finish its transition
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_filter_open_a_model_and_download_a_build_whose_sha256_matches(
    page: Page, registry_ui: tuple[str, str], tmp_path: Path
) -> None:
    ui_url, api_url = registry_ui
    page.goto(f"{ui_url}/?device=sd8g3")
    expect(page.get_by_role("heading", name="Catalog")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("3 of 3 models — best build on Snapdragon 8 Gen 3 Mobile")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame'] canvas").first).to_be_visible()
    expect(page.get_by_role("button", name="Open model page")).to_be_visible()
    _shot(page, "catalog")

    # Min accuracy is a percentage of the task metric: top-1 72% passes 70, recall 63% does not, and minilm's
    # (random weights) never counts.
    minimum = page.get_by_role("spinbutton", name="Min accuracy (%)")
    minimum.fill("70")
    minimum.press("Enter")
    expect(page.get_by_text("1 of 3 models — best build on Snapdragon 8 Gen 3 Mobile")).to_be_visible()
    assert "min_accuracy=70" in page.url
    page.goto(f"{ui_url}/?device=sd8g3")
    expect(page.get_by_text("3 of 3 models — best build on Snapdragon 8 Gen 3 Mobile")).to_be_visible()

    search = page.get_by_role("textbox", name="Search")
    search.fill("yolo")
    search.press("Enter")
    expect(page.get_by_text("1 of 3 models — best build on Snapdragon 8 Gen 3 Mobile")).to_be_visible()
    assert "q=yolo" in page.url and "device=sd8g3" in page.url  # the filtered view is a deep link

    page.get_by_role("button", name="Open model page").click()
    expect(page.get_by_role("heading", name="YOLOv8n")).to_be_visible()
    pull = "registry pull yolov8 --device sd8g3 --precision w8a8 --version 1.1.0 --runtime qnn_context_binary"
    expect(page.get_by_text(pull)).to_be_visible()
    assert "page=model" in page.url and "model=yolov8" in page.url
    expect(page.get_by_role("radio", name="Model")).to_be_checked()
    expect(page.get_by_role("button", name="Download model.bin")).to_have_count(4)
    # The chosen device's builds first; estimates for uncalibrated chipsets collapsed under a note.
    expect(page.get_by_role("heading", name="On Snapdragon 8 Gen 3 Mobile (sd8g3): one row per build")).to_be_visible()
    expect(page.get_by_text("1 estimate(s) for 1 chipset(s) the estimator is not calibrated on")).to_be_visible()
    page.set_viewport_size({"width": 1440, "height": 2000})
    _shot(page, "model")
    page.set_viewport_size({"width": 1440, "height": 1100})

    build = httpx.get(f"{api_url}/v1/models/yolov8").json()["builds"][0]
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download model.bin").first.click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename == "model.bin"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == build["files"][0]["sha256"]
    assert saved.stat().st_size == build["files"][0]["size"]


def test_compare_and_devices_views_render_in_the_browser(page: Page, registry_ui: tuple[str, str]) -> None:
    ui_url, _ = registry_ui
    page.goto(f"{ui_url}/?page=compare&device=sd8g3")
    expect(page.get_by_role("heading", name="Latency vs accuracy on Snapdragon 8 Gen 3 Mobile")).to_be_visible(
        timeout=30_000
    )
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts).to_have_count(4)  # a latency-vs-accuracy chart per task and metric, the heatmap, the bars
    # Each chart names its task, metric and scale: top-1 and recall never share an axis or a front.
    expect(page.get_by_text("classification · accuracy = top1 on val-100 (%)", exact=True)).to_be_visible()
    expect(page.get_by_text("object-detection · accuracy = recall on val-100 (%)", exact=True)).to_be_visible()
    expect(page.get_by_text("text-embedding")).to_have_count(0)  # minilm's random weights have no accuracy
    expect(page.get_by_text("Devices in the heatmap")).to_be_visible()
    expect(charts.first.locator("canvas, svg").first).to_be_visible()
    page.set_viewport_size({"width": 1440, "height": 1700})
    _shot(page, "compare")
    page.set_viewport_size({"width": 1440, "height": 1100})

    # A whole family of devices in the heatmap, from a deep link: the hand-picking selector gives way to it.
    page.goto(f"{ui_url}/?page=compare&device=sd8g3&family=Mobile")
    family = page.get_by_role("combobox", name="Heatmap devices")
    expect(family).to_have_value("Mobile (2 devices)", timeout=30_000)
    expect(page.get_by_text("Devices in the heatmap")).to_have_count(0)
    expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(4)

    page.goto(f"{ui_url}/?page=devices&device=sd8g3")
    expect(page.get_by_role("heading", name="Devices")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Snapdragon 8 Gen 3 Mobile (sd8g3)")).to_be_visible()
    _shot(page, "devices")


def test_registry_ui_refuses_an_api_that_is_not_a_url() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "registry", "ui", "--api", "localhost:8000"],
        env=cli_env({"PYTHONPATH": str(ROOT)}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--api (or REGISTRY_URL) must be an http(s) URL" in out.stderr and "http://127.0.0.1:8000" in out.stderr


def test_registry_ui_takes_the_api_from_registry_url_like_every_other_command() -> None:
    # REGISTRY_URL names the server for pull, lock and sync; `registry ui` must use it too, not start its own API.
    out = subprocess.run(
        [sys.executable, "-m", "registry", "ui"],
        env=cli_env({"PYTHONPATH": str(ROOT), "REGISTRY_URL": "models.internal:8000"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "'models.internal:8000'" in out.stderr


def test_registry_ui_says_to_init_when_the_embedded_catalog_is_not_set_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from registry.cli.ui_cmds import _spawn_api, _wait_for_api
    from registry.errors import RegistryError

    monkeypatch.setenv("REGISTRY_HOME", str(tmp_path / "never-initialised"))
    server, log, url = _spawn_api()
    try:
        with pytest.raises(RegistryError) as exc:
            _wait_for_api(server, log, url)
    finally:
        server.kill()
        server.wait()
    assert "is not set up" in exc.value.detail and "registry init" in exc.value.detail
    assert exc.value.hint and "--api URL" in exc.value.hint
