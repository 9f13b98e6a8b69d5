"""One name per concept (docs/contributing.md, "One name per concept"): the names retired by the rename must not
come back, and no two modules are called ``local.py`` with different meanings."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("registry", "ingest", "ui")
RETIRED = (
    "LocalCatalog",
    "LocalStore",
    "LocalBackend",
    "BuildEntry",
    "FileEntry",
    "BuildJob",
    "BestBuild",
    "PulledFile",
)


def _sources() -> list[Path]:
    return [p for pkg in PRODUCT for p in (ROOT / pkg).rglob("*.py")]


def test_retired_names_are_gone() -> None:
    pattern = re.compile(r"\b(" + "|".join(RETIRED) + r")\b")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {m.group(1)}"
        for path in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (m := pattern.search(line))
    ]
    assert not found, "retired names (see docs/contributing.md):\n" + "\n".join(found)


def test_no_module_is_called_local() -> None:
    assert not [p.relative_to(ROOT) for p in _sources() if p.name == "local.py"]
