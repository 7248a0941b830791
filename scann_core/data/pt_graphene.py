"""Pt atoms and small Pt clusters on graphene: CHGNet MD and sheet deformation-energy labels.

A 6 x 6 graphene supercell (72 C, hexagonal, periodic in-plane, c = 22 A so that at least 15 A
of vacuum separate the top of any cluster from the next sheet) carries a Pt_n cluster (n = 1-4,
:data:`CLUSTERS`). Each adsorption configuration is relaxed at fixed cell with CHGNet, then run
as short Langevin MD trajectories (ASE, CHGNet forces) at a few temperatures; snapshots are
taken at fixed intervals after an equilibration.

Label of a snapshot: the **deformation energy of the carbon sheet**,
``E(sheet in its deformed snapshot geometry, Pt removed) - E(flat relaxed sheet)``, both with
the same CHGNet model (eV). It is >= 0 near a flat minimum and includes the thermal distortion
of the whole sheet, not only the part induced by Pt.

Model input: the deformed carbon sheet **without Pt**, 72 C in the same atom order as the flat
sheet, with ``pbc = (True, True, False)`` (a sheet: periodic in-plane, no images along c; the
cell's c vector only records the vacuum). CHGNet itself is always run with 3D periodicity on the
same cell (the 22 A c axis is far beyond its 6 A cutoff), which gives the same energies.

CHGNet (pretrained 0.3.0) is a machine-learned surrogate of the Materials Project's PBE(+U) DFT;
these labels are not DFT. The model is loaded through :func:`scann_core.data.smfe12.chgnet_model`.

Nothing heavy happens at import: ASE, pymatgen, torch and CHGNet are imported lazily.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..structure import Structure

__all__ = [
    "LATTICE_A", "C_LENGTH", "REPEATS", "MODEL_PBC", "CLUSTERS", "TEMPERATURES", "SEEDS", "TIMESTEP_FS",
    "FRICTION_PER_FS", "EQUILIBRATION_STEPS", "SNAPSHOT_INTERVAL", "SNAPSHOTS", "RELAX_FMAX", "PINNED_TEST",
    "primitive_cell", "graphene_sheet", "relaxed_lattice_constant", "cluster_positions", "adsorbed_system",
    "carbon_sheet", "is_graphene_sheet", "pt_positions", "chgnet_forces", "relax_positions", "run_md", "sheet_energies",
    "flat_sheet_energy", "deformation_energy", "Trajectory", "trajectory_plan", "trajectory_splits",
]

LATTICE_A = 2.4686  # A, graphene lattice constant of CHGNet 0.3.0 (relaxed_lattice_constant() gives 2.46860)
C_LENGTH = 22.0  # A, cell length along the sheet normal
REPEATS = 6  # 6 x 6 supercell: 72 C
SHEET_Z = C_LENGTH / 2  # the flat sheet lies in the plane z = c / 2
MODEL_PBC = (True, True, False)
TEMPERATURES: tuple[float, ...] = (100.0, 300.0, 600.0)  # K (low: thermal strain soon outweighs what Pt induces)
SEEDS: tuple[int, ...] = (0, 1)
TIMESTEP_FS = 1.0
FRICTION_PER_FS = 0.02  # Langevin friction, 1/fs
EQUILIBRATION_STEPS = 100
SNAPSHOT_INTERVAL = 10  # MD steps between snapshots
SNAPSHOTS = 28  # per trajectory
RELAX_FMAX = 0.05  # eV/A, fixed-cell relaxation of each adsorption configuration
RELAX_STEPS = 300
PT_PT = 2.55  # A, starting Pt-Pt distance
PINNED_TEST: tuple[str, ...] = ()

# name -> (number of Pt, description)
CLUSTERS: dict[str, tuple[int, str]] = {
    "Pt1-top": (1, "one Pt above a C atom"),
    "Pt1-bridge": (1, "one Pt above a C-C bond"),
    "Pt1-hollow": (1, "one Pt above a hexagon centre"),
    "Pt2-flat": (2, "Pt2 parallel to the sheet, over a hexagon"),
    "Pt2-upright": (2, "Pt2 standing on a C-C bond"),
    "Pt3-flat": (3, "Pt3 triangle parallel to the sheet, over a hexagon"),
    "Pt3-upright": (3, "Pt3 triangle standing perpendicular to the sheet"),
    "Pt4-tetrahedron": (4, "Pt4 tetrahedron on a triangle face, over a hexagon"),
    "Pt4-rhombus": (4, "Pt4 flat rhombus parallel to the sheet"),
}


# ----------------------------------------------------------------------------- geometry

def primitive_cell(a: float = LATTICE_A, c: float = C_LENGTH) -> Structure:
    """Two-atom graphene cell (a1 = (a, 0, 0), a2 = (a/2, a sqrt(3)/2, 0)), sheet at z = c / 2."""
    cell = np.array([[a, 0.0, 0.0], [a / 2, a * np.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])
    fractional = np.array([[0.0, 0.0, 0.5], [1 / 3, 1 / 3, 0.5]])
    return Structure([6, 6], fractional @ cell, cell, (True, True, True), "graphene")


def graphene_sheet(repeats: int = REPEATS, a: float = LATTICE_A, c: float = C_LENGTH,
                   pbc: Sequence[bool] = MODEL_PBC) -> Structure:
    """Flat ``repeats`` x ``repeats`` graphene sheet (2 repeats^2 C; atoms of primitive image (i, j)
    in order, see :func:`scann_core.crystal.supercell`)."""
    from ..crystal import supercell

    sheet = supercell(primitive_cell(a, c), (repeats, repeats, 1))
    return Structure(sheet.numbers, sheet.positions, sheet.cell, tuple(pbc), f"graphene_{repeats}x{repeats}")


def relaxed_lattice_constant(fmax: float = 0.002) -> float:
    """CHGNet graphene lattice constant (A): the two-atom cell relaxed with cell and positions free."""
    from .smfe12 import relax_chgnet

    relaxed, _, _, _ = relax_chgnet(primitive_cell(), fmax=fmax, steps=1000)
    return float(np.linalg.norm(relaxed.cell[:2], axis=1).mean())


def cluster_positions(name: str, a: float = LATTICE_A, repeats: int = REPEATS) -> np.ndarray:
    """Starting Pt positions (n, 3) of a configuration, over the middle of the sheet."""
    a1 = np.array([a, 0.0, 0.0])
    a2 = np.array([a / 2, a * np.sqrt(3) / 2, 0.0])
    up = np.array([0.0, 0.0, 1.0])
    origin = (repeats // 2) * (a1 + a2) + SHEET_Z * up  # an A-sublattice atom near the middle
    atom_b = origin + (a1 + a2) / 3
    hollow = origin + 2 * (a1 + a2) / 3  # hexagon centre next to both
    bridge = (origin + atom_b) / 2
    ex = a1 / a
    ey = np.cross(up, ex)
    r = PT_PT / np.sqrt(3)  # circumradius of the Pt triangle
    triangle = [hollow + r * (np.cos(t) * ex + np.sin(t) * ey) for t in np.pi / 2 + np.arange(3) * 2 * np.pi / 3]
    tetra_height = PT_PT * np.sqrt(2 / 3)
    h = 2.1  # A above the sheet
    sites = {
        "Pt1-top": [origin + 2.0 * up],
        "Pt1-bridge": [bridge + 2.0 * up],
        "Pt1-hollow": [hollow + 1.8 * up],
        "Pt2-flat": [hollow + h * up - PT_PT / 2 * ex, hollow + h * up + PT_PT / 2 * ex],
        "Pt2-upright": [bridge + 2.0 * up, bridge + (2.0 + 2.35) * up],
        "Pt3-flat": [p + h * up for p in triangle],
        "Pt3-upright": [hollow + h * up - PT_PT / 2 * ex, hollow + h * up + PT_PT / 2 * ex,
                        hollow + (h + PT_PT * np.sqrt(3) / 2) * up],
        "Pt4-tetrahedron": [p + h * up for p in triangle] + [hollow + (h + tetra_height) * up],
        "Pt4-rhombus": [p + h * up for p in triangle] + [triangle[1] + triangle[2] - triangle[0] + h * up],
    }
    if name not in sites:
        raise KeyError(f"unknown cluster configuration {name!r}; known: {', '.join(CLUSTERS)}")
    return np.array(sites[name])


def adsorbed_system(name: str, sheet: Structure | None = None) -> Structure:
    """The flat sheet (C atoms first, same order) plus the Pt cluster, with 3D periodicity (for CHGNet)."""
    sheet = graphene_sheet() if sheet is None else sheet
    pt = cluster_positions(name, a=float(np.linalg.norm(sheet.cell[0])) / REPEATS)
    return Structure(np.concatenate([sheet.numbers, np.full(len(pt), 78)]), np.vstack([sheet.positions, pt]),
                     sheet.cell, (True, True, True), name)


def carbon_sheet(structure: Structure, pbc: Sequence[bool] = MODEL_PBC) -> Structure:
    """The carbon atoms of a snapshot (Pt removed), in their order, as the model input."""
    keep = structure.numbers == 6
    return Structure(structure.numbers[keep], structure.positions[keep], structure.cell, tuple(pbc),
                     structure.name)


def is_graphene_sheet(structure: Structure, max_bond: float = 1.7, min_vacuum: float = 6.0) -> bool:
    """Whether ``structure`` is a (possibly rippled) graphene sheet: all carbon, periodic along its
    first two cell vectors, every atom with exactly three neighbours closer than ``max_bond`` A and,
    if periodic along the third vector too, at least ``min_vacuum`` A of vacuum between sheets."""
    from ase.neighborlist import neighbor_list

    from ..io import structure_to_ase

    if set(structure.numbers.tolist()) != {6} or not (structure.pbc[0] and structure.pbc[1]):
        return False
    if structure.pbc[2]:
        normal = np.cross(structure.cell[0], structure.cell[1])
        normal /= np.linalg.norm(normal)
        heights = structure.positions @ normal
        if abs(structure.cell[2] @ normal) - np.ptp(heights) < min_vacuum:
            return False
    first = neighbor_list("i", structure_to_ase(structure), max_bond)
    return bool((np.bincount(first, minlength=structure.n_atoms) == 3).all())


def pt_positions(structure: Structure) -> np.ndarray:
    return structure.positions[structure.numbers == 78]


# ----------------------------------------------------------------------------- CHGNet

def _chgnet_input(structure: Structure):
    """pymatgen structure with 3D periodicity (CHGNet needs it; the vacuum keeps images apart)."""
    from ..crystal import to_pymatgen

    return to_pymatgen(Structure(structure.numbers, structure.positions, structure.cell, (True, True, True)))


@lru_cache(maxsize=1)
def _forces_calculator_class():
    from ase.calculators.calculator import Calculator, all_changes

    from .smfe12 import chgnet_model

    class ChgnetForces(Calculator):
        """CHGNet energy and forces (no stress: the cell is fixed here)."""

        implemented_properties = ["energy", "free_energy", "forces"]

        def calculate(self, atoms=None, properties=None, system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            structure = Structure(self.atoms.numbers, self.atoms.positions, np.asarray(self.atoms.cell),
                                  (True, True, True))
            model = chgnet_model()
            prediction = model.predict_structure(_chgnet_input(structure), task="ef")
            energy = float(prediction["e"]) * (len(self.atoms) if model.is_intensive else 1)
            self.results = {"energy": energy, "free_energy": energy,
                            "forces": np.asarray(prediction["f"], dtype=float)}

    return ChgnetForces


def chgnet_forces():
    """An ASE calculator with CHGNet energy and forces only, from the shared model of
    :func:`scann_core.data.smfe12.chgnet_model`. About 40 % cheaper than CHGNet's own calculator,
    which also computes stress and magnetic moments, and the same energies and forces."""
    return _forces_calculator_class()()


def relax_positions(structure: Structure, fmax: float = RELAX_FMAX, steps: int = RELAX_STEPS
                    ) -> tuple[Structure, float, bool]:
    """Fixed-cell CHGNet relaxation of the positions (ASE FIRE). Returns (structure, energy eV, converged)."""
    from ase.optimize import FIRE

    from ..io import structure_to_ase

    atoms = structure_to_ase(structure)
    atoms.calc = chgnet_forces()
    converged = bool(FIRE(atoms, logfile=None).run(fmax=fmax, steps=steps))
    return structure.with_positions(atoms.get_positions()), float(atoms.get_potential_energy()), converged


def run_md(structure: Structure, temperature: float, seed: int, *, snapshots: int = SNAPSHOTS,
           interval: int = SNAPSHOT_INTERVAL, equilibration: int = EQUILIBRATION_STEPS,
           timestep_fs: float = TIMESTEP_FS, friction_per_fs: float = FRICTION_PER_FS):
    """Langevin MD with CHGNet forces; yields ``snapshots`` position arrays (n_atoms, 3).

    Velocities start from a Maxwell-Boltzmann distribution at ``temperature`` (seeded); the centre
    of mass is held fixed (ASE FixCom); the first snapshot is taken after ``equilibration`` steps,
    then one every ``interval`` steps. Positions are not wrapped into the cell.
    """
    from ase import units
    from ase.constraints import FixCom
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    from ..io import structure_to_ase

    rng = np.random.default_rng(seed)
    atoms = structure_to_ase(structure)
    atoms.calc = chgnet_forces()
    atoms.set_constraint(FixCom())
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
    Stationary(atoms)
    dynamics = Langevin(atoms, timestep_fs * units.fs, temperature_K=temperature,
                        friction=friction_per_fs / units.fs, fixcm=False, rng=rng)
    dynamics.run(equilibration)
    for k in range(snapshots):
        if k:
            dynamics.run(interval)
        yield atoms.get_positions().copy()


def sheet_energies(sheets: Sequence[Structure], batch_size: int = 16) -> tuple[np.ndarray, list[np.ndarray]]:
    """CHGNet total energies (eV) and site energies (eV per atom) of carbon sheets (or any structures).

    The total is CHGNet's energy per atom times the number of atoms, as its ASE calculator reports
    it; the site energies (composition-model shift included) sum to it within float32 rounding.
    """
    from .smfe12 import chgnet_model

    model = chgnet_model()
    predictions = model.predict_structure([_chgnet_input(s) for s in sheets], task="e", return_site_energies=True,
                                          batch_size=batch_size)
    if isinstance(predictions, dict):
        predictions = [predictions]
    energies = np.array([float(p["e"]) * (s.n_atoms if model.is_intensive else 1) for p, s in zip(predictions, sheets)])
    return energies, [np.asarray(p["site_energies"], dtype=float) for p in predictions]


@lru_cache(maxsize=4)
def _flat(repeats: int, a: float, c: float) -> tuple[float, tuple[float, ...]]:
    energies, sites = sheet_energies([graphene_sheet(repeats, a, c)])
    return float(energies[0]), tuple(sites[0].tolist())


def flat_sheet_energy(repeats: int = REPEATS, a: float = LATTICE_A, c: float = C_LENGTH) -> tuple[float, np.ndarray]:
    """CHGNet energy (eV) and site energies of the flat relaxed sheet (computed once per process)."""
    energy, sites = _flat(repeats, a, c)
    return energy, np.array(sites)


def deformation_energy(sheets: Structure | Sequence[Structure], flat: Structure | None = None
                       ) -> float | np.ndarray:
    """E(sheet) - E(flat sheet) in eV, CHGNet, for one carbon sheet or many (same atom count and cell).

    ``flat`` defaults to the flat relaxed 6 x 6 sheet of :func:`graphene_sheet`.
    """
    single = isinstance(sheets, Structure)
    sheets = [sheets] if single else list(sheets)
    if flat is None:
        reference, _ = flat_sheet_energy()
    else:
        reference = float(sheet_energies([flat])[0][0])
    energies, _ = sheet_energies(sheets)
    out = energies - reference
    return float(out[0]) if single else out


# ----------------------------------------------------------------------------- trajectories

@dataclass(frozen=True)
class Trajectory:
    """One MD run: a cluster configuration at one temperature with one velocity seed."""

    cluster: str
    temperature: float
    seed: int

    @property
    def traj_id(self) -> str:
        return f"{self.cluster}/T{self.temperature:g}/s{self.seed}"

    @property
    def n_pt(self) -> int:
        return CLUSTERS[self.cluster][0]

    @property
    def rng_seed(self) -> int:
        return int(hashlib.sha256(f"scann-pt-graphene|{self.traj_id}".encode()).hexdigest()[:12], 16)


def trajectory_plan(clusters: Iterable[str] = tuple(CLUSTERS), temperatures: Sequence[float] = TEMPERATURES,
                    seeds: Sequence[int] = SEEDS) -> list[Trajectory]:
    """All trajectories, configuration by configuration (9 x 3 x 2 = 54 by default)."""
    return [Trajectory(c, float(t), int(s)) for c in clusters for t in temperatures for s in seeds]


def trajectory_splits(traj_ids: Iterable[str]) -> dict[str, str]:
    """Whole trajectories to ``train``/``val``/``test`` (10 % val, 10 % test by SHA-256 rank of the
    id; see :func:`scann_core.data.fullerenes.group_splits`). Never split by snapshot."""
    from .fullerenes import group_splits

    return group_splits(traj_ids, salt="scann-pt-graphene", pinned_test=PINNED_TEST)
