"""50 concurrent pulls (threads and processes) of one build; S3 through the 307; SDK writes with tokens."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from registry import Client
from registry.embedded import EmbeddedCatalog
from registry.errors import Forbidden, IntegrityFailure, ModelNotFound, Unauthorized
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from registry.settings import get_settings
from tests.client.conftest import Server
from tests.fixtures.server import running_server
from tests.helpers import write_publish_dir

PROCESS_PULL = """
import json, sys
from pathlib import Path
from registry import Client
from registry.settings import get_settings
c = Client(sys.argv[1], settings=get_settings(cache_dir=Path(sys.argv[2])))
r = c.pull("big", "sd8g3", "float")
print(json.dumps([str(p) for p in r.paths]))
"""


def test_fifty_concurrent_pulls_of_one_build_end_correct_with_one_blob(
    sqlite_catalog: EmbeddedCatalog, server: Server, tmp_path: Path
) -> None:
    data = os.urandom(16 * 1024 * 1024)
    d = write_publish_dir(
        tmp_path / "pub", slug="big", builds=[{"precision": "float", "runtime": "onnx", "data": data}]
    )
    with sqlite_catalog.session() as s:
        publish_directory(s, sqlite_catalog.store, d)
    sha = hashlib.sha256(data).hexdigest()
    url = server.start()
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [
        subprocess.Popen([sys.executable, "-c", PROCESS_PULL, url, str(cache)], env=env, stdout=subprocess.PIPE)
        for _ in range(3)
    ]

    def pull(_: int) -> Any:
        with Client(url, settings=get_settings(cache_dir=cache)) as c:
            return c.pull("big", "sd8g3", "float")

    with ThreadPoolExecutor(max_workers=47) as pool:
        results = list(pool.map(pull, range(47)))
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    paths = {r.paths[0] for r in results} | {Path(o[0]) for o in outputs}
    assert len(paths) == 1 and hashlib.sha256(paths.pop().read_bytes()).hexdigest() == sha
    # Exactly one of the 47 threads downloaded (the processes may have won instead); every other waited.
    assert sum(sha in r.downloads for r in results) <= 1
    blobs = cache / "models--big" / "blobs"
    assert [p.name for p in blobs.iterdir() if p.is_file()] == [sha]
    assert list((blobs / ".incomplete").glob("*.part")) == []


@pytest.mark.s3
def test_s3_pull_follows_the_redirect_without_sending_the_token(
    s3_server: Any, s3_bucket: str, sqlite_url: str, tmp_path: Path
) -> None:
    env = {"REGISTRY_HOME": str(tmp_path / "h"), "REGISTRY_DATABASE_URL": sqlite_url, **s3_server.env(s3_bucket)}
    settings = get_settings(
        home=tmp_path / "h",
        database_url=sqlite_url,
        store_url=env["REGISTRY_STORE_URL"],
        s3_endpoint_url=s3_server.endpoint_url,
        s3_access_key_id=s3_server.access_key,
        s3_secret_access_key=s3_server.secret_key,
    )
    cat = EmbeddedCatalog(settings)
    d = write_publish_dir(tmp_path / "pub", slug="s3model")
    with cat.session() as s:
        publish_directory(s, cat.store, d)
        token, _ = create_token(s, "read")
    closed = {**env, "REGISTRY_PUBLIC_READ": "false"}
    cache = get_settings(cache_dir=tmp_path / "cache")
    with running_server(closed) as url, Client(url, token, settings=cache) as c:
        r = c.pull("s3model", "sd8g3", "float")
    (f,) = r.files
    stats = r.downloads[f.sha256]
    assert stats.statuses == [307, 200] and stats.redirected_to and "Signature" in stats.redirected_to
    assert stats.redirected_to.startswith(s3_server.endpoint_url) and stats.auth_sent_to_redirect is False
    assert f.local_path.read_bytes() == (d / f.path).read_bytes()
    cat.engine.dispose()


def test_sdk_writes_need_the_right_token_and_map_errors_back(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> None:
    """Runs on SQLite and PostgreSQL: publish over HTTP, alias, deprecate, yank."""
    with catalog.session() as s:
        tokens = {scope: create_token(s, scope)[0] for scope in ("read", "publish", "admin")}
    d = write_publish_dir(tmp_path / "pub", slug="sdkmodel", version="2.0.0")
    cache = get_settings(cache_dir=tmp_path / "cache")
    with running_server(registry_env) as url:
        with Client(url, settings=cache) as anon, pytest.raises(Unauthorized):
            anon.publish(d)
        with Client(url, tokens["read"], settings=cache) as reader, pytest.raises(Forbidden) as exc:
            reader.publish(d)
        assert exc.value.hint and "--scope publish" in exc.value.hint
        with Client(url, tokens["publish"], settings=cache) as pub:
            first = pub.publish(d)
            assert first.created and len(first.build_ids) == 2
            assert pub.publish(d).created is False  # same bytes: a no-op
            (d / "float-onnx-any" / "model.bin").write_bytes(b"other bytes")
            with pytest.raises(IntegrityFailure) as changed:  # caught before any byte is uploaded
                pub.publish(d)
            assert "the manifest says" in changed.value.detail
            assert pub.set_alias("sdkmodel", "stable", "2.0.0").aliases == ["stable"]
            assert pub.deprecate("sdkmodel", "2.0.0", "superseded").status == "deprecated"
            with pytest.raises(Forbidden):
                pub.yank("sdkmodel", "2.0.0")
            with pytest.raises(ModelNotFound):
                pub.set_alias("nosuch", "stable", "1.0.0")
            pulled = pub.pull("sdkmodel", "sd8g3", "int8", alias="stable")
            assert pulled.version == "2.0.0" and any("deprecated" in w for w in pulled.warnings)
        with Client(url, tokens["admin"], settings=cache) as admin:
            assert admin.yank("sdkmodel", "2.0.0", "broken").status == "yanked"
