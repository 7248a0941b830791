"""The one internal structure type and the errors raised for bad input.

Conventions (used everywhere in the package): lengths in angstrom, cell vectors
are the *rows* of ``cell``, ``pbc`` flags which cell vectors are periodic.
A molecule has ``pbc == (False, False, False)`` and its ``cell`` is ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Structure", "StructureError", "validate_structure", "MIN_DISTANCE", "DEFAULT_MAX_ATOMS"]

MIN_DISTANCE = 0.5  # angstrom: closer atoms are treated as a broken geometry
DEFAULT_MAX_ATOMS = 500


class StructureError(ValueError):
    """Input that cannot become a :class:`Structure`; the message is one sentence for a person."""


@dataclass(frozen=True)
class Structure:
    """An atomic structure.

    Attributes:
        numbers: (n_atoms,) int64 atomic numbers.
        positions: (n_atoms, 3) float64 cartesian positions in angstrom.
        cell: (3, 3) float64 cell vectors as rows (zeros for a molecule).
        pbc: periodicity along each cell vector.
        name: a label for messages and file names.
    """

    numbers: np.ndarray
    positions: np.ndarray
    cell: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    pbc: tuple[bool, bool, bool] = (False, False, False)
    name: str = "structure"

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", np.asarray(self.numbers, dtype=np.int64).reshape(-1))
        object.__setattr__(self, "positions", np.asarray(self.positions, dtype=np.float64).reshape(-1, 3))
        object.__setattr__(self, "cell", np.asarray(self.cell, dtype=np.float64).reshape(3, 3))
        object.__setattr__(self, "pbc", tuple(bool(p) for p in self.pbc))

    @property
    def n_atoms(self) -> int:
        return len(self.numbers)

    @property
    def is_periodic(self) -> bool:
        return any(self.pbc)

    @property
    def symbols(self) -> list[str]:
        from ._elements import SYMBOLS

        return [SYMBOLS[z] for z in self.numbers]

    @property
    def formula(self) -> str:
        from collections import Counter

        counts = Counter(self.symbols)
        order = sorted(counts, key=lambda s: (s not in ("C",), s not in ("H",), s))
        return "".join(f"{s}{counts[s] if counts[s] > 1 else ''}" for s in order)

    def with_positions(self, positions: np.ndarray) -> "Structure":
        return Structure(self.numbers, positions, self.cell, self.pbc, self.name)


def validate_structure(structure: Structure, *, max_atoms: int = DEFAULT_MAX_ATOMS,
                       allowed_numbers: set[int] | None = None) -> Structure:
    """Check a structure for the defects that make a prediction meaningless.

    Raises:
        StructureError: with one sentence naming the atom(s) and what is wrong.
    """
    from ._elements import SYMBOLS

    name = structure.name
    n = structure.n_atoms
    if n == 0:
        raise StructureError(f"{name}: the structure has no atoms.")
    if n > max_atoms:
        raise StructureError(f"{name}: {n} atoms is more than the limit of {max_atoms} atoms.")
    bad = np.flatnonzero(~np.isfinite(structure.positions).all(axis=1))
    if bad.size:
        raise StructureError(f"{name}: atom {bad[0] + 1} has a non-finite (NaN or infinite) coordinate.")
    unknown = [z for z in structure.numbers if not 0 < z < len(SYMBOLS)]
    if unknown:
        raise StructureError(f"{name}: atomic number {unknown[0]} is not a chemical element.")
    if structure.is_periodic:
        periodic = structure.cell[list(np.flatnonzero(structure.pbc))]
        if not np.isfinite(structure.cell).all() or np.linalg.matrix_rank(periodic) < len(periodic) or (
                all(structure.pbc) and abs(np.linalg.det(structure.cell)) < 1e-3):
            raise StructureError(f"{name}: the periodic cell vectors are degenerate or not finite.")
    if allowed_numbers is not None:
        outside = sorted({int(z) for z in structure.numbers} - set(allowed_numbers))
        if outside:
            names = ", ".join(SYMBOLS[z] for z in outside)
            known = ", ".join(SYMBOLS[z] for z in sorted(allowed_numbers))
            raise StructureError(f"{name}: element(s) {names} were not in this model's training data (it knows {known}).")
    _check_min_distance(structure)
    return structure


def _check_min_distance(structure: Structure) -> None:
    from scipy.spatial import cKDTree

    from .neighbors import periodic_images

    if structure.is_periodic:
        points, owner, _ = periodic_images(structure, cutoff=MIN_DISTANCE)
    else:
        points, owner = structure.positions, np.arange(structure.n_atoms)
    tree = cKDTree(points)
    pairs = tree.query_pairs(MIN_DISTANCE, output_type="ndarray")
    pairs = pairs[(owner[pairs[:, 0]] < structure.n_atoms)]
    for a, b in pairs:
        i, j = owner[a], owner[b]
        if a == b:
            continue
        d = np.linalg.norm(points[a] - points[b])
        raise StructureError(f"{structure.name}: atoms {min(i, j) + 1} and {max(i, j) + 1} are only "
                             f"{d:.2f} A apart (less than {MIN_DISTANCE} A).")
