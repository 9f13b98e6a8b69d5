"""Every zoo model's card fits the manifest it is published with: a card field longer than the catalog's column is
refused at publish, after the whole ingest ran (as yolov8n's licence once was, at the end of `make demo`)."""

from __future__ import annotations

import ast
from pathlib import Path

from registry.service.manifest import ModelCard

ZOO = Path(__file__).resolve().parents[2] / "ingest" / "zoo"


def _card_strings() -> list[tuple[str, str, str]]:
    """(file:line, field, value) for every constant string given to a card field in ingest/zoo."""
    limited = {name for name, field in ModelCard.model_fields.items() if _max_length(field) is not None}
    found = []
    for path in sorted(ZOO.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in limited:
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    continue
                if isinstance(value, str):
                    found.append((f"{path.name}:{node.value.lineno}", node.arg, value))
    return found


def _max_length(field: object) -> int | None:
    for item in getattr(field, "metadata", []):
        if getattr(item, "max_length", None) is not None:
            return int(item.max_length)
    return None


def test_every_zoo_card_field_fits_its_manifest_column() -> None:
    strings = _card_strings()
    assert any(f == "license" for _, f, _ in strings)  # the scan sees the cards
    too_long = [
        f"{where}: {field} is {len(value)} characters (at most {_max_length(ModelCard.model_fields[field])})"
        for where, field, value in strings
        if len(value) > (_max_length(ModelCard.model_fields[field]) or 0)
    ]
    assert not too_long, "\n".join(too_long)
