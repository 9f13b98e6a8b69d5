"""Precision-transfer terms for anchoring across precision: learned only from other model families, they correct a
shift that every model shares (quantized builds gaining less than the estimator predicts on one runtime), and the
validation reports the anchored figures with and without them on the same targets."""

from __future__ import annotations

import math

import numpy as np

from registry.estimator import anchor_transfer
from registry.estimator.fit import Row

CHIPSETS = ("qualcomm-snapdragon-8gen3", "qualcomm-snapdragon-8-elite-gen5", "qualcomm-qcs9075", "qualcomm-sa8775p")


def _rows(shift: float) -> tuple[list[Row], np.ndarray]:
    """Twelve models, each its own family, float and w8a8 on onnx on four chipsets. The estimate is 10 ms everywhere;
    the measured figure carries the model's own residual, plus ``shift`` in log space for w8a8."""
    rng = np.random.default_rng(7)
    rows = []
    for m in range(12):
        own = float(rng.normal(0, 0.3))
        for chipset in CHIPSETS:
            for precision, extra in (("float", 0.0), ("w8a8", shift)):
                noise = float(rng.normal(0, 0.02))
                latency = 10 * math.exp(own + extra + noise)
                rows.append(
                    Row(f"m{m}", "", f"f{m}", chipset, "onnx", precision, precision, latency, None, (1, 0, 0), (), 0, 0)
                )
    return rows, np.full(len(rows), 10.0)


def test_a_shift_every_family_shares_is_learned_from_the_others() -> None:
    rows, pred = _rows(shift=0.4)
    report = anchor_transfer.validate(rows, pred, set(CHIPSETS))
    assert report is not None and report["pairs"] == 12 * 4 * 2 * 3  # each target: 3 other devices, other precision
    without, with_terms = report["overall"]["without_terms"], report["overall"]["with_terms"]
    assert without["median_ape"] > 25 and with_terms["median_ape"] < 10  # a ~40% miss, shrunk terms: under 10%
    assert report["one_anchor"]["with_terms"]["within_25"] > report["one_anchor"]["without_terms"]["within_25"]


def test_terms_never_see_the_targets_own_family() -> None:
    rows, _ = _rows(shift=0.0)
    # only model m0 has a shifted w8a8: its own terms come from the other families, which show no shift
    rows = [
        Row(**{**r.__dict__, "latency_ms": r.latency_ms * 3}) if r.model_id == "m0" and r.precision == "w8a8" else r
        for r in rows
    ]
    pairs = anchor_transfer.runtime_pairs(rows, set(CHIPSETS))
    log_res = [math.log(r.latency_ms / 10) for r in rows]
    terms = anchor_transfer.held_out_terms(rows, pairs, log_res, set(CHIPSETS))
    own = [abs(term) for (t, _), term in zip(pairs, terms, strict=True) if rows[t].model_id == "m0"]
    assert max(own) < 0.05  # m0's 3x gap is not learned back into its own anchoring
