"""The version lifecycle as a matrix: every transition x every scope, through the API, the SDK and the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.client.sdk import Client
from registry.embedded import EmbeddedCatalog
from registry.errors import Conflict, Forbidden, RegistryError, Unauthorized
from registry.service import lifecycle, lookup
from registry.service.audit import list_events
from registry.service.publish import publish_directory
from registry.service.tokens import create_token
from tests.fixtures.server import running_server
from tests.helpers import cli_env, write_publish_dir

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

STATES = ("active", "deprecated", "yanked")
ACTIONS = ("deprecate", "yank", "restore")
ROUTE_SCOPE = {"deprecate": "publish", "yank": "admin", "restore": "publish"}
RANK = {None: -1, "read": 0, "publish": 1, "admin": 2}


def expected(state: str, action: str, scope: str | None) -> int:
    """The status the rules promise: the route's scope, then the transition's own scope."""
    if scope is None:
        return 401
    if RANK[scope] < RANK[ROUTE_SCOPE[action]]:
        return 403
    target = lifecycle.ACTIONS[action]
    if state == target:
        return 200
    needed = lifecycle.TRANSITIONS.get((state, target))
    if needed is None:
        return 409
    return 200 if RANK[scope] >= RANK[needed] else 403


def put_in_state(catalog: EmbeddedCatalog, state: str) -> None:
    with catalog.session() as s:
        lifecycle.restore(s, "hello", "1.0.0", "reset for the next case")
        if state != "active":
            getattr(lifecycle, {"deprecated": "deprecate", "yanked": "yank"}[state])(s, "hello", "1.0.0", "case")


def status_of(catalog: EmbeddedCatalog) -> str:
    with catalog.session() as s:
        return lookup.get_version(s, lookup.get_model(s, "hello"), "1.0.0").status


@pytest.fixture
def served(
    catalog: EmbeddedCatalog, registry_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    with catalog.session() as s:
        publish_directory(s, catalog.store, write_publish_dir(tmp_path / "pub", slug="hello"))
        tokens = {scope: create_token(s, scope, f"{scope}-bot")[0] for scope in ("read", "publish", "admin")}
    with running_server(registry_env) as url:
        yield url, tokens


CASES = [
    (state, action, scope) for state in STATES for action in ACTIONS for scope in (None, "read", "publish", "admin")
]


def test_api_matrix(served: tuple[str, dict[str, str]], catalog: EmbeddedCatalog) -> None:
    api, tokens = served
    failures = []
    for state, action, scope in CASES:
        put_in_state(catalog, state)
        headers = {"Authorization": f"Bearer {tokens[scope]}"} if scope else {}
        r = httpx.post(f"{api}/v1/models/hello/versions/1.0.0/{action}", json={"reason": "matrix"}, headers=headers)
        want = expected(state, action, scope)
        after = status_of(catalog)
        should_be = lifecycle.ACTIONS[action] if want == 200 else state
        if r.status_code != want or after != should_be or ("error" not in r.json() and want != 200):
            failures.append((state, action, scope, r.status_code, want, after))
    assert not failures, failures


def test_sdk_matrix(served: tuple[str, dict[str, str]], catalog: EmbeddedCatalog) -> None:
    api, tokens = served
    errors: dict[int, type[RegistryError]] = {401: Unauthorized, 403: Forbidden, 409: Conflict}
    for state, action, scope in CASES:
        put_in_state(catalog, state)
        want = expected(state, action, scope)
        with Client(api, tokens[scope] if scope else None) as client:
            call = getattr(client, action)
            if want == 200:
                assert call("hello", "1.0.0", "sdk matrix").status == lifecycle.ACTIONS[action]
            else:
                with pytest.raises(errors[want]):
                    call("hello", "1.0.0", "sdk matrix")
                assert status_of(catalog) == state, (state, action, scope)


def test_restore_of_a_yank_needs_a_reason_and_is_audited(
    served: tuple[str, dict[str, str]], catalog: EmbeddedCatalog
) -> None:
    api, tokens = served
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    put_in_state(catalog, "yanked")
    r = httpx.post(f"{api}/v1/models/hello/versions/1.0.0/restore", json={}, headers=admin)
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    # An alias never points at a yanked version, and 'deprecate' does not undo the yank.
    pub = {"Authorization": f"Bearer {tokens['publish']}"}
    assert httpx.put(f"{api}/v1/models/hello/aliases/stable", json={"version": "1.0.0"}, headers=pub).status_code == 409
    assert httpx.post(f"{api}/v1/models/hello/versions/1.0.0/deprecate", json={}, headers=pub).status_code == 409
    r = httpx.post(f"{api}/v1/models/hello/versions/1.0.0/restore", json={"reason": "false alarm"}, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["build_count"] == 2
    assert httpx.get(f"{api}/v1/audit", headers=pub).status_code == 403
    events = httpx.get(f"{api}/v1/audit", params={"action": "version.restore"}, headers=admin).json()
    assert events[0]["token_name"] == "admin-bot" and events[0]["client"] == "127.0.0.1"
    assert events[0]["before"]["status"] == "yanked" and events[0]["after"]["status"] == "active"
    assert events[0]["at"].endswith("Z")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry", *args], env=cli_env(env), capture_output=True, text=True, timeout=60
    )


def test_cli_lifecycle_locally_and_restore_over_http(
    served: tuple[str, dict[str, str]], catalog: EmbeddedCatalog, registry_env: dict[str, str]
) -> None:
    api, tokens = served
    # Locally the CLI has the database itself, so the admin's rules apply; only the state machine can say no.
    put_in_state(catalog, "yanked")
    r = _cli(registry_env, "deprecate", "hello@1.0.0")
    assert r.returncode == 1 and "yanked" in r.stderr and "internal error" not in r.stderr
    r = _cli(registry_env, "restore", "hello@1.0.0")
    assert r.returncode == 2 and "needs a reason" in r.stderr
    assert _cli(registry_env, "restore", "hello@1.0.0", "--reason", "ok").returncode == 0
    assert status_of(catalog) == "active"
    # Over HTTP, `registry restore` uses the token's scope: publish cannot undo a yank, admin can.
    put_in_state(catalog, "yanked")
    remote = registry_env | {"REGISTRY_URL": api, "REGISTRY_TOKEN": tokens["publish"]}
    r = _cli(remote, "restore", "hello@1.0.0", "--reason", "mine")
    assert r.returncode == 1 and "admin" in r.stderr and status_of(catalog) == "yanked"
    remote["REGISTRY_TOKEN"] = tokens["admin"]
    assert _cli(remote, "restore", "hello@1.0.0", "--reason", "approved").returncode == 0
    assert status_of(catalog) == "active"
    audit = _cli(registry_env, "audit", "--json", "--action", "version.restore")
    assert audit.returncode == 0 and '"approved"' in audit.stdout
    with catalog.session() as s:
        clients = {e.client for e in list_events(s, action="version.restore")}
    assert {"local", "127.0.0.1"} <= clients
