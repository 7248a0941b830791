"""Per-atom attributions to compare with the global attention (GA).

- :func:`global_attention`: the model's own GA (sums to 1; an importance, never signed).
- :func:`occlusion`: ``v(all) - v(all minus i)`` under the masking game (:mod:`.masking`).
- :func:`integrated_gradients`: IG (Sundararajan et al. 2017) on the atom embeddings that enter
  the first local-attention block, from an all-zero embedding, with Gauss-Legendre quadrature.
- :func:`shapley_values`: Shapley values of the masking game, exact (all 2^n coalitions) up to
  ``max_exact`` atoms, permutation sampling with antithetic pairs above.

The Shapley and leave-one-out code works on any :data:`~.masking.ValueFunction`; the molecule
versions are thin wrappers around :func:`~.masking.masking_game`. Signed attributions are in
target units: they explain ``v(all) - v(empty) = prediction - training mean``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..checkpoint import TargetInfo
from ..graph import Graph, collate, element_lookup
from ..model import ScannModel
from .masking import ValueFunction, masking_game

__all__ = ["global_attention", "leave_one_out", "occlusion", "IntegratedGradients", "integrated_gradients",
           "ShapleyResult", "exact_shapley", "sampled_shapley", "shapley", "shapley_values", "MAX_EXACT_PLAYERS",
           "DEFAULT_PERMUTATIONS"]

MAX_EXACT_PLAYERS = 14  # 2^14 = 16,384 coalitions
DEFAULT_PERMUTATIONS = 128  # 64 antithetic pairs: 128 * (n + 1) coalitions before de-duplication


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


@dataclass
class ShapleyResult:
    """Shapley values of a game.

    Attributes:
        values: (n_players,) Shapley values; they sum to ``v(all) - v(empty)``.
        standard_error: (n_players,) Monte Carlo standard error (zeros when exact).
        exact: True when every coalition was enumerated.
        n_permutations: permutations sampled (0 when exact).
        n_coalitions: coalitions passed to the value function (before its de-duplication).
    """

    values: np.ndarray
    standard_error: np.ndarray
    exact: bool
    n_permutations: int
    n_coalitions: int


def exact_shapley(value_fn: ValueFunction, n_players: int, *, max_players: int = MAX_EXACT_PLAYERS) -> ShapleyResult:
    """Shapley values by enumerating all ``2^n_players`` coalitions (one ``value_fn`` call).

    ``phi_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))``.
    Coalition ``c`` (an integer) contains player ``j`` when bit ``j`` of ``c`` is set.
    """
    if n_players > max_players:
        raise ValueError(f"exact Shapley values over {n_players} players need 2^{n_players} coalitions; "
                         f"the limit is {max_players} (use sampled_shapley).")
    ids = np.arange(2 ** n_players)
    masks = ((ids[:, None] >> np.arange(n_players)) & 1).astype(bool)
    values = np.asarray(value_fn(masks), dtype=np.float64)
    sizes = masks.sum(1)
    weight = np.array([1.0 / (n_players * math.comb(n_players - 1, s)) for s in range(n_players)])
    phi = np.empty(n_players)
    for i in range(n_players):
        without = ids[~masks[:, i]]
        phi[i] = np.dot(weight[sizes[without]], values[without | (1 << i)] - values[without])
    return ShapleyResult(phi, np.zeros(n_players), True, 0, len(ids))


def sampled_shapley(value_fn: ValueFunction, n_players: int, *, n_permutations: int = DEFAULT_PERMUTATIONS,
                    seed: int = 0, antithetic: bool = True) -> ShapleyResult:
    """Monte Carlo Shapley values from random player orders (one ``value_fn`` call).

    Each permutation adds players one at a time and credits each with its marginal change, so
    every permutation's credits sum exactly to ``v(all) - v(empty)`` (efficiency holds for any
    sample size). With ``antithetic`` each drawn order is paired with its reverse and the pair
    mean is one sample (Mitchell et al., JMLR 23 (2022)); this cancels much of the variance from
    where a player falls in the order. Cost: ``n_permutations * (n_players + 1)`` coalitions
    (fewer evaluated after de-duplication). The error falls like ``1/sqrt(n_permutations)``;
    ``standard_error`` estimates it from the spread of the samples.

    Args:
        value_fn: the game.
        n_players: number of players.
        n_permutations: total orders evaluated (rounded up to even with ``antithetic``).
        seed: seed of the ``numpy`` generator drawing the orders (results are reproducible).
        antithetic: pair each order with its reverse.
    """
    rng = np.random.default_rng(seed)
    n_draws = math.ceil(n_permutations / 2) if antithetic else n_permutations
    orders = np.stack([rng.permutation(n_players) for _ in range(n_draws)])
    if antithetic:
        orders = np.concatenate([orders, orders[:, ::-1]])
    n_orders = len(orders)
    position = np.empty_like(orders)  # position[r, j]: where player j enters order r
    position[np.arange(n_orders)[:, None], orders] = np.arange(n_players)
    masks = position[:, None, :] < np.arange(n_players + 1)[None, :, None]  # (n_orders, n + 1, n) prefixes
    values = np.asarray(value_fn(masks.reshape(-1, n_players)), dtype=np.float64).reshape(n_orders, n_players + 1)
    rows = np.arange(n_orders)[:, None]
    marginal = values[rows, position + 1] - values[rows, position]  # (n_orders, n)
    samples = 0.5 * (marginal[:n_draws] + marginal[n_draws:]) if antithetic else marginal
    error = samples.std(0, ddof=1) / math.sqrt(len(samples)) if len(samples) > 1 else np.full(n_players, np.nan)
    return ShapleyResult(samples.mean(0), error, False, n_orders, masks.shape[0] * masks.shape[1])


def shapley(value_fn: ValueFunction, n_players: int, *, max_exact: int = MAX_EXACT_PLAYERS,
            n_permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0) -> ShapleyResult:
    """Exact Shapley values for ``n_players <= max_exact``, else :func:`sampled_shapley`."""
    if n_players <= max_exact:
        return exact_shapley(value_fn, n_players, max_players=max_exact)
    return sampled_shapley(value_fn, n_players, n_permutations=n_permutations, seed=seed)


def shapley_values(model: ScannModel, graph: Graph, target: TargetInfo | None = None, **kwargs) -> ShapleyResult:
    """Shapley values of the atoms of one structure under the masking game (target units).

    Keyword arguments go to :func:`shapley` (``max_exact``, ``n_permutations``, ``seed``).
    """
    return shapley(masking_game(model, graph, target), len(graph.numbers), **kwargs)
