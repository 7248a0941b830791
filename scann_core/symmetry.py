"""Symmetry-equivalent atoms of a molecule or crystal cell, and how equal a per-atom score is across them.

The paper's fullerene claims are symmetry statements: GA uniform over C60 (one class of 60
equivalent atoms), and equal on symmetry-equivalent atoms of C70 (D5h) and C72. A model whose
input is invariant to rotations and permutations must give equivalent atoms equal GA up to the
geometry's own deviation from the ideal symmetry, so these numbers also test the implementation.
Rank statistics between two per-atom scores (GA against an orbital weight or an attribution)
average each score over every class first, so that noise between equivalent atoms is not ranked.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .structure import Structure

__all__ = ["equivalent_atoms", "symmetry_classes", "class_spread", "class_means", "class_averager"]


def equivalent_atoms(structure: Structure, tolerance: float = 0.1) -> tuple[str, list[np.ndarray]]:
    """Symmetry group and the classes of symmetry-equivalent atoms, each an array of atom indices,
    largest classes first: for a molecule its Schoenflies point group (pymatgen's PointGroupAnalyzer,
    ``tolerance`` in A), for a periodic structure the space group of its cell (spglib, see
    :func:`scann_core.crystal.equivalent_sites`)."""
    if structure.is_periodic:
        from .crystal import equivalent_sites

        symbol, classes = equivalent_sites(structure)
    else:
        from pymatgen.core import Molecule
        from pymatgen.symmetry.analyzer import PointGroupAnalyzer

        analyzer = PointGroupAnalyzer(Molecule(structure.numbers.tolist(), structure.positions), tolerance=tolerance)
        symbol = analyzer.sch_symbol
        classes = [np.array(sorted(members)) for members in analyzer.get_equivalent_atoms()["eq_sets"].values()]
    return symbol, sorted(classes, key=lambda c: (-len(c), int(c[0])))


def symmetry_classes(structure: Structure) -> list[np.ndarray] | None:
    """The classes of :func:`equivalent_atoms`, or None when the symmetry cannot be found (pymatgen and
    spglib fail on some geometries; callers then rank the raw scores)."""
    try:
        return equivalent_atoms(structure)[1]
    except Exception:  # noqa: BLE001 -- any failure of the symmetry search means "unknown symmetry"
        return None


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


def class_averager(classes: Sequence[np.ndarray] | None) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function (n_atoms,) scores -> (n_atoms,) scores averaged over each of ``classes`` (from
    :func:`symmetry_classes`; the identity when they are None, i.e. unknown), or None when every atom
    is equivalent, so that there is no ranking to compare (C60)."""
    if classes is None:
        return lambda scores: np.asarray(scores, dtype=np.float64)
    if len(classes) == 1:
        return None
    return lambda scores: class_means(scores, classes)
