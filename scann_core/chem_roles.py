"""Chemical roles of atoms in small organic molecules, from connectivity alone.

The paper describes its example molecules' GA by role (C=C carbons, carbonyl O and C, ester O,
methyl C); these labels let a script or a test say the same of our models. Bonds come from RDKit's
connectivity (covalent radii), which needs no bond orders, so it works on any relaxed geometry.
"""
from __future__ import annotations

from .structure import Structure

__all__ = ["bonded_neighbours", "carbon_hybridisation", "atom_roles"]

HYBRIDISATION_BY_DEGREE = {4: "sp3", 3: "sp2"}


def bonded_neighbours(structure: Structure) -> list[list[int]]:
    """Per atom, the indices of its bonded atoms (RDKit connectivity from covalent radii)."""
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    mol = Chem.RWMol()
    conformer = Chem.Conformer(structure.n_atoms)
    for k, (z, position) in enumerate(zip(structure.numbers, structure.positions)):
        mol.AddAtom(Chem.Atom(int(z)))
        conformer.SetAtomPosition(k, [float(c) for c in position])
    mol.AddConformer(conformer)
    rdDetermineBonds.DetermineConnectivity(mol)
    return [[neighbour.GetIdx() for neighbour in atom.GetNeighbors()] for atom in mol.GetAtoms()]


def carbon_hybridisation(structure: Structure, neighbours: list[list[int]] | None = None) -> list[str]:
    """Per atom: 'sp', 'sp2' or 'sp3' for carbon (4 neighbours sp3, 3 sp2, fewer sp), '' otherwise."""
    neighbours = bonded_neighbours(structure) if neighbours is None else neighbours
    return [HYBRIDISATION_BY_DEGREE.get(len(bonded), "sp") if z == 6 else ""
            for z, bonded in zip(structure.numbers, neighbours)]


def atom_roles(structure: Structure) -> list[str]:
    """Per atom, its role: 'H'; 'carbonyl O' (O with one bond, to C), 'ester O' (O between two
    carbons), 'hydroxyl O'; 'carbonyl C' (C bonded to a carbonyl O), 'methyl C' (sp3 C with three
    H), 'C=C' (other sp2 C bonded to an sp2 C), 'sp3 C', 'sp C'; other atoms by element ('N', 'F')."""
    neighbours = bonded_neighbours(structure)
    z = structure.numbers
    hybrid = carbon_hybridisation(structure, neighbours)
    carbonyl_o = {i for i, bonded in enumerate(neighbours) if z[i] == 8 and len(bonded) == 1 and z[bonded[0]] == 6}
    carbonyl_c = {neighbours[i][0] for i in carbonyl_o}

    def role(i: int) -> str:
        bonded = neighbours[i]
        if z[i] == 8:
            if i in carbonyl_o:
                return "carbonyl O"
            if len(bonded) == 2 and all(z[j] == 6 for j in bonded):
                return "ester O"
            return "hydroxyl O" if any(z[j] == 1 for j in bonded) else "O"
        if z[i] != 6:
            return structure.symbols[i]
        if i in carbonyl_c:
            return "carbonyl C"
        if hybrid[i] == "sp3":
            return "methyl C" if sum(z[j] == 1 for j in bonded) == 3 else "sp3 C"
        if hybrid[i] == "sp2" and any(hybrid[j] == "sp2" and j not in carbonyl_c for j in bonded):
            return "C=C"
        return f"{hybrid[i]} C"

    return [role(i) for i in range(structure.n_atoms)]
