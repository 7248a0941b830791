"""The one masking game every attribution method and metric in this package plays.

Players are the atoms of one structure. A coalition S (a boolean mask over the atoms) is
evaluated by **dropping every atom outside S**: the atom disappears from the neighbour graph
together with every edge that touches it (as centre or as neighbour), and from the global
attention pooling (the GA softmax and the pooled sum run over the kept atoms only). The kept
atoms keep their positions and the remaining edges keep their geometry (distance, periodic
shift, Voronoi solid angle): neighbour lists are *not* recomputed, so the game asks "what does
the trained network make of this part of the graph it saw", not "what would a smaller molecule
predict".

The value of a coalition is the model's prediction in target units,
``v(S) = prediction_standardised(S) * target.std + target.mean``. The model cannot run on a
structure with no atoms, so the empty coalition has a fixed, documented value: the training
mean of the target, ``v(empty) = target.mean`` (standardised output 0, see
:data:`EMPTY_STANDARDISED`). With ``target=None`` values stay in standardised units and
``v(empty) = 0``.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import torch

from ..checkpoint import TargetInfo
from ..graph import Graph, collate, element_lookup
from ..model import ScannModel

__all__ = ["EMPTY_STANDARDISED", "ValueFunction", "subgraph", "empty_value", "coalition_values", "masking_game",
           "full_masks"]

EMPTY_STANDARDISED = 0.0  # standardised prediction assigned to the empty coalition (= the training mean)
DEFAULT_BATCH_ATOMS = 4096  # atoms per forward pass when evaluating many coalitions

ValueFunction = Callable[[np.ndarray], np.ndarray]
"""A cooperative game: ``masks`` (n_coalitions, n_players) bool -> values (n_coalitions,) float."""


def subgraph(graph: Graph, keep: np.ndarray) -> Graph:
    """The graph of the atoms flagged in ``keep`` (the masking game's definition of removal).

    Args:
        graph: a structure's neighbour graph.
        keep: (n_atoms,) bool, True for the atoms that stay.

    Returns:
        A :class:`Graph` of the kept atoms in their original order, with the edges whose two ends
        are both kept, re-indexed into the new atom numbering; edge shifts and solid angles are
        those of the original graph (no neighbour search is run).
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != graph.numbers.shape:
        raise ValueError(f"keep has shape {keep.shape}, the graph has {len(graph.numbers)} atoms.")
    new_index = np.cumsum(keep) - 1
    centre, neighbour = graph.edge_index
    kept_edges = keep[centre] & keep[neighbour]
    return Graph(
        numbers=graph.numbers[keep],
        positions=graph.positions[keep],
        edge_index=new_index[graph.edge_index[:, kept_edges]],
        edge_shift=graph.edge_shift[kept_edges],
        solid_angle=graph.solid_angle[kept_edges],
        target=graph.target,
    )


def empty_value(target: TargetInfo | None) -> float:
    """v(empty): the training mean of the target (0 in standardised units when ``target`` is None)."""
    return EMPTY_STANDARDISED if target is None else EMPTY_STANDARDISED * target.std + target.mean


def full_masks(n_players: int, n: int = 1) -> np.ndarray:
    """(n, n_players) all-True masks (the grand coalition)."""
    return np.ones((n, n_players), dtype=bool)


def coalition_values(model: ScannModel, graph: Graph, masks: np.ndarray, target: TargetInfo | None = None, *,
                     batch_atoms: int = DEFAULT_BATCH_ATOMS) -> np.ndarray:
    """Values of many coalitions of one structure under the masking game.

    Duplicate masks are evaluated once; the distinct non-empty coalitions are concatenated into
    batches of about ``batch_atoms`` atoms (one :func:`collate` call and one forward pass per
    batch) on the model's device and dtype, with the model in eval mode.

    Args:
        model: a SCANN model.
        graph: the structure's full neighbour graph.
        masks: (n_coalitions, n_atoms) bool, True = atom kept; a single (n_atoms,) mask is allowed.
        target: standardisation of the model output; None keeps standardised units.
        batch_atoms: atoms per forward pass.

    Returns:
        (n_coalitions,) float64 predictions in target units; empty coalitions get :func:`empty_value`.
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim == 1:
        masks = masks[None]
    n_atoms = len(graph.numbers)
    if masks.ndim != 2 or masks.shape[1] != n_atoms:
        raise ValueError(f"masks must have shape (n_coalitions, {n_atoms}), not {masks.shape}.")
    if len(masks) == 0:
        return np.zeros(0)
    unique, inverse = np.unique(masks, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    standardised = np.full(len(unique), EMPTY_STANDARDISED)
    sizes = unique.sum(1)
    todo = np.flatnonzero(sizes > 0)
    parameter = next(model.parameters())
    lookup = element_lookup(model.config.elements)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            chunk_of = (np.cumsum(sizes[todo]) - 1) // max(1, batch_atoms)
            for c in np.unique(chunk_of):
                chunk = todo[chunk_of == c]
                batch = collate([subgraph(graph, unique[k]) for k in chunk], lookup)
                prediction = model(batch.to(parameter.device, parameter.dtype)).prediction
                standardised[chunk] = prediction.double().cpu().numpy()
    finally:
        model.train(was_training)
    mean, std = (0.0, 1.0) if target is None else (target.mean, target.std)
    return (standardised * std + mean)[inverse]


def masking_game(model: ScannModel, graph: Graph, target: TargetInfo | None = None, **kwargs) -> ValueFunction:
    """The masking game of one structure as a :data:`ValueFunction` (masks -> values)."""
    return partial(coalition_values, model, graph, target=target, **kwargs)
