"""Every page of the catalog UI under ``AppTest``, against a real API serving a seeded catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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


def test_explore(monkeypatch: pytest.MonkeyPatch, seeded_api: SeededApi) -> None:
    at = run_app(monkeypatch, seeded_api.url, device="sd8g3")
    print(at.dataframe[0].value.to_string())
    at = run_app(monkeypatch, seeded_api.url, page="model", model="yolov8", device="sd8g3")
    print([c.value for c in at.code])
    print(at.get("download_button"))
    print(at.dataframe[1].value.to_string())
    at = run_app(monkeypatch, seeded_api.url, page="compare", device="sd8g3")
    print([d.value.to_string() for d in at.dataframe])
    print(len(at.get("arrow_vega_lite_chart")))
    at = run_app(monkeypatch, seeded_api.url, page="devices", device="sd8g3")
    print(at.dataframe[0].value.head().to_string())
