"""The qai-hub tests: the unmodified qai_hub client against a loopback stand-in; no byte may leave the host."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.qaihub_standin import StandIn, StandInConfig

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HELLO_ONNX = Path(__file__).resolve().parents[2] / "docs" / "examples" / "hello" / "model.onnx"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test at once (pytest.fail is not an Exception, so no ``except`` swallows it) on any non-loopback
    connection or name lookup."""
    attempts: list[str] = []
    real_connect = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def _host(address: Any) -> str:
        return str(address[0] if isinstance(address, tuple) else address)

    def guarded_connect(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if _host(address) not in LOOPBACK:
            attempts.append(_host(address))
            pytest.fail(f"test tried to reach {_host(address)}: only loopback is allowed", pytrace=False)
        return real_connect(address, *args, **kwargs)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in LOOPBACK:
            attempts.append(str(host))
            pytest.fail(f"test tried to resolve {host}: only loopback is allowed", pytrace=False)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    assert not attempts, f"non-loopback network access: {attempts}"


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Short client-side back-off and polling, and no developer config file or token."""
    from qai_hub.client import Job
    from qai_hub.util import session

    monkeypatch.setattr(session, "BACKOFF_FACTOR", 0.01)
    monkeypatch.setattr(session, "MAX_RETRIES", 1)
    monkeypatch.setattr(Job, "_polling_interval", 1)
    monkeypatch.setenv("QAIHUB_CLIENT_INI", str(tmp_path / "no-client.ini"))
    monkeypatch.delenv("REGISTRY_QAIHUB_TOKEN", raising=False)
    monkeypatch.delenv("REGISTRY_QAIHUB_API_URL", raising=False)


@pytest.fixture
def standin_config() -> StandInConfig:
    # Published figures: MobileNet-v2 for portable runtimes, CenterNet-2D for QNN context binaries.
    return StandInConfig(perf_model="mobilenet_v2", perf_models={"qnn_context_binary": "centernet_2d"})


@pytest.fixture
def standin(standin_config: StandInConfig) -> Iterator[StandIn]:
    state = StandIn(standin_config).start()
    yield state
    state.stop()
    assert not state.errors, state.errors[0]
