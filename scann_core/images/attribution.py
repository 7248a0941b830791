"""Per-pixel attributions and their metrics: sampled Shapley values, top-k agreement, deletion curves.

Shapley values (SHAP) of a window ``x`` for a model ``f`` treat each pixel as a player; a pixel
left out of a coalition is *masked* = replaced by a background value ``b`` (one number):

    phi_i = E_pi [ f(x_{S_pi,i} + i) - f(x_{S_pi,i}) ]     (S_pi,i = pixels before i in permutation pi)

Exact values need 2^(ws^2) evaluations, so :func:`shapley_permutation` uses permutation
sampling (Strumbelj & Kononenko, Knowl. Inf. Syst. 41, 647 (2014)) with antithetic pairs
(each permutation is paired with its reverse; Mitchell et al., JMLR 23 (2022)).  Every
permutation costs ws^2 + 1 model evaluations; each sampled permutation satisfies efficiency
exactly (sum_i phi_i = f(x) - f(b)).  There is no sparsity penalty or regularisation.
"""
from __future__ import annotations

import itertools
import math
from typing import Callable

import numpy as np

__all__ = ["shapley_permutation", "exact_shapley", "topk_recovery", "topk_overlap", "spearman_per_window",
           "deletion_curves", "deletion_area", "default_k"]

Model = Callable[[np.ndarray], np.ndarray]  # (M, ws, ws) -> (M,)


def default_k(window_size: int) -> int:
    """k = ceil(10 % of the pixels) (9 for 9 x 9 windows)."""
    return max(1, math.ceil(0.1 * window_size**2))


def _evaluate(f: Model, windows: np.ndarray, batch: int) -> np.ndarray:
    return np.concatenate([np.asarray(f(windows[s:s + batch]), dtype=np.float64).reshape(-1)
                           for s in range(0, len(windows), batch)])


def shapley_permutation(f: Model, windows: np.ndarray, background: float, *, n_pairs: int = 32, seed: int = 0,
                        batch: int = 512, return_stderr: bool = False):
    """Antithetic permutation-sampling estimate of per-pixel Shapley values.

    Args:
        f: batched model, (M, ws, ws) -> (M,).
        windows: (N, ws, ws) windows to explain.
        background: value a masked pixel takes.
        n_pairs: antithetic pairs per window (2 * n_pairs permutations, 2 * n_pairs * (ws^2 + 1)
            evaluations per window).

    Returns:
        (N, ws, ws) Shapley estimates, and with ``return_stderr`` also their (N, ws, ws)
        standard errors (spread of the n_pairs pair means / sqrt(n_pairs)).
    """
    windows = np.asarray(windows, dtype=np.float64)
    n, ws = windows.shape[0], windows.shape[1]
    length = ws * ws
    rng = np.random.default_rng(seed)
    values, errors = np.zeros((n, length)), np.zeros((n, length))
    steps = np.arange(length + 1)[:, None]  # coalition sizes 0..L
    for w in range(n):
        x = windows[w].reshape(-1)
        perms = np.stack([rng.permutation(length) for _ in range(n_pairs)])
        perms = np.concatenate([perms, perms[:, ::-1]])  # (2P, L): pair p and p + P are antithetic
        ranks = np.argsort(perms, axis=1)  # ranks[p, i] = position of pixel i in permutation p
        present = ranks[:, None, :] < steps[None]  # (2P, L+1, L)
        inputs = np.where(present, x, background).reshape(-1, ws, ws)
        out = _evaluate(f, inputs, batch).reshape(2 * n_pairs, length + 1)
        gains = np.diff(out, axis=1)  # gains[p, k] = contribution of pixel perms[p, k]
        per_perm = np.take_along_axis(gains, ranks, axis=1)  # (2P, L) contribution of pixel i
        pair_means = 0.5 * (per_perm[:n_pairs] + per_perm[n_pairs:])
        values[w] = pair_means.mean(axis=0)
        errors[w] = pair_means.std(axis=0, ddof=1) / math.sqrt(n_pairs) if n_pairs > 1 else np.nan
    values, errors = values.reshape(n, ws, ws), errors.reshape(n, ws, ws)
    return (values, errors) if return_stderr else values


def exact_shapley(f: Model, window: np.ndarray, background: float) -> np.ndarray:
    """Exact Shapley values of one (ws, ws) window by enumerating all 2^L coalitions (L <= 12)."""
    x = np.asarray(window, dtype=np.float64).reshape(-1)
    length = x.size
    if length > 12:
        raise ValueError("Exact Shapley values are limited to 12 pixels.")
    masks = np.array(list(itertools.product([False, True], repeat=length)))  # (2^L, L)
    out = _evaluate(f, np.where(masks, x, background).reshape(-1, *np.shape(window)), 4096)
    index = {tuple(m): j for j, m in enumerate(masks)}
    phi = np.zeros(length)
    for j, m in enumerate(masks):
        size = int(m.sum())
        for i in np.flatnonzero(~m):
            with_i = m.copy()
            with_i[i] = True
            weight = math.factorial(size) * math.factorial(length - size - 1) / math.factorial(length)
            phi[i] += weight * (out[index[tuple(with_i)]] - out[j])
    return phi.reshape(np.shape(window))


def _topk(scores: np.ndarray, k: int) -> np.ndarray:
    """(N, k) flat indices of the k largest scores per window (stable: ties go to the lower index)."""
    flat = np.asarray(scores, dtype=np.float64).reshape(len(scores), -1)
    return np.argsort(-flat, axis=1, kind="stable")[:, :k]


def topk_recovery(scores: np.ndarray, important: np.ndarray, k: int) -> np.ndarray:
    """Fraction of the truly important pixels found among the top-k scores, per window.

    ``R_k = |top_k(scores) & important| / |important|``; a uniformly random ranking has
    expectation ``k / ws^2``.  Windows without important pixels give NaN.

    Returns:
        (N,) recovery in [0, 1] or NaN.
    """
    imp = np.asarray(important, dtype=bool).reshape(len(important), -1)
    hits = np.take_along_axis(imp, _topk(scores, k), axis=1).sum(axis=1)
    total = imp.sum(axis=1)
    return np.where(total > 0, hits / np.maximum(total, 1), np.nan)


def topk_overlap(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """(N,) ``|top_k(a) & top_k(b)| / k`` per window; random expectation ``k / ws^2``."""
    ta, tb = _topk(a, k), _topk(b, k)
    return np.array([len(np.intersect1d(x, y)) / k for x, y in zip(ta, tb)])


def spearman_per_window(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) Spearman rank correlation of two maps per window (NaN where one map is constant)."""
    from scipy.stats import rankdata

    ra = rankdata(np.asarray(a).reshape(len(a), -1), axis=1)
    rb = rankdata(np.asarray(b).reshape(len(b), -1), axis=1)
    ra, rb = ra - ra.mean(axis=1, keepdims=True), rb - rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (ra * rb).sum(axis=1) / np.where(denominator > 0, denominator, 1), np.nan)


def deletion_curves(f: Model, windows: np.ndarray, scores: np.ndarray, background: float, *,
                    batch: int = 512) -> np.ndarray:
    """Predictions while pixels are masked in decreasing order of ``scores``.

    Returns:
        (N, L + 1): column k is ``f`` with the k highest-scoring pixels set to ``background``
        (column 0 = f(x), column L = f(all background)).
    """
    windows = np.asarray(windows, dtype=np.float64)
    n, ws = windows.shape[0], windows.shape[1]
    length = ws * ws
    order = _topk(scores, length)  # (N, L) full ranking
    ranks = np.argsort(order, axis=1)
    removed = ranks[:, None, :] < np.arange(length + 1)[None, :, None]  # (N, L+1, L)
    inputs = np.where(removed, background, windows.reshape(n, 1, length)).reshape(-1, ws, ws)
    return _evaluate(f, inputs, batch).reshape(n, length + 1)


def deletion_area(curves: np.ndarray) -> np.ndarray:
    """(N,) area under ``|f(x^(k)) - f(background)|`` over the deleted fraction k / L in [0, 1].

    Lower = the ranking removes what the prediction rests on sooner = more faithful.
    In target units.
    """
    remaining = np.abs(curves - curves[:, -1:])
    return np.trapezoid(remaining, dx=1.0 / (curves.shape[1] - 1), axis=1)
