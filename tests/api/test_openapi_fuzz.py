"""A bounded schemathesis pass (``--checks all``, fixed seed) against a real uvicorn, anonymous and with an admin
token: the OpenAPI document must tell the truth (0 failures). About a minute."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from tests.fixtures.server import running_server
from tests.helpers import write_publish_dir

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CONFIG = Path(__file__).with_name("schemathesis.toml")


def _schemathesis(url: str, *headers: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    args = [exe, "--config-file", str(CONFIG), "run", f"{url}/openapi.json", "--checks", "all", "--seed", "1"]
    args += ["--max-examples", "20", "--generation-database", "none", "--workers", "1"]
    # Hypothesis's own health check (too many generated values filtered out) says nothing about the API
    args += ["--suppress-health-check", "filter_too_much,too_slow"]
    for h in headers:
        args += ["-H", h]
    # cwd: schemathesis keeps a crash cache in ./.schemathesis; tests write only to temp dirs
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd)


def test_schemathesis_finds_no_disagreement(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> None:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "pub", slug="hello"))
        admin = create_token(s, "admin")[0]
    with running_server(registry_env) as url:
        for headers in ((), (f"Authorization: Bearer {admin}",)):
            run = _schemathesis(url, *headers, cwd=tmp_path)
            assert run.returncode == 0, run.stdout[-6000:]
            assert " 0 failures" in run.stdout or "No issues found" in run.stdout or "passed" in run.stdout
