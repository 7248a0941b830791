"""GFN2-xTB (tblite) geometry relaxation and orbital energies for molecules."""
from __future__ import annotations

import numpy as np

from .structure import Structure, StructureError

__all__ = ["relax_xtb", "xtb_orbital_energies", "METHOD"]

METHOD = "GFN2-xTB"
_HARTREE_EV = 27.211386245988
_BOHR_ANGSTROM = 0.529177210903


def _multiplicity(structure: Structure, charge: int) -> int:
    """Lowest spin multiplicity allowed by the electron count (1 or 2)."""
    return 1 + int(int(structure.numbers.sum()) - charge) % 2


def _require_molecule(structure: Structure) -> None:
    if structure.is_periodic:
        raise StructureError(f"{structure.name}: GFN2-xTB relaxation here is for molecules, "
                             "not periodic structures.")


def relax_xtb(structure: Structure, *, fmax: float = 0.05, steps: int = 300, charge: int = 0) -> Structure:
    """Relax a molecule with GFN2-xTB forces and ASE's BFGS optimiser.

    Args:
        structure: a molecule (no periodic directions).
        fmax: force convergence threshold in eV/A.
        steps: most optimiser steps; the last geometry is returned even if not converged.
        charge: total charge in e (the multiplicity follows from the electron count).

    Returns:
        The structure with relaxed positions.

    Raises:
        StructureError: for a periodic structure or when the xTB calculation fails.
    """
    from ase.calculators.calculator import CalculationFailed, InputError
    from ase.optimize import BFGS
    from tblite.ase import TBLite

    from .io import structure_to_ase

    _require_molecule(structure)
    atoms = structure_to_ase(structure)
    atoms.calc = TBLite(method=METHOD, charge=charge, multiplicity=_multiplicity(structure, charge),
                        verbosity=0)
    try:
        BFGS(atoms, logfile=None).run(fmax=fmax, steps=steps)
    except (CalculationFailed, InputError) as err:
        raise StructureError(f"{structure.name}: the GFN2-xTB calculation failed for this geometry.") from err
    return structure.with_positions(atoms.get_positions())


def xtb_orbital_energies(structure: Structure, *, charge: int = 0) -> tuple[float, float]:
    """HOMO and LUMO energies (eV) of a closed-shell molecule from a GFN2-xTB single point.

    Raises:
        StructureError: for a periodic structure or when the xTB calculation fails.
    """
    from tblite.interface import Calculator

    _require_molecule(structure)
    if _multiplicity(structure, charge) != 1:
        raise StructureError(f"{structure.name}: orbital energies are only computed for closed-shell "
                             "molecules (this one has an odd number of electrons).")
    try:
        calc = Calculator(METHOD, structure.numbers, structure.positions / _BOHR_ANGSTROM, charge, 0)
        calc.set("verbosity", 0)
        result = calc.singlepoint()
    except RuntimeError as err:
        raise StructureError(f"{structure.name}: the GFN2-xTB calculation failed for this geometry.") from err
    energies = np.asarray(result["orbital-energies"]).reshape(-1) * _HARTREE_EV
    occupations = np.asarray(result["orbital-occupations"]).reshape(-1)
    n_occupied = int(round(occupations.sum() / 2))
    return float(energies[n_occupied - 1]), float(energies[n_occupied])
