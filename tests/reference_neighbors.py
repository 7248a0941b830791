"""Slow, obviously correct per-atom reference for the Voronoi solid-angle rule (molecules).

For every pair (i, j), the Voronoi face is the part of the bisector plane of i and j that is
no farther from i than from any other atom k: a 2D polygon obtained by clipping a huge
square (half side ``HALF_SIDE``, standing in for the unbounded plane) with one half-plane per
k. Its solid angle seen from i is summed over a triangle fan (Van Oosterom & Strackee 1983).
"""
from __future__ import annotations

import numpy as np

HALF_SIDE = 1e6  # angstrom; truncating an unbounded face here changes its solid angle by ~1e-6 sr


def _clip(polygon: list[np.ndarray], normal: np.ndarray, offset: float) -> list[np.ndarray]:
    """Keep the part of a 2D polygon with ``normal . x <= offset`` (Sutherland-Hodgman)."""
    out = []
    for k, current in enumerate(polygon):
        previous = polygon[k - 1]
        inside_now = normal @ current <= offset
        inside_before = normal @ previous <= offset
        if inside_now != inside_before:
            t = (offset - normal @ previous) / (normal @ (current - previous))
            out.append(previous + t * (current - previous))
        if inside_now:
            out.append(current)
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
    polygon = [np.array(v) * HALF_SIDE for v in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    for k, xk in enumerate(positions):
        if k in (i, j):
            continue
        # |x - xi|^2 <= |x - xk|^2  <=>  2 x . (xk - xi) <= |xk|^2 - |xi|^2, with x = middle + u e1 + v e2
        direction = 2.0 * (xk - xi)
        offset = xk @ xk - xi @ xi - direction @ middle
        polygon = _clip(polygon, np.array([direction @ e1, direction @ e2]), offset)
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
