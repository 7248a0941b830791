"""Featurised datasets: many graphs stored as flat arrays, cached on disk, batched on demand."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .config import ModelConfig
from .graph import Graph, build_graph
from .structure import Structure

__all__ = ["GraphSet", "featurize"]


@dataclass
class GraphSet:
    """Graphs in flat arrays: graph g owns atoms ``atom_ptr[g]:atom_ptr[g+1]`` and edges
    ``edge_ptr[g]:edge_ptr[g+1]``; ``edge_index`` is local to each graph."""

    numbers: np.ndarray
    positions: np.ndarray
    atom_ptr: np.ndarray
    edge_index: np.ndarray
    edge_shift: np.ndarray
    solid_angle: np.ndarray
    edge_ptr: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, g: int) -> Graph:
        a, b = self.atom_ptr[g], self.atom_ptr[g + 1]
        c, d = self.edge_ptr[g], self.edge_ptr[g + 1]
        return Graph(self.numbers[a:b], self.positions[a:b], self.edge_index[:, c:d], self.edge_shift[c:d],
                     self.solid_angle[c:d], float(self.targets[g]))

    def subset(self, indices: Sequence[int]) -> "GraphSet":
        return GraphSet.from_graphs([self[int(g)] for g in indices])

    def n_atoms(self) -> np.ndarray:
        return np.diff(self.atom_ptr)

    def n_heavy_atoms(self) -> np.ndarray:
        """Non-hydrogen atoms per graph, (n_graphs,)."""
        heavy = np.concatenate([[0], np.cumsum(self.numbers > 1)])
        return heavy[self.atom_ptr[1:]] - heavy[self.atom_ptr[:-1]]

    def with_targets(self, targets: np.ndarray) -> "GraphSet":
        return GraphSet(**{**vars(self), "targets": np.asarray(targets, dtype=np.float64)})

    @classmethod
    def from_graphs(cls, graphs: Sequence[Graph]) -> "GraphSet":
        atoms = np.array([len(g.numbers) for g in graphs])
        edges = np.array([g.edge_index.shape[1] for g in graphs])
        return cls(
            numbers=np.concatenate([g.numbers for g in graphs]).astype(np.int8),
            positions=np.concatenate([g.positions for g in graphs]).astype(np.float32),
            atom_ptr=np.concatenate([[0], np.cumsum(atoms)]),
            edge_index=np.concatenate([g.edge_index for g in graphs], axis=1).astype(np.int32),
            edge_shift=np.concatenate([g.edge_shift for g in graphs]).astype(np.float32),
            solid_angle=np.concatenate([g.solid_angle for g in graphs]).astype(np.float32),
            edge_ptr=np.concatenate([[0], np.cumsum(edges)]),
            targets=np.array([g.target for g in graphs], dtype=np.float64),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **vars(self))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "GraphSet":
        with np.load(path) as data:
            return cls(**{k: data[k] for k in data.files})

    def batches(self, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[list[Graph]]:
        """Lists of graphs; shuffled when ``rng`` is given."""
        order = rng.permutation(len(self)) if rng is not None else np.arange(len(self))
        for start in range(0, len(order), batch_size):
            yield [self[int(g)] for g in order[start:start + batch_size]]


def _featurize_one(args) -> Graph:
    structure, config, target = args
    return build_graph(structure, config, target)


def featurize(structures: Sequence[Structure], targets: Sequence[float], config: ModelConfig, *,
              workers: int = 1, progress: Callable[[Iterator], Iterator] | None = None) -> GraphSet:
    """Neighbour graphs of many structures, in ``workers`` processes."""
    jobs = [(s, config, float(t)) for s, t in zip(structures, targets)]
    if workers > 1:
        from multiprocessing import get_context

        with get_context("fork").Pool(workers) as pool:
            results = pool.imap(_featurize_one, jobs, chunksize=256)
            graphs = list(progress(results) if progress else results)
    else:
        results = map(_featurize_one, jobs)
        graphs = list(progress(results) if progress else results)
    return GraphSet.from_graphs(graphs)


def featurization_key(config: ModelConfig, source: str) -> str:
    """Cache key: the data source and every preprocessing parameter."""
    params = {k: getattr(config, k) for k in ("cutoff", "min_solid_angle", "min_ratio")}
    return hashlib.sha1(json.dumps([source, params], sort_keys=True).encode()).hexdigest()[:12]
