"""Rank statistics between two per-atom score arrays (one copy for the app, the figures and the metrics)."""
from __future__ import annotations

import numpy as np

__all__ = ["spearman", "ranking", "top_k_overlap"]


def spearman(a, b) -> float:
    """Spearman rank correlation (average ranks for ties); nan for fewer than 2 atoms or a constant input.

    Raises:
        ValueError: when ``a`` and ``b`` do not have the same number of values.
    """
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=np.float64).reshape(-1), np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"Cannot correlate {a.size} values with {b.size} values.")
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def ranking(scores) -> np.ndarray:
    """Atom indices from the highest score to the lowest; ties keep index order. Works row-wise on (r, n)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), axis=-1, kind="stable")


def top_k_overlap(a, b, k: int) -> float:
    """Fraction of the ``k`` highest-scoring atoms of ``a`` that are also among the ``k`` highest of ``b``
    (``k`` is capped at the number of atoms). A random ranking scores ``k / n`` on average. Ties keep index
    order in both, so for scores averaged over the same symmetry classes a class cut by the k-th place
    counts as agreeing on as many of its atoms as both rankings take from it."""
    k = min(k, len(a))
    if k <= 0:
        return float("nan")
    return len(set(ranking(a)[:k]) & set(ranking(b)[:k])) / k
