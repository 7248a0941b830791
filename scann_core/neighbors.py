"""Voronoi solid-angle neighbour lists, box-free for molecules, with one Qhull call per structure.

The rule (SCANN, Vu et al. 2023), for a centre atom i and every other atom or periodic image j:
j is a neighbour of i when the Voronoi face shared by i and j subtends a solid angle
``omega_ij >= min_solid_angle`` (0.4 sr) as seen from i, ``omega_ij / max_k omega_ik >= min_ratio``
(0.2) and ``d_ij <= cutoff`` (4 A molecules, 6 A crystals).

The Voronoi tessellation is the one of the true point set: for a molecule the atoms alone,
with no box, so faces of surface atoms may be unbounded (their solid angle is still finite);
for a crystal all periodic images; for a slab or sheet the images along the periodic cell
vectors only. Images are mapped back to the index of the atom in the cell and keep their
integer lattice shift.

How it is computed: the solid angle of face (i, j) equals the angle defect at the inverted
point ``p_j = 2 (x_j - x_i) / |x_j - x_i|^2`` of the convex hull of ``{0} U {p_k}`` (inversion
about x_i maps the Voronoi cell of i onto the polar of that hull, and the normal cone at
p_j is the set of ray directions that leave the cell through face j). The hull facets
around p_j are the Delaunay tetrahedra containing i and j, plus, when i lies on the
convex hull of the point set, the hull triangles containing i and j. One joggled Delaunay
call over all atoms therefore gives every solid angle, including planar and linear
molecules (where a plain 3D Voronoi call is degenerate).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial import Delaunay, cKDTree

from .structure import Structure

__all__ = ["NeighborList", "voronoi_neighbors", "solid_angles", "periodic_images"]

TWO_PI = 2.0 * np.pi
_FIRST_IMAGE_CUTOFF = 8.0  # angstrom; grown until provably complete


@dataclass(frozen=True)
class NeighborList:
    """Directed neighbour graph of one structure.

    Attributes:
        edge_index: (2, n_edges) int64; row 0 the centre i, row 1 the neighbour j (cell index).
        shift: (n_edges, 3) int64 lattice shift n of the image of j, so that its position is
            ``positions[j] + shift @ cell``.
        solid_angle: (n_edges,) float64 solid angle of the Voronoi face (sr), seen from i.
        distance: (n_edges,) float64 |x_j + shift @ cell - x_i| in angstrom.
    """

    edge_index: np.ndarray
    shift: np.ndarray
    solid_angle: np.ndarray
    distance: np.ndarray

    @property
    def n_edges(self) -> int:
        return self.edge_index.shape[1]

    def as_set(self) -> set[tuple[int, int, int, int, int]]:
        """Edges as ``(i, j, n1, n2, n3)`` tuples, for order-free comparison."""
        return {(int(i), int(j), *map(int, s)) for (i, j), s in zip(self.edge_index.T, self.shift)}


def periodic_images(structure: Structure, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All atoms and periodic images within ``cutoff`` of an atom of the cell.

    Returns:
        points: (n_points, 3) positions; the first n_atoms rows are the cell atoms themselves.
        owner: (n_points,) index of the cell atom each point is an image of.
        shift: (n_points, 3) integer lattice shift of each point.
    """
    pos, cell = structure.positions, structure.cell
    n = structure.n_atoms
    inverse_t = np.linalg.pinv(cell)  # columns: reciprocal vectors / 2 pi
    reach = []
    for axis in range(3):
        if structure.pbc[axis]:
            spacing = 1.0 / np.linalg.norm(inverse_t[:, axis])  # distance between lattice planes
            reach.append(int(np.ceil(cutoff / spacing)) + 1)
        else:
            reach.append(0)
    grid = np.array(list(itertools.product(*(range(-r, r + 1) for r in reach))), dtype=np.int64)
    grid = grid[np.argsort(np.abs(grid).sum(axis=1), kind="stable")]  # zero shift first
    points = (pos[None, :, :] + (grid @ cell)[:, None, :]).reshape(-1, 3)
    owner = np.tile(np.arange(n), len(grid))
    shift = np.repeat(grid, n, axis=0)
    nearest, _ = cKDTree(pos).query(points, distance_upper_bound=cutoff + 1e-9)
    keep = np.isfinite(nearest)
    return points[keep], owner[keep], shift[keep]


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between the rows of u and v, (m, 3) -> (m,), stable at 0 and pi."""
    return np.arctan2(np.linalg.norm(np.cross(u, v), axis=1), np.einsum("ij,ij->i", u, v))


def _invert(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    r = points - centre
    return 2.0 * r / np.einsum("...i,...i->...", r, r)[..., None]


# For a tetrahedron (a, b, c, d): centre a, neighbour b, the two others c, d (12 orderings).
_TET_ORDER = np.array([(a, b, *[k for k in range(4) if k not in (a, b)])
                       for a in range(4) for b in range(4) if a != b])
_TRI_ORDER = np.array(list(itertools.permutations(range(3))))


def _angle_sums(points: np.ndarray, simplices: np.ndarray, hull: np.ndarray, n_centres: int):
    """Sum of facet angles at p_j around each centre i. Returns (pairs (m, 2), sums (m,))."""
    tet = simplices[:, _TET_ORDER].reshape(-1, 4)
    tet = tet[tet[:, 0] < n_centres]
    x = points[tet]  # (m, 4, 3): centre, neighbour, two others
    p = _invert(x[:, 1:], x[:, :1])
    tet_angles = _angle(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    tri = hull[:, _TRI_ORDER].reshape(-1, 3)
    tri = tri[tri[:, 0] < n_centres]
    y = points[tri]
    q = _invert(y[:, 1:], y[:, :1])
    tri_angles = _angle(-q[:, 0], q[:, 1] - q[:, 0])
    pairs = np.concatenate([tet[:, :2], tri[:, :2]])
    angles = np.concatenate([tet_angles, tri_angles])
    key = pairs[:, 0] * len(points) + pairs[:, 1]
    unique, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=angles, minlength=len(unique))
    return np.stack([unique // len(points), unique % len(points)], axis=1), sums


def _small_molecule_angle_sums(points: np.ndarray):
    """Angle sums for 2-4 atoms, where Qhull cannot triangulate: every triangle of the inverted
    set {0, p_k} is a facet of its (possibly flat, doubly covered) hull."""
    n = len(points)
    pairs, sums = [], []
    for i in range(n):
        others = [k for k in range(n) if k != i]
        inverted = {k: _invert(points[k][None], points[i][None])[0] for k in others}
        inverted[i] = np.zeros(3)
        vertices = [i, *others]
        triangles = list(itertools.combinations(vertices, 3))
        weight = 2.0 if len(vertices) == 3 else 1.0
        for j in others:
            total = 0.0
            for tri in triangles:
                if j in tri:
                    a, b = (inverted[k] - inverted[j] for k in tri if k != j)
                    total += weight * _angle(a[None], b[None])[0]
            pairs.append((i, j))
            sums.append(total)
    return np.array(pairs, dtype=np.int64).reshape(-1, 2), np.array(sums)


def solid_angles(structure: Structure, image_cutoff: float | None = None):
    """Solid angle of every Voronoi face of every atom of the cell.

    Args:
        structure: molecule, crystal or slab.
        image_cutoff: radius (A) of periodic images included; by default the smallest radius
            proven to contain every face (see :func:`_default_image_cutoff`).

    Returns:
        centre (m,), neighbour (m,) cell indices, shift (m, 3), solid angle (m,), distance (m,).
    """
    n = structure.n_atoms
    if not structure.is_periodic:
        return _solid_angles_of_points(structure.positions, np.arange(n), np.zeros((n, 3), np.int64), n)[:5]
    bound = _default_image_cutoff(structure)
    cutoff = image_cutoff or min(bound, _FIRST_IMAGE_CUTOFF)
    while True:
        points, owner, shift = periodic_images(structure, cutoff)
        *result, reach = _solid_angles_of_points(points, owner, shift, n)
        if image_cutoff or cutoff >= bound or not all(structure.pbc) or reach <= cutoff:
            return tuple(result)
        cutoff = min(bound, max(1.5 * cutoff, reach))


def _solid_angles_of_points(points, owner, shift, n):
    """Faces of the first n points among all ``points``; ``reach`` is twice the largest
    circumradius of a Delaunay tetrahedron at a centre: every atom that can share a face
    with a centre lies within it, so an image set of that radius is complete."""
    if len(points) < 2:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros((0, 3), np.int64), np.zeros(0), np.zeros(0), 0.0
    if len(points) <= 4:
        pairs, sums = _small_molecule_angle_sums(points)
        reach = np.inf
    else:
        triangulation = Delaunay(points, qhull_options="QJ Qbb")
        simplices = triangulation.simplices
        pairs, sums = _angle_sums(points, simplices, triangulation.convex_hull, n)
        reach = 2.0 * _largest_circumradius(points[simplices[(simplices < n).any(axis=1)]])
    omega = np.clip(TWO_PI - sums, 0.0, None)
    distance = np.linalg.norm(points[pairs[:, 1]] - points[pairs[:, 0]], axis=1)
    return owner[pairs[:, 0]], owner[pairs[:, 1]], shift[pairs[:, 1]], omega, distance, reach


def _largest_circumradius(tetrahedra: np.ndarray) -> float:
    """(m, 4, 3) vertices -> largest circumradius, skipping flat tetrahedra (joggled copies of
    co-circular points, whose circumsphere is arbitrary and which carry no Voronoi vertex)."""
    a, b, c = (tetrahedra[:, k] - tetrahedra[:, 0] for k in (1, 2, 3))
    numerator = (np.einsum("mi,mi->m", a, a)[:, None] * np.cross(b, c) + np.einsum("mi,mi->m", b, b)[:, None]
                 * np.cross(c, a) + np.einsum("mi,mi->m", c, c)[:, None] * np.cross(a, b))
    volume6 = np.einsum("mi,mi->m", a, np.cross(b, c))
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = np.linalg.norm(numerator, axis=1) / np.abs(2.0 * volume6)
    scale = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) * np.linalg.norm(c, axis=1)
    solid = np.abs(volume6) > 1e-6 * scale
    return float(radius[solid].max()) if solid.any() else np.inf


def _default_image_cutoff(structure: Structure) -> float:
    """Image radius that contains every atom able to share a face with a cell atom.

    Any point lies within half the sum of the periodic cell-vector lengths of a lattice image
    of a given atom, so a Voronoi cell never reaches further and only images within twice
    that distance can touch it. Along non-periodic directions no images exist.
    """
    lengths = np.linalg.norm(structure.cell[list(np.flatnonzero(structure.pbc))], axis=1)
    return float(lengths.sum())


def voronoi_neighbors(structure: Structure, *, cutoff: float, min_solid_angle: float = 0.4,
                      min_ratio: float = 0.2, image_cutoff: float | None = None) -> NeighborList:
    """Neighbour list under the SCANN Voronoi solid-angle rule (see the module docstring)."""
    centre, neighbour, shift, omega, distance = solid_angles(structure, image_cutoff)
    largest = np.zeros(structure.n_atoms)
    np.maximum.at(largest, centre, omega)
    keep = (omega >= min_solid_angle) & (omega >= min_ratio * largest[centre]) & (distance <= cutoff)
    order = np.lexsort((*shift[keep].T[::-1], neighbour[keep], centre[keep]))
    return NeighborList(
        edge_index=np.stack([centre[keep], neighbour[keep]])[:, order].astype(np.int64),
        shift=shift[keep][order].astype(np.int64),
        solid_angle=omega[keep][order],
        distance=distance[keep][order],
    )
