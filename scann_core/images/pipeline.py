"""One call for the app and the benchmark script: split, train, explain, score against truth."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .attribution import (default_k, deletion_area, deletion_curves, shapley_permutation, spearman_per_window,
                          topk_overlap, topk_recovery)
from .benchmark import important_mask
from .data import WindowSet, per_window_rmse, spatial_split
from .train import ImageTrainConfig, WindowModel, fit_window_model

__all__ = ["ImageExperiment", "run_image_experiment", "metrics_table"]

Progress = Callable[[float, str], None]


@dataclass
class ImageExperiment:
    """Everything the page shows (all arrays in file units).

    Attributes:
        model: the trained model with its scalers.
        train_index, test_index: (n_train,), (n_test,) indices into the window set.
        test_pred: (n_test, T) predictions; test_rmse: (n_test,) per-window RMSE.
        explain_index: (n_explain,) indices into the window set of the explained test windows.
        attention: (n_explain, ws, ws) received attention; shap: (n_explain, ws, ws) Shapley estimates
            (for target ``target``); shap_stderr: their standard errors.
        truth: (n_explain, ws, ws) benchmark truth or None.
        background: the masking value (median pixel of the training windows).
        k: the k of the top-k metrics.
        metrics: rows of the metrics table (see :func:`metrics_table`).
        attention_recovery_all: mean top-k recovery of attention over all test windows with truth (or None).
    """

    model: WindowModel
    train_index: np.ndarray
    test_index: np.ndarray
    test_pred: np.ndarray
    test_rmse: np.ndarray
    explain_index: np.ndarray
    attention: np.ndarray
    shap: np.ndarray
    shap_stderr: np.ndarray
    truth: np.ndarray | None
    background: float
    k: int
    target: int
    metrics: list[dict]
    attention_recovery_all: float | None


def _nanmean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


def metrics_table(f, windows: np.ndarray, maps: dict[str, np.ndarray], background: float, k: int,
                  truth: np.ndarray | None = None, seed: int = 0) -> list[dict]:
    """One row per importance map, the truth map itself (the ceiling, when given) and a random ranking.

    Columns: ``top-k recovery`` (mean over windows with important pixels; random expectation
    k / ws^2), ``Spearman vs truth`` (mean per-window rank correlation with the truth map),
    ``top-k overlap vs attention`` / ``Spearman vs attention`` (agreement with attention) and
    ``deletion area`` (lower = more faithful; target units).  Maps are ranked by magnitude.
    """
    rng = np.random.default_rng(seed)
    n, ws = windows.shape[0], windows.shape[1]
    ranked = {name: np.abs(m) for name, m in maps.items()}
    if truth is not None:
        ranked["truth (ceiling)"] = np.asarray(truth, dtype=np.float64)
    ranked["random"] = rng.random((n, ws, ws))
    important = important_mask(truth) if truth is not None else None
    rows = []
    for name, scores in ranked.items():
        row = {"map": name}
        if truth is not None:  # the truth row's Spearman vs truth is 1 by construction
            row["top-k recovery"] = _nanmean(topk_recovery(scores, important, k))
            row["Spearman vs truth"] = _nanmean(spearman_per_window(scores, truth))
        if "attention" in ranked and name != "attention":
            row["top-k overlap vs attention"] = float(np.mean(topk_overlap(scores, ranked["attention"], k)))
            row["Spearman vs attention"] = _nanmean(spearman_per_window(scores, ranked["attention"]))
        row["deletion area"] = float(np.mean(deletion_area(deletion_curves(f, windows, scores, background))))
        rows.append(row)
    if truth is not None:
        rows.append({"map": "random (expected)", "top-k recovery": k / ws**2, "Spearman vs truth": 0.0,
                     "top-k overlap vs attention": k / ws**2, "Spearman vs attention": 0.0})
    return rows


def run_image_experiment(window_set: WindowSet, config: ImageTrainConfig = ImageTrainConfig(), *,
                         n_explain: int = 8, n_pairs: int = 32, k: int | None = None, target: int = 0,
                         test_fraction: float = 0.25, seed: int = 0,
                         progress: Progress | None = None) -> ImageExperiment:
    """Split spatially, train, predict the test windows, explain ``n_explain`` of them, score the maps.

    The explained windows are a seeded random sample of the test windows (for a benchmark,
    of those with at least one truly important pixel).  Training takes 90 % of the progress bar.
    """
    report = progress or (lambda fraction, text: None)
    if not 0 <= target < window_set.n_targets:
        raise ValueError(f"Target index {target} is outside 0 to {window_set.n_targets - 1}.")
    train_idx, test_idx = spatial_split(window_set, test_fraction=test_fraction, seed=seed)
    report(0.0, f"Training on {len(train_idx)} windows ({len(test_idx)} held out)...")
    model = fit_window_model(window_set.windows[train_idx], window_set.targets[train_idx], config,
                             progress=lambda e, n, loss: report(0.9 * e / n, f"Epoch {e}/{n} · loss {loss:.3f}"))
    test_pred, test_attention = model.predict(window_set.windows[test_idx])
    test_rmse = per_window_rmse(window_set.targets[test_idx], test_pred)
    background = float(np.median(window_set.windows[train_idx]))
    k = k or default_k(window_set.window_size)
    pool = test_idx
    recovery_all = None
    if window_set.truth is not None:
        has_truth = important_mask(window_set.truth[test_idx]).any(axis=(1, 2))
        pool = test_idx[has_truth] if has_truth.any() else test_idx
        recovery_all = _nanmean(topk_recovery(test_attention, important_mask(window_set.truth[test_idx]), k))
    rng = np.random.default_rng(seed)
    explain = np.sort(rng.choice(pool, size=min(n_explain, len(pool)), replace=False))
    report(0.9, f"SHAP for {len(explain)} test windows ({2 * n_pairs} permutations each)...")
    f = model.predict_fn(target)
    windows = window_set.windows[explain]
    attention = model.predict(windows)[1]
    shap, stderr = shapley_permutation(f, windows, background, n_pairs=n_pairs, seed=seed, return_stderr=True)
    truth = None if window_set.truth is None else window_set.truth[explain]
    metrics = metrics_table(f, windows, {"attention": attention, "SHAP": shap}, background, k, truth, seed)
    report(1.0, "Done.")
    return ImageExperiment(model, train_idx, test_idx, test_pred, test_rmse, explain, attention, shap, stderr,
                           truth, background, k, target, metrics, recovery_all)
