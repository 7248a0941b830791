"""Shapley values of any cooperative game given as a value function over coalition masks.

``value_fn(masks)`` takes (n_coalitions, n_players) bool and returns (n_coalitions,) values;
every estimator below makes a single call, so a batched game (the masking game of
:mod:`.masking`) evaluates all its coalitions together.

- :func:`exact_shapley`: all 2^n coalitions (n <= ``MAX_EXACT_PLAYERS`` by default).
- :func:`sampled_shapley`: random player orders in antithetic pairs (the default estimator).
- :func:`kernel_shapley`: KernelSHAP with paired sampling (Lundberg & Lee 2017; Covert & Lee 2021).

Measured on QM9 molecules of 13 and 14 atoms with a partly trained full-size HOMO model (3 seeds,
relative L2 error against the exact values): 32 orders, antithetic 0.21-0.24, plain 0.26-0.27,
KernelSHAP at the same number of value calls 0.14-0.17; 128 orders 0.10-0.12 / 0.14-0.16 /
0.06-0.08. The rank correlation with the exact values was about the same for antithetic orders
and KernelSHAP (0.85-0.98). Permutation sampling keeps two properties exactly at any sample size
(the values sum to ``v(all) - v(empty)``; a player that never changes the value gets 0) and
gives an unbiased estimate with a standard error; KernelSHAP keeps only the first exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .masking import ValueFunction

__all__ = ["ShapleyResult", "exact_shapley", "sampled_shapley", "kernel_shapley", "shapley", "MAX_EXACT_PLAYERS",
           "DEFAULT_PERMUTATIONS"]

MAX_EXACT_PLAYERS = 14  # 2^14 = 16,384 coalitions
DEFAULT_PERMUTATIONS = 256  # 128 antithetic pairs: 256 * (n + 1) coalitions before de-duplication


@dataclass
class ShapleyResult:
    """Shapley values of a game.

    Attributes:
        values: (n_players,) Shapley values; they sum to ``v(all) - v(empty)``.
        standard_error: (n_players,) Monte Carlo standard error (zeros when exact; bootstrap for KernelSHAP).
        estimator: 'exact', 'permutation' or 'kernel'.
        n_samples: orders (permutation) or coalitions (kernel) sampled; 0 when exact.
        n_coalitions: coalitions passed to the value function (before its de-duplication).
    """

    values: np.ndarray
    standard_error: np.ndarray
    estimator: Literal["exact", "permutation", "kernel"]
    n_samples: int
    n_coalitions: int

    @property
    def exact(self) -> bool:
        return self.estimator == "exact"


def exact_shapley(value_fn: ValueFunction, n_players: int, *, max_players: int = MAX_EXACT_PLAYERS) -> ShapleyResult:
    """Shapley values by enumerating all ``2^n_players`` coalitions.

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
    return ShapleyResult(phi, np.zeros(n_players), "exact", 0, len(ids))


def sampled_shapley(value_fn: ValueFunction, n_players: int, *, n_permutations: int = DEFAULT_PERMUTATIONS,
                    seed: int = 0, antithetic: bool = True) -> ShapleyResult:
    """Monte Carlo Shapley values from random player orders.

    Each order adds the players one at a time and credits each with its marginal change, so every
    order's credits sum exactly to ``v(all) - v(empty)`` and a dummy player always gets 0. With
    ``antithetic`` each drawn order is paired with its reverse and the pair mean is one sample
    (Mitchell et al., JMLR 23 (2022)), which cancels part of the variance from where a player
    falls in the order. The error falls like ``1/sqrt(n_permutations)``; ``standard_error``
    estimates it from the spread of the samples.

    Args:
        value_fn: the game.
        n_players: number of players.
        n_permutations: orders evaluated (rounded up to even with ``antithetic``); cost
            ``n_permutations * (n_players + 1)`` coalitions, fewer after de-duplication.
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
    return ShapleyResult(samples.mean(0), error, "permutation", n_orders, masks.shape[0] * masks.shape[1])


def kernel_shapley(value_fn: ValueFunction, n_players: int, *, n_samples: int | None = None, seed: int = 0,
                   n_bootstrap: int = 100) -> ShapleyResult:
    """KernelSHAP: Shapley values as the weighted least-squares fit of an additive game.

    Coalition sizes ``s`` in 1..n-1 are drawn with probability proportional to ``1 / (s (n - s))``
    (the Shapley kernel), members uniformly given the size, and each coalition comes with its
    complement (paired sampling). The fit minimises the mean of
    ``(v(S) - v(empty) - sum_{i in S} phi_i)^2`` subject to ``sum phi = v(all) - v(empty)``.
    ``standard_error`` comes from ``n_bootstrap`` resamples of the pairs.

    Args:
        n_samples: sampled coalitions (rounded up to even); default ``DEFAULT_PERMUTATIONS *
            (n_players + 1)``, the cost of :func:`sampled_shapley` with its default.
    """
    if n_players < 2:
        return exact_shapley(value_fn, n_players, max_players=max(n_players, 1))
    n_samples = n_samples or DEFAULT_PERMUTATIONS * (n_players + 1)
    rng = np.random.default_rng(seed)
    sizes = np.arange(1, n_players)
    probability = 1.0 / (sizes * (n_players - sizes))
    half = math.ceil(n_samples / 2)
    drawn = rng.choice(sizes, size=half, p=probability / probability.sum())
    first = rng.random((half, n_players)).argsort(1).argsort(1) < drawn[:, None]  # uniform subset of each size
    masks = np.concatenate([first, ~first, np.ones((1, n_players), bool), np.zeros((1, n_players), bool)])
    values = np.asarray(value_fn(masks), dtype=np.float64)
    full, empty = values[-2], values[-1]
    z, y = masks[:-2].astype(np.float64), values[:-2] - empty

    def fit(rows: np.ndarray) -> np.ndarray:
        a_inv = np.linalg.pinv(z[rows].T @ z[rows] / len(rows))
        b = z[rows].T @ y[rows] / len(rows)
        ones = np.ones(n_players)
        correction = (ones @ a_inv @ b - (full - empty)) / (ones @ a_inv @ ones)
        return a_inv @ (b - correction * ones)

    phi = fit(np.arange(2 * half))
    boot_rng = np.random.default_rng(seed + 1)
    boot = []
    for _ in range(n_bootstrap):
        pairs = boot_rng.integers(0, half, half)
        boot.append(fit(np.concatenate([pairs, pairs + half])))
    error = np.std(boot, axis=0, ddof=1) if n_bootstrap > 1 else np.full(n_players, np.nan)
    return ShapleyResult(phi, error, "kernel", 2 * half, len(masks))


def shapley(value_fn: ValueFunction, n_players: int, *, max_exact: int = MAX_EXACT_PLAYERS,
            estimator: Literal["permutation", "kernel"] = "permutation", n_permutations: int = DEFAULT_PERMUTATIONS,
            seed: int = 0) -> ShapleyResult:
    """Exact Shapley values for ``n_players <= max_exact``; above, :func:`sampled_shapley` with
    ``n_permutations`` orders, or :func:`kernel_shapley` with the same number of value calls
    (``n_permutations * (n_players + 1)`` coalitions)."""
    if n_players <= max_exact:
        return exact_shapley(value_fn, n_players, max_players=max_exact)
    if estimator == "kernel":
        return kernel_shapley(value_fn, n_players, n_samples=n_permutations * (n_players + 1), seed=seed)
    if estimator != "permutation":
        raise ValueError(f"estimator must be 'permutation' or 'kernel', not {estimator!r}.")
    return sampled_shapley(value_fn, n_players, n_permutations=n_permutations, seed=seed)
