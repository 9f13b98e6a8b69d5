"""The layer contract of docs/contributing.md, checked on the source: which package may import which (module-level
and inside functions alike), no private names imported across modules, no model definitions in ``registry/``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("registry", "ingest", "ui")  # what the wheel ships
INFRA = ("registry.models", "registry.db", "registry.storage", "registry.embedded", "registry.migrate")
FRONTS = ("registry.api", "registry.cli", "registry.client", "ingest", "ui")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. registry.service.catalog
    target: str  # the imported module (or module.name), e.g. registry.models
    names: tuple[str, ...]
    where: str  # path:line


@dataclass(frozen=True)
class Contract:
    layer: str  # a package prefix
    forbidden: tuple[str, ...]  # package prefixes it must not import
    why: str
    allowed: tuple[tuple[str, str], ...] = ()  # exact (source module, target prefix) exceptions, each a planned change


CONTRACTS = [
    Contract(
        "ui",
        (*INFRA, "registry.service", "registry.api", "registry.cli", "ingest"),
        "The UI reads only through registry.Client over HTTP (and the plain entities it returns).",
    ),
    Contract(
        "registry.entities",
        ("registry.", "ingest", "ui"),
        "The wire entities are plain data (pydantic): the service returns them, the API serves them, the SDK and the "
        "UI read them; they import only the vocabulary (leaf code: names and their normalisation).",
        allowed=(("registry.entities", "registry.vocab"),),
    ),
    Contract(
        "registry.client",
        (*INFRA[:3], "registry.api", "registry.cli", "ingest", "ui"),
        "The SDK speaks HTTP, or calls the service for the local catalog; never the ORM or the API code.",
    ),
    Contract(
        "registry.api",
        ("registry.cli", "registry.client", "ingest", "ui"),
        "Route handlers call the service; they never call the SDK or the CLI.",
    ),
    Contract(
        "registry.service",
        (*FRONTS, "registry.embedded"),
        "The service is called by the front doors; it knows none of them.",
    ),
    Contract(
        "registry.estimator",
        (*INFRA, "registry.devices.catalog", "registry.service", *FRONTS),
        "Pure functions over plain data (graph summaries, device specs); no database.",
    ),
    Contract("registry.models", ("registry.service", "registry.storage", "registry.devices", *FRONTS), "Tables only."),
    Contract(
        "registry.storage",
        ("registry.models", "registry.db", "registry.service", *FRONTS),
        "Blob stores know bytes and digests, not the catalog.",
    ),
    Contract("registry.devices", ("registry.service", *FRONTS), "The device catalog sits under the service."),
    Contract("registry.errors", ("registry.", "ingest", "ui"), "The error hierarchy imports nothing of ours."),
    Contract("registry.vocab", ("registry.models", "registry.service", *FRONTS), "Vocabulary is leaf code."),
    Contract("registry.settings", ("registry.models", "registry.service", *FRONTS), "Settings are leaf code."),
    Contract(
        "ingest",
        ("registry.api", "registry.cli", "registry.db", "registry.storage", "registry.models", "ui"),
        "Ingest writes the catalog through registry.service (in-process) or registry.client (remote).",
    ),  # IngestRun rows: planned move into the service
    Contract(
        "registry",
        ("ingest", "ui", "tools", "benchmarks", "tests"),
        "The runtime package needs neither the pipeline nor the UI nor development tools",
        allowed=(("registry.cli", "ingest"), ("registry.cli.ui_cmds", "ui")),
    ),  # the CLI's ingest and ui verbs
    Contract("ingest", ("tools", "benchmarks", "tests"), "Development tools are not shipped."),
    Contract("ui", ("tools", "benchmarks", "tests"), "Development tools are not shipped."),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(package: str) -> Iterator[Import]:
    for path in sorted((ROOT / package).rglob("*.py")):
        module = _module_name(path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, (), where)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                names = tuple(a.name for a in node.names)
                yield Import(module, target, names, where)
                for name in names:  # `from registry import client` imports registry.client
                    yield Import(module, f"{target}.{name}", (), where)


def _under(module: str, prefix: str) -> bool:
    return module == prefix.rstrip(".") or module.startswith(prefix if prefix.endswith(".") else prefix + ".")


@cache
def _all_imports() -> list[Import]:
    return [imp for package in (*PRODUCT, "tools") for imp in _imports(package)]


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: f"{c.layer}-{c.forbidden[0]}")
def test_layer_contract(contract: Contract) -> None:
    broken = [
        f"{imp.where}: {imp.source} imports {imp.target}"
        for imp in _all_imports()
        if _under(imp.source, contract.layer)
        and any(_under(imp.target, f) for f in contract.forbidden)
        and not any(_under(imp.source, src) and _under(imp.target, tgt) for src, tgt in contract.allowed)
    ]
    assert not broken, f"{contract.why}\n" + "\n".join(broken)


def test_contracts_see_real_imports() -> None:
    """The collector finds the imports the contracts talk about (a broken walker would pass every contract)."""
    found = {(i.source, i.target) for i in _all_imports()}
    assert ("registry.service.catalog", "registry.models") in found
    assert ("ui.api", "registry.entities") in found
    assert any(s.startswith("registry.cli") and t.startswith("ingest") for s, t in found)  # inside a function


def test_no_private_names_imported_across_modules() -> None:
    broken = [
        f"{imp.where}: from {imp.target} import {name}"
        for imp in _all_imports()
        for name in imp.names
        if name.startswith("_") and not name.startswith("__") and imp.target.split(".")[0] in (*PRODUCT, "tools")
    ]
    assert not broken, "Make the name public (drop the underscore) or move it where both modules can own it:\n" + (
        "\n".join(broken)
    )


def _defines_torch_module(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                text = ast.unparse(base)
                if text.endswith("Module") and ("nn" in text or "torch" in text):
                    return True
    return False


def test_registry_package_has_no_model_definitions() -> None:
    """The calibration zoo lives in tools/calibration; the runtime package ships only data and pure functions."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "registry").rglob("*.py")
        if _defines_torch_module(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert offenders == []
    assert _defines_torch_module(ast.parse((ROOT / "tools/calibration/zoo/mobile.py").read_text()))


def test_the_service_never_opens_a_transaction_or_a_connection() -> None:
    """Services take a Session and flush; the caller (the embedded backend, the API's request dependency or its
    resolve route's read connection) owns the transaction."""
    opened = []
    for path in sorted((ROOT / "registry" / "service").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "registry.db":
                opened += [f"{path.name}: imports transaction" for a in node.names if a.name == "transaction"]
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in ("commit", "begin", "connect", "sessionmaker"):
                opened.append(f"{path.name}:{func.lineno}: .{func.attr}()")
    assert opened == []


def test_the_estimator_and_the_offline_pull_never_load_the_database() -> None:
    """Device specs and names come from package data (registry.devices.specs / lookup), not the device tables."""
    import subprocess
    import sys

    code = (
        "import sys, registry.estimator.predict, registry.estimator.anchor, registry.estimator.fit, "
        "registry.client.offline\n"
        "from registry.devices import load_device_specs, resolve_device_spec\n"
        "assert resolve_device_spec('Samsung Galaxy S24').slug == 'sd8g3' and load_device_specs()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' or m.startswith('registry.models')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
