"""Crystal helpers on top of pymatgen/spglib: conversions, canonical cell, Wyckoff labels."""
from __future__ import annotations

import numpy as np

from .structure import Structure

__all__ = ["to_pymatgen", "from_pymatgen", "conventional_standard_cell", "wyckoff_labels", "equivalent_sites",
           "supercell"]

SYMPREC = 0.01  # angstrom, spglib tolerance


def to_pymatgen(structure: Structure):
    from pymatgen.core import Lattice
    from pymatgen.core import Structure as PymatgenStructure

    return PymatgenStructure(Lattice(structure.cell, pbc=structure.pbc), structure.numbers.tolist(),
                             structure.positions, coords_are_cartesian=True)


def from_pymatgen(crystal, name: str = "crystal") -> Structure:
    return Structure([site.specie.Z for site in crystal], crystal.cart_coords, crystal.lattice.matrix,
                     (True, True, True), name)


def conventional_standard_cell(structure: Structure) -> Structure:
    """The conventional standard cell of a 3D crystal (spglib), so that primitive and
    conventional uploads of one crystal give the same model input up to atom order."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    analyzer = SpacegroupAnalyzer(to_pymatgen(structure), symprec=SYMPREC)
    return from_pymatgen(analyzer.get_conventional_standard_structure(), structure.name)


def _symmetrized(structure: Structure):
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    return SpacegroupAnalyzer(to_pymatgen(structure), symprec=SYMPREC).get_symmetrized_structure()


def wyckoff_labels(structure: Structure) -> list[str]:
    """Per-atom Wyckoff label such as ``8i`` (spglib, in the structure's own atom order)."""
    symmetrized = _symmetrized(structure)
    labels = [""] * structure.n_atoms
    for indices, symbol in zip(symmetrized.equivalent_indices, symmetrized.wyckoff_symbols):
        for index in indices:
            labels[index] = symbol
    return labels


def equivalent_sites(structure: Structure) -> tuple[str, list[np.ndarray]]:
    """Space-group symbol and the classes of symmetry-equivalent atoms of the cell (spglib, ``SYMPREC``),
    each an array of atom indices in the structure's own order."""
    symmetrized = _symmetrized(structure)
    return (symmetrized.spacegroup.int_symbol,
            [np.array(sorted(indices)) for indices in symmetrized.equivalent_indices])


def supercell(structure: Structure, repeats: tuple[int, int, int]) -> Structure:
    """Repeat the cell; atoms of image (a, b, c) follow the original order, image by image."""
    grid = np.array([(a, b, c) for a in range(repeats[0]) for b in range(repeats[1]) for c in range(repeats[2])])
    positions = (structure.positions[None] + (grid @ structure.cell)[:, None]).reshape(-1, 3)
    return Structure(np.tile(structure.numbers, len(grid)), positions, structure.cell * np.array(repeats)[:, None],
                     structure.pbc, f"{structure.name}_{'x'.join(map(str, repeats))}")
