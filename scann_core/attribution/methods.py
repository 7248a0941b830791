"""Per-atom attributions to compare with the global attention (GA).

- :func:`global_attention`: the model's own GA (sums to 1; an importance, never signed).
- :func:`occlusion`: ``v(all) - v(all minus i)`` under the masking game (:mod:`.masking`).
- :func:`integrated_gradients`: IG (Sundararajan et al. 2017) on the atom embeddings that enter
  the first local-attention block, from an all-zero embedding, with Gauss-Legendre quadrature.
- :func:`shapley_values`: Shapley values of the masking game, exact (all 2^n coalitions) up to
  ``max_exact`` atoms, sampled above (see :mod:`.shapley`).

The Shapley (:mod:`.shapley`) and leave-one-out code works on any
:data:`~.masking.ValueFunction`; the molecule versions are thin wrappers around
:func:`~.masking.masking_game`. Signed attributions are in
target units: they explain ``v(all) - v(empty) = prediction - training mean``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..checkpoint import TargetInfo
from ..graph import Graph, collate, element_lookup
from ..model import ScannModel
from .masking import ValueFunction, masking_game
from .shapley import (DEFAULT_PERMUTATIONS, MAX_EXACT_PLAYERS, ShapleyResult, exact_shapley, kernel_shapley,
                      sampled_shapley, shapley)

__all__ = ["global_attention", "leave_one_out", "occlusion", "IntegratedGradients", "integrated_gradients",
           "ShapleyResult", "exact_shapley", "sampled_shapley", "kernel_shapley", "shapley", "shapley_values",
           "MAX_EXACT_PLAYERS", "DEFAULT_PERMUTATIONS"]


def _single_batch(model: ScannModel, graphs: list[Graph]):
    parameter = next(model.parameters())
    return collate(graphs, element_lookup(model.config.elements)).to(parameter.device, parameter.dtype)


@torch.no_grad()
def global_attention(model: ScannModel, graph: Graph) -> np.ndarray:
    """(n_atoms,) GA of the full structure (eval mode), float64, summing to 1."""
    was_training = model.training
    model.eval()
    try:
        return model(_single_batch(model, [graph])).ga.double().cpu().numpy()
    finally:
        model.train(was_training)


def leave_one_out(value_fn: ValueFunction, n_players: int) -> np.ndarray:
    """(n_players,) ``v(all) - v(all minus i)`` for any game, from one call of ``value_fn``."""
    masks = np.ones((n_players + 1, n_players), dtype=bool)
    masks[np.arange(1, n_players + 1), np.arange(n_players)] = False
    values = np.asarray(value_fn(masks), dtype=np.float64)
    return values[0] - values[1:]


def occlusion(model: ScannModel, graph: Graph, target: TargetInfo | None = None) -> np.ndarray:
    """(n_atoms,) occlusion attribution ``v(all) - v(all minus i)`` in target units."""
    return leave_one_out(masking_game(model, graph, target), len(graph.numbers))


@dataclass
class IntegratedGradients:
    """Integrated gradients of one structure's prediction.

    Attributes:
        attributions: (n_atoms,) target units; atom i's share of ``prediction - baseline_prediction``.
        prediction: model prediction for the structure, target units.
        baseline_prediction: prediction with every atom embedding set to zero (edges unchanged).
        completeness_error: ``sum(attributions) - (prediction - baseline_prediction)``, target units;
            the quadrature error of the path integral (zero for exact integration).
        n_steps: quadrature points.
    """

    attributions: np.ndarray
    prediction: float
    baseline_prediction: float
    completeness_error: float
    n_steps: int


def integrated_gradients(model: ScannModel, graph: Graph, target: TargetInfo | None = None, *,
                         n_steps: int = 64) -> IntegratedGradients:
    """Integrated gradients on the atom embeddings, baseline = zero embedding.

    The path is ``h(a) = a * h0`` for a in [0, 1], where ``h0`` (n_atoms, dim) is the atom
    embedding entering the first local-attention block (edge features are not scaled). The
    integral of the gradient along the path is taken with ``n_steps``-point Gauss-Legendre
    quadrature, all points in one batch; the attribution of atom i is
    ``sum_d h0[i, d] * integral(d prediction / d h[i, d])``. Completeness (the attributions add
    up to ``f(h0) - f(0)``) is reported as ``completeness_error``.
    """
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    alphas = np.concatenate([(nodes + 1) / 2, [1.0, 0.0]])  # the last two copies: f(x) and f(baseline)
    n_copies = len(alphas)
    batch = _single_batch(model, [graph] * n_copies)
    scale = torch.as_tensor(alphas, dtype=batch.positions.dtype, device=batch.positions.device)[batch.batch, None]
    captured = {}

    def replace_embedding(module, inputs, output):
        captured["h0"] = output.detach()
        captured["h"] = (scale * captured["h0"]).requires_grad_(True)
        return captured["h"]

    was_training = model.training
    model.eval()
    handle = model.atom_dropout.register_forward_hook(replace_embedding)
    try:
        with torch.enable_grad():
            prediction = model(batch).prediction
            (gradient,) = torch.autograd.grad(prediction[:n_steps].sum(), captured["h"])
    finally:
        handle.remove()
        model.train(was_training)
    n_atoms = len(graph.numbers)
    gradient = gradient.detach().double().cpu().numpy().reshape(n_copies, n_atoms, -1)[:n_steps]
    h0 = captured["h0"].double().cpu().numpy()[:n_atoms]
    path_integral = np.tensordot(weights / 2, gradient, axes=(0, 0))  # (n_atoms, dim)
    std, mean = (1.0, 0.0) if target is None else (target.std, target.mean)
    attributions = (h0 * path_integral).sum(-1) * std
    values = prediction.detach().double().cpu().numpy()[n_steps:] * std + mean
    return IntegratedGradients(attributions, float(values[0]), float(values[1]),
                               float(attributions.sum() - (values[0] - values[1])), n_steps)


def shapley_values(model: ScannModel, graph: Graph, target: TargetInfo | None = None, **kwargs) -> ShapleyResult:
    """Shapley values of the atoms of one structure under the masking game (target units).

    Keyword arguments go to :func:`~.shapley.shapley` (``max_exact``, ``estimator``, ``n_permutations``,
    ``seed``): exact up to ``max_exact`` atoms, sampled above.
    """
    return shapley(masking_game(model, graph, target), len(graph.numbers), **kwargs)
