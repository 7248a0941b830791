"""Slow, obviously correct per-atom reference for the Voronoi solid-angle rule (molecules).

For every pair (i, j), the Voronoi face is the part of the bisector plane of i and j that is
no farther from i than from any other atom k: a 2D polygon obtained by clipping a huge
square (half side ``HALF_SIDE``, standing in for the unbounded plane) with one half-plane per
k. Its solid angle seen from i is summed over a triangle fan (Van Oosterom & Strackee 1983).
"""
from __future__ import annotations

import numpy as np

HALF_SIDE = 1e5  # angstrom; truncation changes a solid angle by ~1e-5 sr; larger loses float precision


def _clip(polygon: list[tuple[float, float]], nu: float, nv: float, offset: float) -> list[tuple[float, float]]:
    """Keep the part of a 2D polygon with ``nu * u + nv * v <= offset`` (Sutherland-Hodgman)."""
    out = []
    for k, (u, v) in enumerate(polygon):
        pu, pv = polygon[k - 1]
        now, before = nu * u + nv * v - offset, nu * pu + nv * pv - offset
        if (now <= 0) != (before <= 0):
            t = before / (before - now)
            out.append((pu + t * (u - pu), pv + t * (v - pv)))
        if now <= 0:
            out.append((u, v))
    return out


def _triangle_solid_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    la, lb, lc = np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(c)
    numerator = abs(a @ np.cross(b, c))
    denominator = la * lb * lc + (a @ b) * lc + (a @ c) * lb + (b @ c) * la
    return 2.0 * np.arctan2(numerator, denominator)


def face_solid_angle(positions: np.ndarray, i: int, j: int) -> float:
    xi, xj = positions[i], positions[j]
    normal = (xj - xi) / np.linalg.norm(xj - xi)
    helper = np.eye(3)[np.argmin(np.abs(normal))]
    e1 = np.cross(normal, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    middle = 0.5 * (xi + xj)
    polygon = [(-HALF_SIDE, -HALF_SIDE), (HALF_SIDE, -HALF_SIDE), (HALF_SIDE, HALF_SIDE), (-HALF_SIDE, HALF_SIDE)]
    # |x - xi|^2 <= |x - xk|^2  <=>  2 x . (xk - xi) <= |xk|^2 - |xi|^2, with x = middle + u e1 + v e2
    others = np.delete(positions, [i, j], axis=0)
    others = others[np.argsort(np.linalg.norm(others - xi, axis=1))]  # near atoms first: the polygon shrinks fast
    direction = 2.0 * (others - xi)
    offsets = np.einsum("ki,ki->k", others, others) - xi @ xi - direction @ middle
    for nu, nv, offset in zip((direction @ e1).tolist(), (direction @ e2).tolist(), offsets.tolist()):
        polygon = _clip(polygon, nu, nv, offset)
        if not polygon:
            return 0.0
    corners = [middle + u * e1 + v * e2 - xi for u, v in polygon]
    return sum(_triangle_solid_angle(corners[0], corners[k], corners[k + 1]) for k in range(1, len(corners) - 1))


def reference_molecule_neighbors(positions: np.ndarray, cutoff: float, min_solid_angle: float = 0.4,
                                 min_ratio: float = 0.2) -> set[tuple[int, int, int, int, int]]:
    """Edges ``(i, j, 0, 0, 0)`` of a molecule under the rule, one pair at a time."""
    n = len(positions)
    edges = set()
    for i in range(n):
        omega = {j: face_solid_angle(positions, i, j) for j in range(n) if j != i}
        largest = max(omega.values(), default=0.0)
        for j, w in omega.items():
            if w >= min_solid_angle and w >= min_ratio * largest and np.linalg.norm(positions[j] - positions[i]) <= cutoff:
                edges.add((i, j, 0, 0, 0))
    return edges
