"""Refresh docs/screenshots/ from the catalog in REGISTRY_HOME (the one `make demo` builds): `make screenshots`.

Starts `registry ui` (UI + its own API) on that catalog on free loopback ports, opens each view in Debian's
Chromium through Playwright, waits for its heading and saves the PNG. Tests never write here: the browser test
saves its screenshots to artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
VIEWS = [  # (file, query, heading that shows the view rendered, viewport height)
    ("catalog", "?device=sd8g3", "Catalog", 1100),
    ("model", "?page=model&model=yolov8n&device=sd8g3", "YOLOv8n", 2000),
    ("compare", "?page=compare&device=sd8g3", "Latency vs accuracy on Snapdragon 8 Gen 3 Mobile", 1700),
    ("devices", "?page=devices&device=sd8g3", "Devices", 1100),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _catalog_has_the_zoo() -> bool:
    out = subprocess.run([sys.executable, "-m", "registry", "models", "--json"], capture_output=True, text=True)
    return out.returncode == 0 and "yolov8n" in {m["slug"] for m in json.loads(out.stdout or "[]")}


def main() -> int:
    from playwright.sync_api import expect, sync_playwright

    if not _catalog_has_the_zoo():
        print("screenshots: the catalog in REGISTRY_HOME has no zoo (no yolov8n): run `make demo` first.")
        return 1
    port = _free_port()
    log = ROOT / "artifacts" / "screenshots-ui.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        ui = subprocess.Popen([sys.executable, "-m", "registry", "ui", "--port", str(port)], stdout=out, stderr=out)
    try:
        for _ in range(600):
            if re.search(r"Started the API", log.read_text()) or ui.poll() is not None:
                break
            time.sleep(0.1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            for name, query, heading, height in VIEWS:
                page.set_viewport_size({"width": 1440, "height": height})
                page.goto(f"http://127.0.0.1:{port}/{query}")
                expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60_000)
                page.wait_for_timeout(1500)  # let the charts finish drawing
                OUT.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(f"screenshots: {OUT / name}.png")
            browser.close()
    finally:
        ui.terminate()
        ui.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
