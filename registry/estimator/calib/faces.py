"""Calibration graphs: faces models of Qualcomm's published AI Hub measurements (see build_graphs.py)."""

from __future__ import annotations

from typing import Any


def specs() -> dict[tuple[str, str], tuple[Any, str]]:
    """(model_id, component) -> (builder returning (module, example inputs), fidelity note)."""
    return {}
