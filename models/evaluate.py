"""Candidate-level metrics of the glint classifier on a labelled dataset (for MODEL_CARD.md)."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import Any

import numpy as np
import numpy.typing as npt

from models.dataset import Dataset

F = npt.NDArray[np.float64]


def auc(scores: F, labels: F) -> float:
    """Area under the ROC curve (probability a lens outranks a non-lens), ties count half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return math.nan
    order = np.argsort(np.concatenate([pos, neg]), kind="stable")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    allv = np.concatenate([pos, neg])
    for v in np.unique(allv):  # average ranks of ties
        tie = allv == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _bin(value: float, edges: list[float]) -> str:
    for lo, hi in itertools.pairwise(edges):
        if lo <= value < hi:
            return f"{lo:g}-{hi:g}"
    return f">={edges[-1]:g}"


def report(ds: Dataset, scores: F, threshold: float) -> dict[str, Any]:
    """AUC, precision/recall at `threshold`, lens recall by condition, false positives by kind."""
    _, _, y = ds.arrays()
    pred = scores >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    out: dict[str, Any] = {
        "candidates": len(y), "lenses": int(y.sum()), "pairs": ds.pairs,
        "auc": round(auc(scores, y), 4), "threshold": threshold,
        "recall": round(tp / max(1, tp + fn), 4), "precision": round(tp / max(1, tp + fp), 4),
        "false_positive_rate": round(fp / max(1, int((y == 0).sum())), 5),
        "detector_lens_recall": round(ds.lens_found / max(1, ds.lens_pairs), 4),
    }
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i in np.flatnonzero(y == 1):
        hit = int(pred[i])
        groups["light"][ds.light[i]].append(hit)
        groups["distance_m"][_bin(ds.lens_distance_m[i], [0.3, 1, 2, 3, 4, 5.5])].append(hit)
        groups["off_axis_deg"][_bin(ds.lens_off_axis_deg[i], [0, 10, 20, 30, 45])].append(hit)
        groups["aperture_mm"][_bin(ds.lens_aperture_mm[i], [0.8, 2, 3, 4, 5.5])].append(hit)
    out["lens_recall_by"] = {
        g: {k: [round(float(np.mean(v)), 3), len(v)] for k, v in sorted(d.items())}
        for g, d in groups.items()}
    kinds: dict[str, list[int]] = defaultdict(list)
    for i in np.flatnonzero(y == 0):
        kinds[ds.kinds[i]].append(int(pred[i]))
    out["false_positive_rate_by_kind"] = {k: [round(float(np.mean(v)), 4), len(v)]
                                          for k, v in sorted(kinds.items())}
    return out
