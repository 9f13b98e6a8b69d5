"""The vocabulary is spelled once (registry/vocab.py): code compares provenances, version statuses, token scopes and
runtimes against ``registry.vocab``'s names (``ESTIMATED``, ``YANKED``, ``ADMIN``, ``ONNX``, ...), never against a
string literal, so a typo cannot silently match nothing and a renamed value cannot leave a stale copy behind.

What the scan counts as a literal *value*: any ``str`` constant equal to a provenance or status anywhere in the code
of registry/, ingest/, ui/ and tools/, except where the same word is text or interface, not a value:
- docstrings and the text of f-strings, also inside their expressions unless compared (a message may say "is
  yanked", or ``{'published' if created else 'unchanged'}``);
- dictionary keys and subscript keys (``{"published": ...}`` in JSON output, ``row["status"]``): interface names;
- the inside of ``Literal[...]``: a pydantic wire type must spell its values; the tests below check each such type
  against the vocabulary instead.
Token scopes, runtimes and the portable target are also common words and names ("publish" is an audit action and a
work folder, "onnx" a package to import, "any" an anchoring level), so for them only comparisons are checked, and
for scopes also scope arguments (``scope=``, ``require_scope(...)``).
registry/vocab.py itself and migrations/ (frozen history) are not scanned.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

from registry import vocab

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("registry", "ingest", "ui", "tools")
VALUES = frozenset(vocab.PROVENANCES) | frozenset(vocab.VERSION_STATUSES)
SCOPES = frozenset(vocab.TOKEN_SCOPES)
COMPARED = SCOPES | frozenset(vocab.RUNTIMES) | {vocab.PORTABLE_TARGET}


def _sources() -> Iterator[Path]:
    for pkg in SCANNED:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path != ROOT / "registry" / "vocab.py":
                yield path


def _exempt_nodes(tree: ast.AST) -> set[int]:
    """ids of the string constants that are text or interface names (see the module docstring)."""
    exempt: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            exempt.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                mark(first)
        elif isinstance(node, ast.JoinedStr):  # text, also in its expressions, but not what they compare
            compared = {id(n) for c in ast.walk(node) if isinstance(c, ast.Compare) for n in ast.walk(c)}
            exempt.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant) and id(n) not in compared)
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                mark(key)
        elif isinstance(node, ast.Subscript):
            target = node.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name == "Literal" or (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
                mark(node.slice)
    return exempt


def _compared(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants compared (``==``, ``in`` a tuple, ...)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                yield from (n for n in ast.walk(side) if isinstance(n, ast.Constant))


def _scope_uses(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants used as a token scope: passed as ``scope=``, given to ``require_scope``, assigned to scope."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "scope":
            yield from (n for n in ast.walk(node.value) if isinstance(n, ast.Constant))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "require_scope":
            yield from (n for a in node.args for n in ast.walk(a) if isinstance(n, ast.Constant))
        elif isinstance(node, ast.AnnAssign | ast.Assign) and any(
            getattr(t, "attr", getattr(t, "id", None)) == "scope"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        ):
            yield from (n for n in ast.walk(node.value) if isinstance(n, ast.Constant)) if node.value else ()


def literal_values(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    exempt = _exempt_nodes(tree)
    where = path.relative_to(root)
    found = [
        f"{where}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in VALUES and id(node) not in exempt
    ]
    found += [
        f"{where}:{node.lineno}: {node.value!r} (compared)"
        for node in _compared(tree)
        if node.value in COMPARED and id(node) not in exempt
    ]
    found += [
        f"{where}:{node.lineno}: {node.value!r} (a scope)"
        for node in _scope_uses(tree)
        if node.value in SCOPES and id(node) not in exempt
    ]
    return sorted(set(found))


def test_no_vocabulary_literals_outside_vocab() -> None:
    found = [hit for path in _sources() for hit in literal_values(path)]
    assert not found, "use the names in registry/vocab.py instead of these literals:\n" + "\n".join(found)


def test_the_scan_sees_a_literal(tmp_path: Path) -> None:
    """The scan is not vacuous: it flags a comparison, an assignment and a scope, and spares text and keys."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring that says estimated."""\n'
        'def f(v, actor):\n    """yanked in a docstring"""\n'
        '    if v.status == "yanked" or actor.scope == "admin":\n        return {"published": f"is yanked"}\n'
        '    row = {"provenance": "measured-host"}\n'
        "    return row[\"estimated\"] + f\"{'active' if v.ok else v.status == 'deprecated'}\"\n"
        'def g(b):\n    return b.runtime == "tflite" or Actor(scope="read")\n',
        encoding="utf-8",
    )
    hits = literal_values(sample, tmp_path)
    flagged = sorted(h.split(": ", 1)[1] for h in hits)
    assert flagged == [
        "'admin' (compared)",
        "'deprecated'",
        "'measured-host'",
        "'read' (a scope)",
        "'tflite' (compared)",
        "'yanked'",
    ]


def test_wire_literal_types_agree_with_the_vocabulary() -> None:
    from registry.api.routes.team import TokenScope
    from registry.service.manifest import Provenance

    assert get_args(Provenance) == vocab.PROVENANCES
    assert get_args(TokenScope) == vocab.TOKEN_SCOPES


def test_vocabulary_tuples_keep_their_order() -> None:
    """Shown to users in this order (hints, help texts); the scopes' order is their rank."""
    assert vocab.PROVENANCES == ("measured-device", "measured-host", "estimated", "published")
    assert vocab.VERSION_STATUSES == ("active", "deprecated", "yanked")
    assert vocab.TOKEN_SCOPES == ("read", "publish", "admin")
    assert vocab.has_scope(vocab.ADMIN, vocab.PUBLISH) and not vocab.has_scope(vocab.READ, vocab.PUBLISH)
    assert not vocab.has_scope("owner", vocab.READ)


def test_database_checks_agree_with_the_vocabulary() -> None:
    """The tables' CHECK constraints are SQL text (and frozen in migrations/): they list exactly the vocabulary."""
    import re

    from sqlalchemy import CheckConstraint

    from registry.models import ApiToken, Benchmark, Evaluation, Version

    def listed(table: Any, name: str) -> tuple[str, ...]:
        (check,) = [c for c in table.__table__.constraints if isinstance(c, CheckConstraint) and c.name.endswith(name)]
        return tuple(re.findall(r"'([^']*)'", str(check.sqltext)))

    assert listed(Benchmark, "_provenance") == vocab.PROVENANCES
    assert listed(Evaluation, "_provenance") == vocab.PROVENANCES
    assert listed(Benchmark, "_build_unless_published") == (vocab.PUBLISHED,)
    assert listed(Version, "_status") == vocab.VERSION_STATUSES
    assert listed(ApiToken, "_scope") == vocab.TOKEN_SCOPES
    assert listed(Evaluation, "_unit") == tuple(vocab.EVALUATION_UNITS)
