"""Preparing a bring-your-own ONNX model for the pipeline: check each component, fix its exact input interface
(``ingest.byo_inputs``: pinning free dims, or refusing), and gather its calibration and evaluation samples
(``ingest.byo_data``: the user's, or synthetic ones at those shapes), recording where each came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ingest.byo import ByoInputs, ModelSource, check_onnx, split
from ingest.pipeline import Inputs, Prepared
from ingest.stagecache import StageCache, file_digest, stage_key
from registry.vocab import normalize_precision


def prepare_onnx(
    source: ModelSource,
    precisions: Iterable[str],
    calibration_samples: int = 24,
    *,
    byo: ByoInputs | None = None,
    cache_root: Path | None = None,
) -> Prepared:
    """Check each component, fix its exact input interface (pinning free dims, see ``ingest.byo_inputs``) and
    gather its data: the user's, or synthetic samples at those shapes."""
    from ingest.byo_inputs import resolve_interface, state_inputs

    byo = byo or ByoInputs()
    components: dict[str, Path] = {}
    prepared = Prepared(source=source, precisions=(), recipe_hash="", accept_degenerate=byo.accept_degenerate)
    for name, path in source.components.items():
        model = check_onnx(path)
        interface = resolve_interface(model, byo.shapes, state=state_inputs(model, byo.state), values=byo.values)
        if byo.size:
            interface = replace(interface, size=byo.size)
        components[name] = _pinned(path, interface, cache_root)
        prepared.interfaces[name] = interface.record()
        _gather_data(prepared, name, interface, byo, (source.calibration or {}).get(name), calibration_samples)
    source = replace(source, components=components)
    digests = {name: file_digest(path) for name, path in components.items()}
    prepared.source = source
    prepared.precisions = tuple(dict.fromkeys(normalize_precision(p) for p in precisions))
    prepared.recipe_hash = stage_key("source", digests=digests)
    prepared.digests = digests
    prepared.synthetic = any(d["evaluation"]["kind"] == "synthetic" for d in prepared.data.values())
    return prepared


def _gather_data(
    prepared: Prepared, name: str, interface: Any, byo: ByoInputs, given: list[Inputs] | None, count: int
) -> None:
    """Calibration and evaluation samples of one component, and the record of where they came from."""
    from ingest.byo_data import describe, load_dir, synthetic

    if given:
        samples, cal_record = given, {"kind": "given", "samples": len(given)}
    elif byo.calibration_data is not None:
        samples = load_dir(byo.calibration_data, interface, byo.preprocess, "--calibration-data")
        cal_record = describe(byo.calibration_data, len(samples), byo.preprocess)
    else:
        samples = synthetic(interface, count, seed=0)
        cal_record = describe(None, len(samples), None)
    if byo.eval_data is not None:
        prepared.calibration[name] = samples
        prepared.eval[name] = load_dir(byo.eval_data, interface, byo.preprocess, "--eval-data")
        eval_record = describe(byo.eval_data, len(prepared.eval[name]), byo.preprocess)
    else:
        prepared.calibration[name], prepared.eval[name] = split(samples, held_out=8)
        eval_record = {**cal_record, "samples": len(prepared.eval[name]), "held_out_from": "calibration"}
    prepared.data[name] = {"calibration": cal_record, "evaluation": eval_record}


def _pinned(path: Path, interface: Any, cache_root: Path | None) -> Path:
    """The FP32 file with the interface's shapes fixed (a cached stage), or ``path`` when nothing was free."""
    from ingest.byo_inputs import pin

    if not interface.pinned:
        return path
    if cache_root is None:
        raise ValueError("pinning input shapes needs a cache directory")
    key = stage_key("pin", source=file_digest(path), inputs=interface.shapes())
    result, _ = StageCache(cache_root).run("pin", key, lambda out: {"path": str(pin(path, interface, out))})
    return Path(result["path"])
