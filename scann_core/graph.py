"""Structure -> neighbour graph (numpy), and graphs -> one concatenated batch (torch)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import ModelConfig
from .neighbors import voronoi_neighbors
from .structure import Structure

__all__ = ["Graph", "Batch", "build_graph", "collate", "element_lookup"]


@dataclass(frozen=True)
class Graph:
    """Model input for one structure (preprocessing output, no torch).

    Attributes:
        numbers: (n_atoms,) atomic numbers.
        positions: (n_atoms, 3) angstrom.
        edge_index: (2, n_edges) [centre, neighbour] within the structure.
        edge_shift: (n_edges, 3) cartesian periodic shift, so r_ij = x_j + shift - x_i.
        solid_angle: (n_edges,) Voronoi solid angle (sr).
        target: property value in model units, or nan.
    """

    numbers: np.ndarray
    positions: np.ndarray
    edge_index: np.ndarray
    edge_shift: np.ndarray
    solid_angle: np.ndarray
    target: float = float("nan")


def build_graph(structure: Structure, config: ModelConfig, target: float = float("nan")) -> Graph:
    """Neighbour graph of ``structure`` under the thresholds stored in ``config``."""
    neighbors = voronoi_neighbors(structure, **config.neighbor_kwargs())
    return Graph(
        numbers=structure.numbers,
        positions=structure.positions,
        edge_index=neighbors.edge_index,
        edge_shift=neighbors.shift @ structure.cell if structure.is_periodic else np.zeros((neighbors.n_edges, 3)),
        solid_angle=neighbors.solid_angle,
        target=target,
    )


@dataclass
class Batch:
    """Graphs concatenated with offset indices (no padding).

    Attributes:
        species: (n_atoms,) int64 index into the model's element table.
        positions: (n_atoms, 3).
        edge_index: (2, n_edges) int64, offset into the batch's atoms.
        edge_shift: (n_edges, 3).
        solid_angle: (n_edges,).
        batch: (n_atoms,) int64 structure index of every atom.
        target: (n_structures,) (nan where unknown).
    """

    species: torch.Tensor
    positions: torch.Tensor
    edge_index: torch.Tensor
    edge_shift: torch.Tensor
    solid_angle: torch.Tensor
    batch: torch.Tensor
    target: torch.Tensor

    @property
    def n_structures(self) -> int:
        return self.target.shape[0]

    def to(self, device, dtype: torch.dtype = torch.float32) -> "Batch":
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device, dtype) if t.is_floating_point() else t.to(device)

        return Batch(**{name: move(value) for name, value in vars(self).items()})


def element_lookup(elements: tuple[int, ...]) -> np.ndarray:
    """Atomic number -> embedding row (-1 where the model has no entry)."""
    table = np.full(119, -1, dtype=np.int64)
    table[list(elements)] = np.arange(len(elements))
    return table


def collate(graphs: list[Graph], lookup: np.ndarray) -> Batch:
    """Concatenate graphs into one :class:`Batch` (float64 until moved with :meth:`Batch.to`)."""
    sizes = np.array([len(g.numbers) for g in graphs])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    species = lookup[np.concatenate([g.numbers for g in graphs])]
    if (species < 0).any():
        raise ValueError("a structure contains an element outside the model's element table.")
    edge_index = np.concatenate([g.edge_index + o for g, o in zip(graphs, offsets)], axis=1)
    return Batch(
        species=torch.from_numpy(species),
        positions=torch.from_numpy(np.concatenate([g.positions for g in graphs])),
        edge_index=torch.from_numpy(edge_index.astype(np.int64)),
        edge_shift=torch.from_numpy(np.concatenate([g.edge_shift for g in graphs])),
        solid_angle=torch.from_numpy(np.concatenate([g.solid_angle for g in graphs])),
        batch=torch.from_numpy(np.repeat(np.arange(len(graphs)), sizes)),
        target=torch.tensor([g.target for g in graphs], dtype=torch.float64),
    )
