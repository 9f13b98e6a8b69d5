"""Precision-transfer terms for anchoring across precision, validated on models the terms never saw.

An anchor of another precision on the same runtime (level ``runtime``) moves a target by the anchor's log residual.
When the residual does not carry over between precisions in a systematic way (a w8a8 build of every model gaining
less from quantization on one runtime than the estimator predicts), a learned term can correct it:

    anchored(target) = predicted(target) x exp(median over anchors of (log residual(anchor) + T))
    T = T(from precision, to precision, runtime) + T(from precision, to precision, runtime, target chipset)

each term the median of ``log residual(target) - log residual(anchor)`` over anchor pairs of other model families
(nested: the target's family never contributes), shrunk towards 0 by ``n / (n + SHRINK)`` (n: the pairs behind it),
the finer term fitted on what the coarser one leaves. ``validate`` measures the anchored figures with and without
the terms on the same targets, with every other device as anchors and with one anchor device, as
``anchor_cv.validate`` does. Needs numpy.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from registry.estimator.anchor import mirrored_chipset

if TYPE_CHECKING:
    from registry.estimator.fit import Row

SHRINK = 50.0  # pairs' worth of evidence before a term counts fully


def runtime_pairs(rows: Sequence[Row], known: Collection[str]) -> list[tuple[int, int]]:
    """(target, anchor) row pairs of the ``runtime`` level: the same model and component, the same runtime, another
    precision, another device (the target's chipset and the chipset it mirrors are never anchors)."""
    mirror = {c: mirrored_chipset(c, known) for c in {r.chipset for r in rows}}
    from registry.estimator.anchor_cv import model_groups

    pairs = []
    for members in model_groups(rows).values():
        for t in members:
            target = rows[t]
            pairs += [
                (t, a)
                for a in members
                if rows[a].runtime == target.runtime
                and rows[a].precision != target.precision
                and mirror[rows[a].chipset] != mirror[target.chipset]
            ]
    return pairs


def _keys(rows: Sequence[Row], pairs: Sequence[tuple[int, int]], known: Collection[str]) -> list[list[tuple[str, ...]]]:
    """Per pair: the coarse key (from, to, runtime) and the fine key (..., target chipset)."""
    coarse: list[tuple[str, ...]] = [(rows[a].precision, rows[t].precision, rows[t].runtime) for t, a in pairs]
    fine: list[tuple[str, ...]] = [
        (*c, mirrored_chipset(rows[t].chipset, known)) for c, (t, _) in zip(coarse, pairs, strict=True)
    ]
    return [coarse, fine]


def _fold_medians(
    keys: Sequence[tuple[str, ...]], family: Sequence[str], values: Any
) -> dict[tuple[tuple[str, ...], str], float]:
    """Per (key, family): the shrunk median of ``values(i, family)`` over the key's pairs of the other families."""
    by_key: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        by_key[k].append(i)
    learned = {}
    for k, members in by_key.items():
        for fam in {family[i] for i in members}:
            train = [values(i, fam) for i in members if family[i] != fam]
            if train:
                learned[(k, fam)] = statistics.median(train) * len(train) / (len(train) + SHRINK)
    return learned


def held_out_terms(
    rows: Sequence[Row], pairs: Sequence[tuple[int, int]], log_res: Sequence[float], known: Collection[str]
) -> list[float]:
    """Per pair, the transfer term learned without the target's family (nested leave-one-family-out): the coarse
    term, then the fine one on what the coarse term (learned without the same family) leaves."""
    diff = [log_res[t] - log_res[a] for t, a in pairs]
    family = [rows[t].family for t, _ in pairs]
    coarse_keys, fine_keys = _keys(rows, pairs, known)
    coarse = _fold_medians(coarse_keys, family, lambda i, fam: diff[i])
    fine = _fold_medians(fine_keys, family, lambda i, fam: diff[i] - coarse.get((coarse_keys[i], fam), 0.0))
    return [
        coarse.get((coarse_keys[i], family[i]), 0.0) + fine.get((fine_keys[i], family[i]), 0.0)
        for i in range(len(pairs))
    ]


def validate(rows: Sequence[Row], pred: Any, known: Collection[str]) -> dict[str, Any] | None:
    """The ``runtime`` level anchored with and without held-out transfer terms, on the same targets: with every
    other device as anchors (``overall``) and one anchor device at a time (``one_anchor``)."""
    import math

    import numpy as np

    from registry.estimator.fit import metrics

    pairs = runtime_pairs(rows, known)
    if not pairs:
        return None
    log_res = [math.log(r.latency_ms) - math.log(float(p)) for r, p in zip(rows, pred, strict=True)]
    terms = held_out_terms(rows, pairs, log_res, known)
    pooled: dict[int, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    single: dict[tuple[int, str], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for (t, a), term in zip(pairs, terms, strict=True):
        for bucket in (pooled[t], single[(t, mirrored_chipset(rows[a].chipset, known))]):
            bucket[0].append(log_res[a])
            bucket[1].append(log_res[a] + term)

    def measured(groups: dict[Any, tuple[list[float], list[float]]], target: Any) -> dict[str, dict[str, float]]:
        idx = [target(k) for k in groups]
        base = np.array([float(pred[i]) for i in idx])
        obs = np.array([rows[i].latency_ms for i in idx])
        plain = base * np.exp([statistics.median(v[0]) for v in groups.values()])
        moved = base * np.exp([statistics.median(v[1]) for v in groups.values()])
        return {"without_terms": metrics(plain, obs), "with_terms": metrics(moved, obs)}

    return {
        "overall": measured(pooled, lambda k: k),
        "one_anchor": measured(single, lambda k: k[0]),
        "pairs": len(pairs),
        "shrink": SHRINK,
    }
