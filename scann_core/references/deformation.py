"""Per-carbon deformation references for a distorted graphene sheet (Pt on graphene).

Three per-atom quantities to compare with a model's attention:

- **bond elongation**: the mean over the atom's three C-C bonds of ``(d - d_flat) / d_flat``
  (dimensionless; 0 for the flat sheet, > 0 when the bonds are stretched);
- **local curvature** (signed): the height ``h`` of the atom above the plane through its three
  neighbours, measured along the sheet normal side given by ``normal`` (the side where Pt was,
  +z in the dataset), turned into the curvature of the sphere through the atom and its
  neighbours, ``kappa = 2 h / (r^2 + h^2)`` (1/A, r the neighbours' mean distance from their
  centroid). ``kappa > 0``: convex, the atom bulges towards ``normal`` (a bump under Pt);
  ``kappa < 0``: concave;
- **site-energy share** of the deformation energy: CHGNet site energies of the deformed sheet
  minus those of the flat sheet, per atom (eV); they sum to the deformation energy.

Bonds are the three nearest neighbours of each atom in the flat sheet (:func:`sheet_neighbours`);
vectors between atoms use the minimum image along the periodic in-plane cell vectors, so
positions need not be wrapped. Everything except :func:`site_energy_share` is pure numpy.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..structure import Structure

__all__ = ["minimum_image", "sheet_neighbours", "bond_vectors", "bond_lengths", "flat_bond_length",
           "bond_elongation", "local_height", "local_curvature", "site_energy_share", "carbon_references"]

SHEET_PBC = (True, True, False)
UP = (0.0, 0.0, 1.0)


def minimum_image(vectors: np.ndarray, cell: np.ndarray, pbc: Sequence[bool] = SHEET_PBC) -> np.ndarray:
    """Shortest periodic images of difference vectors (..., 3) along the periodic cell vectors
    (exact for vectors much shorter than the cell, as bonds are)."""
    cell = np.asarray(cell, float)
    fractional = np.asarray(vectors, float) @ np.linalg.inv(cell)
    periodic = np.asarray(pbc, bool)
    fractional[..., periodic] -= np.rint(fractional[..., periodic])
    return fractional @ cell


def sheet_neighbours(positions: np.ndarray, cell: np.ndarray, pbc: Sequence[bool] = SHEET_PBC,
                     n_neighbours: int = 3) -> np.ndarray:
    """(n, 3) indices of each atom's three nearest atoms (minimum image): the bonds of a flat sheet."""
    positions = np.asarray(positions, float)
    diff = minimum_image(positions[None, :, :] - positions[:, None, :], cell, pbc)
    distance = np.linalg.norm(diff, axis=2)
    np.fill_diagonal(distance, np.inf)
    return np.argsort(distance, axis=1, kind="stable")[:, :n_neighbours]


def bond_vectors(positions: np.ndarray, cell: np.ndarray, neighbours: np.ndarray,
                 pbc: Sequence[bool] = SHEET_PBC) -> np.ndarray:
    """(n, 3, 3): vector from each atom to each of its neighbours (minimum image)."""
    positions = np.asarray(positions, float)
    return minimum_image(positions[neighbours] - positions[:, None, :], cell, pbc)


def bond_lengths(positions: np.ndarray, cell: np.ndarray, neighbours: np.ndarray,
                 pbc: Sequence[bool] = SHEET_PBC) -> np.ndarray:
    """(n, 3) bond lengths in A."""
    return np.linalg.norm(bond_vectors(positions, cell, neighbours, pbc), axis=2)


def flat_bond_length(flat_positions: np.ndarray, cell: np.ndarray, neighbours: np.ndarray,
                     pbc: Sequence[bool] = SHEET_PBC) -> float:
    """Mean C-C bond length of the flat sheet (a / sqrt(3) for ideal graphene)."""
    return float(bond_lengths(flat_positions, cell, neighbours, pbc).mean())


def bond_elongation(positions: np.ndarray, cell: np.ndarray, neighbours: np.ndarray, flat_length: float,
                    pbc: Sequence[bool] = SHEET_PBC) -> np.ndarray:
    """(n,) mean relative elongation of each atom's bonds, ``mean_k (d_k - d_flat) / d_flat``."""
    return (bond_lengths(positions, cell, neighbours, pbc) / float(flat_length) - 1.0).mean(axis=1)


def _height_and_radius(positions, cell, neighbours, normal, pbc) -> tuple[np.ndarray, np.ndarray]:
    v = bond_vectors(positions, cell, neighbours, pbc)  # neighbours relative to the atom
    plane_normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    plane_normal /= np.linalg.norm(plane_normal, axis=1, keepdims=True)
    reference = np.asarray(normal, float)
    plane_normal *= np.where(plane_normal @ reference < 0, -1.0, 1.0)[:, None]
    centroid = v.mean(axis=1)  # neighbours' centroid relative to the atom
    height = -np.einsum("ij,ij->i", centroid, plane_normal)  # atom above the neighbours' plane
    radius2 = (np.linalg.norm(v - centroid[:, None, :], axis=2) ** 2).mean(axis=1)
    return height, radius2


def local_height(positions: np.ndarray, cell: np.ndarray, neighbours: np.ndarray,
                 normal: Sequence[float] = UP, pbc: Sequence[bool] = SHEET_PBC) -> np.ndarray:
    """(n,) signed height (A) of each atom above the plane through its three neighbours; the
    plane normal is oriented towards ``normal`` (positive = the atom sticks out on that side)."""
    return _height_and_radius(positions, cell, neighbours, normal, pbc)[0]


def local_curvature(positions: np.ndarray, cell: np.ndarray, neighbours: np.ndarray,
                    normal: Sequence[float] = UP, pbc: Sequence[bool] = SHEET_PBC) -> np.ndarray:
    """(n,) signed curvature (1/A) of the sphere through the atom and its three neighbours,
    ``2 h / (r^2 + h^2)``: > 0 convex towards ``normal``, < 0 concave, 0 flat."""
    height, radius2 = _height_and_radius(positions, cell, neighbours, normal, pbc)
    return 2 * height / (radius2 + height ** 2)


def site_energy_share(deformed: Structure, flat: Structure) -> np.ndarray:
    """(n,) CHGNet site energy of each atom in the deformed sheet minus that in the flat sheet (eV).

    Both sheets must list the same atoms in the same order; the values sum to the CHGNet
    deformation energy (up to float32 rounding).
    """
    from ..data.pt_graphene import sheet_energies

    if deformed.n_atoms != flat.n_atoms or (deformed.numbers != flat.numbers).any():
        raise ValueError("the deformed and the flat sheet must have the same atoms in the same order.")
    _, sites = sheet_energies([deformed, flat])
    return sites[0] - sites[1]


def carbon_references(deformed: Structure, flat: Structure, *, normal: Sequence[float] = UP,
                      site_energies: bool = True) -> dict[str, np.ndarray]:
    """All per-carbon references of a deformed sheet against its flat reference (same atom order).

    Returns:
        ``bond_elongation`` (dimensionless), ``height`` (A), ``curvature`` (1/A) and, with
        ``site_energies``, ``site_energy`` (eV, CHGNet deformed minus flat).
    """
    pbc = SHEET_PBC
    neighbours = sheet_neighbours(flat.positions, flat.cell, pbc)
    length = flat_bond_length(flat.positions, flat.cell, neighbours, pbc)
    height, radius2 = _height_and_radius(deformed.positions, deformed.cell, neighbours, normal, pbc)
    out = {
        "bond_elongation": bond_elongation(deformed.positions, deformed.cell, neighbours, length, pbc),
        "height": height,
        "curvature": 2 * height / (radius2 + height ** 2),
    }
    if site_energies:
        out["site_energy"] = site_energy_share(deformed, flat)
    return out
