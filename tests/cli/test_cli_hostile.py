"""Every reproduction from the hardening issue gets a one-line CLI error, never "internal error"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from registry.embedded import EmbeddedCatalog
from registry.service.publish import publish_directory
from tests.helpers import cli_env, rewrite_manifest, write_publish_dir


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry", *args], env=cli_env(env), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hostile_cli_input_is_a_clear_error(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> None:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "pub", slug="hello"))
    cases = [
        ("show", "hello@" + "1" * 4301 + ".0.0"),
        ("deprecate", "hello@" + "9" * 4301 + ".0.0"),
        ("yank", "hello@99999999999999999999.0.0"),
        ("publish", "a" * 10000),
    ]
    for version, name in (("99999999999999999999.0.0", "big"), ("1" * 10000 + ".0.0", "long")):
        d = write_publish_dir(tmp_path / name, slug="hello", version="2.0.0")
        rewrite_manifest(d, lambda m, v=version: m.update(version=v))
        cases.append(("publish", str(d)))
    d = write_publish_dir(tmp_path / "nl", slug="hello", version="2.0.0")
    rewrite_manifest(d, lambda m: m["model"].update(slug="evilnl\n"))
    cases.append(("publish", str(d)))
    for args in cases:
        r = _cli(registry_env, *args)
        assert r.returncode == 2, (args[0], r.stderr[-500:])
        assert r.stderr.startswith("error:") and "internal error" not in r.stderr and len(r.stderr) < 1000
    with catalog.session() as s:
        from registry.service.catalog import show_model

        assert [v.version for v in show_model(s, "hello").versions] == ["1.0.0"]


def test_token_create_on_an_uninitialised_home_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    r = _cli({"REGISTRY_HOME": str(home)}, "token", "create", "--scope", "admin")
    assert r.returncode == 1 and "registry init" in r.stderr
    assert not home.exists()
