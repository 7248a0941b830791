"""Symmetry-equivalent atoms of a molecule, and how equal a per-atom score is across them.

The paper's fullerene claims are symmetry statements: GA uniform over C60 (one class of 60
equivalent atoms), and equal on symmetry-equivalent atoms of C70 (D5h) and C72. A model whose
input is invariant to rotations and permutations must give equivalent atoms equal GA up to the
geometry's own deviation from the ideal symmetry, so these numbers also test the implementation.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .structure import Structure

__all__ = ["equivalent_atoms", "class_spread", "class_means", "class_averager"]


def equivalent_atoms(structure: Structure, tolerance: float = 0.1) -> tuple[str, list[np.ndarray]]:
    """Schoenflies symbol and the classes of symmetry-equivalent atoms (pymatgen's
    PointGroupAnalyzer, ``tolerance`` in A), each an array of atom indices, largest classes first."""
    from pymatgen.core import Molecule
    from pymatgen.symmetry.analyzer import PointGroupAnalyzer

    analyzer = PointGroupAnalyzer(Molecule(structure.numbers.tolist(), structure.positions), tolerance=tolerance)
    classes = [np.array(sorted(members)) for members in analyzer.get_equivalent_atoms()["eq_sets"].values()]
    return analyzer.sch_symbol, sorted(classes, key=lambda c: (-len(c), int(c[0])))


def class_spread(values: np.ndarray, classes: list[np.ndarray]) -> dict[str, float]:
    """How equal ``values`` are within each class, against how much they differ overall.

    Returns:
        ``within``: largest (max - min) / mean over the classes;
        ``overall``: (max - min) / mean over all atoms;
        ``between``: (largest class mean - smallest class mean) / overall mean (0 for one class).
    """
    values = np.asarray(values, dtype=np.float64)
    mean = values.mean()
    class_means = np.array([values[c].mean() for c in classes])
    return {"within": float(max(np.ptp(values[c]) for c in classes) / mean),
            "overall": float(np.ptp(values) / mean),
            "between": float(np.ptp(class_means) / mean)}


def class_means(values: np.ndarray, classes: list[np.ndarray]) -> np.ndarray:
    """(n_atoms,) each atom's value replaced by the mean over its class of equivalent atoms, which
    removes the numerical noise of a symmetric score before it is ranked."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    for c in classes:
        out[c] = values[c].mean()
    return out


def class_averager(structure: Structure) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function (n_atoms,) scores -> (n_atoms,) scores averaged over each class of equivalent atoms
    (the identity when the point group cannot be found), or None when every atom is equivalent, so
    that there is no ranking to compare (C60)."""
    try:
        _, classes = equivalent_atoms(structure)
    except Exception:  # noqa: BLE001 -- pymatgen fails on some geometries: rank the raw scores
        return lambda scores: np.asarray(scores, dtype=np.float64)
    if len(classes) == 1:
        return None
    return lambda scores: class_means(scores, classes)
