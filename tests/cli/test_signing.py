"""Signed provenance through the CLI: key create/list/trust, sign, verify; a changed figure, file or statement
fails and the error names it; `pull --require-signature` and lockfiles, locally and against a real server."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

REGISTRY = [sys.executable, "-m", "registry"]
BUILDS = [
    {
        "precision": "w8a8",
        "runtime": "onnx",
        "benchmarks": [{"provenance": "measured-host", "source": "test-bench", "latency_ms": 3.5}],
        "evaluations": [{"dataset": "digits", "metric": "top1", "value": 0.91, "sample_count": 100, "source": "t"}],
    },
    {"precision": "float", "runtime": "onnx"},
]
PULL = ["pull", "hello@1.0.0", "-d", "sd8g3", "-p", "int8", "--require-signature", "--json"]


def run(env: dict[str, str], *args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*REGISTRY, *args], env=cli_env(env), capture_output=True, text=True, timeout=120, cwd=cwd)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def fails(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    proc = run(env, *args, cwd=cwd, ok=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


@pytest.fixture
def signed(tmp_path: Path) -> tuple[dict[str, str], dict[str, object]]:
    """hello@1.0.0 with a benchmark and an evaluation, signed by a new key of this home."""
    env = {"REGISTRY_HOME": str(tmp_path / "home"), "REGISTRY_CACHE_DIR": str(tmp_path / "cache")}
    run(env, "init")
    run(env, "publish", str(write_publish_dir(tmp_path / "pub", slug="hello", version="1.0.0", builds=BUILDS)))
    key = json.loads(run(env, "key", "create", "--name", "release-team", "--json").stdout)
    assert "no signature by a trusted key" in fails(env, "verify", "hello@1.0.0")
    run(env, "sign", "hello@1.0.0")
    return env, key


def sql(env: dict[str, str], statement: str, *args: object) -> None:
    with sqlite3.connect(Path(env["REGISTRY_HOME"]) / "catalog.db") as db:
        db.execute(statement, args)


def test_verify_passes_then_names_a_changed_figure_file_or_statement(
    signed: tuple[dict[str, str], dict[str, object]],
) -> None:
    env, key = signed
    ok = json.loads(run(env, "verify", "hello@1.0.0", "--json").stdout)
    assert ok["verified"] and ok["signed_by"] == [key["key_id"]] and ok["files"] == 2
    listed = json.loads(run(env, "key", "list", "--json").stdout)
    assert [(k["key_id"], k["origin"], k["name"]) for k in listed] == [(key["key_id"], "own", "release-team")]

    # A figure changed in the catalog after signing.
    sql(env, "UPDATE benchmarks SET latency_ms = 1.25")
    err = fails(env, "verify", "hello@1.0.0")
    figure = "figure (benchmark, measured-host, test-bench) of build w8a8/onnx/any"
    assert f"{figure}: latency_ms signed 3.5, now 1.25" in err
    sql(env, "UPDATE benchmarks SET latency_ms = 3.5")
    sql(env, "UPDATE evaluations SET value = 0.99")
    assert "value signed 0.91, now 0.99" in fails(env, "verify", "hello@1.0.0")
    sql(env, "UPDATE evaluations SET value = 0.91")
    run(env, "verify", "hello@1.0.0")

    # A file's bytes changed in the store.
    blob = next(p for p in (Path(env["REGISTRY_HOME"]) / "blobs" / "sha256").rglob("*") if p.is_file())
    original = blob.read_bytes()
    blob.chmod(0o644)
    blob.write_bytes(b"x" + original[1:])
    err = fails(env, "verify", "hello@1.0.0")
    assert "was changed: its stored bytes hash to" in err and "/onnx/any/" in err
    blob.write_bytes(original)
    run(env, "verify", "hello@1.0.0")

    # The stored statement rewritten (a figure improved) while keeping the signature.
    with sqlite3.connect(Path(env["REGISTRY_HOME"]) / "catalog.db") as db:
        (raw,) = db.execute("SELECT envelope FROM signatures").fetchone()
        envelope = json.loads(raw)
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["predicate"]["builds"][1]["figures"][0]["latency_ms"] = 0.5
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        db.execute("UPDATE signatures SET envelope = ?", (json.dumps(envelope),))
    assert "does not match its statement" in fails(env, "verify", "hello@1.0.0")


def test_pull_require_signature_trusts_only_trusted_keys(
    signed: tuple[dict[str, str], dict[str, object]], tmp_path: Path
) -> None:
    env, key = signed
    pulled = json.loads(run(env, *PULL).stdout)
    assert pulled["signed_by"] == [key["key_id"]] and pulled["version"] == "1.0.0"
    # Another user of the same catalog, who trusts no key yet.
    home = Path(env["REGISTRY_HOME"])
    other = {
        "REGISTRY_HOME": str(tmp_path / "other-home"),
        "REGISTRY_DATABASE_URL": f"sqlite:///{home / 'catalog.db'}",
        "REGISTRY_STORE_URL": (home / "blobs").as_uri(),
        "REGISTRY_CACHE_DIR": str(tmp_path / "other-cache"),
    }
    err = fails(other, *PULL, "-o", str(tmp_path / "out"))
    assert f"signed by untrusted key(s) {key['key_id']}" in err and not (tmp_path / "out").exists()
    run(other, "key", "trust", str(key["public_key"]), "--name", "release-team")
    assert json.loads(run(other, *PULL).stdout)["signed_by"] == [key["key_id"]]
    assert "is not an Ed25519 public key" in fails(other, "key", "trust", "ed25519:nope")


def test_remote_verify_pull_and_lock_record_the_signer(
    signed: tuple[dict[str, str], dict[str, object]], tmp_path: Path
) -> None:
    env, key = signed
    with running_server(env) as url:
        client = {
            "REGISTRY_URL": url,
            "REGISTRY_HOME": str(tmp_path / "client-home"),
            "REGISTRY_CACHE_DIR": str(tmp_path / "client-cache"),
        }
        assert "no signature by a trusted key" in fails(client, "verify", "hello@1.0.0")
        client["REGISTRY_TRUSTED_KEYS"] = str(key["public_key"])
        assert json.loads(run(client, "verify", "hello@1.0.0", "--json").stdout)["signed_by"] == [key["key_id"]]
        assert json.loads(run(client, *PULL).stdout)["signed_by"] == [key["key_id"]]
        app = tmp_path / "app"
        app.mkdir()
        (app / "registry.toml").write_text('[[model]]\nname = "hello"\ndevice = "sd8g3"\nprecision = "int8"\n')
        lock = json.loads(run(client, "lock", "--json", cwd=app).stdout)
        assert lock["models"][0]["signed_by"] == [key["key_id"]]
        run(client, "sync", "--frozen", cwd=app)
        # The server's catalog changes a figure: the client's verification names it, and sync refuses.
        sql(env, "UPDATE benchmarks SET latency_ms = 1.25")
        assert "latency_ms signed 3.5, now 1.25" in fails(client, "verify", "hello@1.0.0")
        assert "latency_ms signed 3.5, now 1.25" in fails(client, "sync", cwd=app)


def test_the_server_signs_what_is_published_and_a_publisher_uploads_a_signature(tmp_path: Path) -> None:
    server = {"REGISTRY_HOME": str(tmp_path / "server"), "REGISTRY_CACHE_DIR": str(tmp_path / "server-cache")}
    run(server, "init")
    server_key = json.loads(run(server, "key", "create", "--name", "server", "--json").stdout)
    token = json.loads(run(server, "token", "create", "--scope", "publish", "--json").stdout)["token"]
    server["REGISTRY_SIGNING_KEY"] = str(server_key["key_id"])
    with running_server(server) as url:
        publisher = {
            "REGISTRY_URL": url,
            "REGISTRY_TOKEN": token,
            "REGISTRY_HOME": str(tmp_path / "publisher"),
            "REGISTRY_CACHE_DIR": str(tmp_path / "publisher-cache"),
        }
        pub = write_publish_dir(tmp_path / "pub", slug="hello", version="1.0.0", builds=BUILDS)
        from registry.client.sdk import Client

        with Client(url, token=token) as client:  # remote publish over the API (blobs, then the version)
            assert client.publish(pub).created
        publisher["REGISTRY_TRUSTED_KEYS"] = str(server_key["public_key"])
        by_server = json.loads(run(publisher, "verify", "hello@1.0.0", "--json").stdout)
        assert by_server["signed_by"] == [server_key["key_id"]]
        own = json.loads(run(publisher, "key", "create", "--json").stdout)
        run(publisher, "sign", "hello@1.0.0")  # signed here, uploaded with the publish token
        both = json.loads(run(publisher, "verify", "hello@1.0.0", "--json").stdout)
        assert both["signed_by"] == sorted([server_key["key_id"], own["key_id"]])
        anonymous = {k: v for k, v in publisher.items() if k != "REGISTRY_TOKEN"}
        assert "publish" in fails(anonymous, "sign", "hello@1.0.0")
