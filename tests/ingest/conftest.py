"""Fixtures shared by the ingest tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def registry_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A registry home for the whole module: zoo factories keep caches under it (the digits CNN's trained weights,
    Whisper's decoder inputs), and the user's own must stay untouched."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGISTRY_HOME", str(home))
        yield home
