"""How far to trust an attribution: agreement with GA, faithfulness curves, sanity checks.

Conventions:
- A *score* ranks atoms, highest = most important. GA is a score as it is. A signed attribution
  ``phi`` (target units, explaining ``v(all) - v(empty)``) becomes a score for the curves as
  ``phi * sign(v(all) - v(empty))`` (:func:`oriented`): the atoms that push the prediction away
  from the empty value come first. Agreement (Spearman, top-k) compares magnitudes ``|phi|``.
- Deletion curve: remove atoms in score order under the masking game, value after each step
  (``n + 1`` points, from ``v(all)`` to ``v(empty)``). Insertion curve: add them in score order
  to the empty structure (from ``v(empty)`` to ``v(all)``).
- Normalised area: the curve mapped to ``(v - v(empty)) / (v(all) - v(empty))`` (1 = full
  prediction, 0 = empty value) and integrated over the fraction of atoms moved, in [0, 1] by the
  trapezoid rule. Deletion: lower is more faithful. Insertion: higher is more faithful. It can
  leave [0, 1] when partial structures overshoot, and is unstable when ``v(all)`` is close to
  ``v(empty)`` (the report weights structures by ``|v(all) - v(empty)|``).
- Random baseline: the same metric for uniformly random orders, averaged over several.
"""
from __future__ import annotations

import numpy as np
import torch

from ..graph import Graph
from ..model import ScannModel
from ..ranks import ranking, spearman, top_k_overlap
from .masking import ValueFunction
from .methods import global_attention

__all__ = ["oriented", "spearman", "top_k_overlap", "ranking", "deletion_curve", "insertion_curve",
           "normalised_area", "random_scores", "randomized_model", "ga_sanity"]


def oriented(attributions: np.ndarray, full_value: float, empty_value: float) -> np.ndarray:
    """Signed attributions -> scores: ``phi * sign(v(all) - v(empty))`` (sign 0 counts as +)."""
    return np.asarray(attributions, dtype=np.float64) * (1.0 if full_value >= empty_value else -1.0)


def _prefix_masks(scores: np.ndarray) -> np.ndarray:
    """(r, n + 1, n) masks: row k holds the k highest-scoring atoms of each score vector."""
    scores = np.atleast_2d(scores)
    r, n = scores.shape
    position = np.empty((r, n), dtype=np.int64)
    position[np.arange(r)[:, None], ranking(scores)] = np.arange(n)
    return position[:, None, :] < np.arange(n + 1)[None, :, None]


def _curves(value_fn: ValueFunction, masks: np.ndarray, squeeze: bool) -> np.ndarray:
    r, steps, n = masks.shape
    values = np.asarray(value_fn(masks.reshape(-1, n)), dtype=np.float64).reshape(r, steps)
    return values[0] if squeeze else values


def deletion_curve(value_fn: ValueFunction, scores: np.ndarray) -> np.ndarray:
    """Values after removing the k highest-scoring atoms, k = 0..n.

    Args:
        value_fn: the game (for a structure, :func:`~.masking.masking_game`).
        scores: (n,) or (r, n) scores; several rows are evaluated in one ``value_fn`` call.

    Returns:
        (n + 1,) or (r, n + 1) values; point 0 is ``v(all)``, point n is ``v(empty)``.
    """
    return _curves(value_fn, ~_prefix_masks(scores), np.ndim(scores) == 1)


def insertion_curve(value_fn: ValueFunction, scores: np.ndarray) -> np.ndarray:
    """Values with only the k highest-scoring atoms present, k = 0..n (shapes as :func:`deletion_curve`);
    point 0 is ``v(empty)``, point n is ``v(all)``."""
    return _curves(value_fn, _prefix_masks(scores), np.ndim(scores) == 1)


def normalised_area(curve: np.ndarray, full_value: float, empty_value: float) -> np.ndarray | float:
    """Trapezoid area under ``(curve - v(empty)) / (v(all) - v(empty))`` over x = k / n in [0, 1].

    ``curve`` is (n + 1,) or (r, n + 1); nan when ``v(all) == v(empty)``.
    """
    curve = np.asarray(curve, dtype=np.float64)
    span = full_value - empty_value
    if span == 0:
        return np.full(curve.shape[:-1], np.nan) if curve.ndim > 1 else float("nan")
    y = (curve - empty_value) / span
    n = curve.shape[-1] - 1
    area = (y[..., 1:] + y[..., :-1]).sum(-1) / (2 * n)
    return area if curve.ndim > 1 else float(area)


def random_scores(n_atoms: int, n_orders: int, seed: int = 0) -> np.ndarray:
    """(n_orders, n_atoms) uniformly random scores (each row a random order), reproducible from ``seed``."""
    return np.random.default_rng(seed).random((n_orders, n_atoms))


def randomized_model(model: ScannModel, seed: int) -> ScannModel:
    """The same architecture with freshly initialised weights (PyTorch default initialisation,
    ``torch.manual_seed(seed)`` inside a forked RNG), on the model's device and dtype, eval mode."""
    parameter = next(model.parameters())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fresh = type(model)(model.config)
    return fresh.to(parameter.device, parameter.dtype).eval()


def ga_sanity(model: ScannModel, graph: Graph, seeds=(0, 1, 2)) -> float:
    """Model-randomisation check (Adebayo et al., NeurIPS 2018) for GA: mean Spearman between the
    trained model's GA and the GA of the same architecture with random weights, over ``seeds``.

    A value near 1 means GA mostly reflects the architecture and the geometry, not what was
    learned; a useful explanation should give a low value.
    """
    trained = global_attention(model, graph)
    return float(np.nanmean([spearman(trained, global_attention(randomized_model(model, s), graph)) for s in seeds]))
