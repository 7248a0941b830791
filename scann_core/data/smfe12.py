"""SmFe12 and substituted SmFe(12-a)X(a): configurations, symmetry and CHGNet labels.

ThMn12-type SmFe12 (I4/mmm, No. 139) in its 26-atom conventional cell: Sm on 2a and Fe on
8f, 8i and 8j (24 Fe sites). Substituents X in :data:`SUBSTITUENTS` replace Fe atoms.

Symmetry-distinct configurations are found with the 32 operations of the conventional cell
(16 point operations times the two centring translations (0,0,0) and (1/2,1/2,1/2)), written
as permutations of the 24 Fe sites. A configuration's canonical form is the lexicographically
smallest sorted tuple of its (site, element) pairs over all 32 permutations.

Labels come from CHGNet (``chgnet`` package, pretrained model 0.3.0, a machine-learned
surrogate of the Materials Project's PBE(+U) DFT), with cell and positions relaxed. They are
not DFT numbers.

Nothing heavy happens at import: pymatgen, spglib, ASE, torch and CHGNet are imported lazily.
"""
from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import comb

import numpy as np

from .._elements import NUMBERS, SYMBOLS
from ..structure import Structure

__all__ = [
    "SUBSTITUENTS", "LATTICE_A", "LATTICE_C", "FRACTIONAL_SITES", "FMAX", "CHGNET_MODEL",
    "Configuration", "configuration_of", "parent_cell", "fe_indices", "is_thmn12_type", "fe_site_labels", "symmetry_operations",
    "canonical_form", "orbit_size", "enumerate_configurations", "enumerated_configurations",
    "sample_configurations", "all_configurations", "build_structure", "chgnet_model", "relax_chgnet",
    "REFERENCE_STATES", "reference_structure", "relax_references", "formation_energy_per_atom",
    "chgnet_energy", "configuration_counts", "burnside_total", "SM_POLYMORPHS", "sm_polymorph_energies",
]

SUBSTITUENTS: tuple[str, ...] = ("Mo", "Co", "Al", "Ti", "Cu", "Zn", "Ga")
LATTICE_A = 8.5  # angstrom, starting lattice constants of the tetragonal cell
LATTICE_C = 4.8
# Wyckoff representatives: Sm 2a, Fe 8f, 8i, 8j
FRACTIONAL_SITES: tuple[tuple[str, str, tuple[float, float, float]], ...] = (
    ("Sm", "2a", (0.0, 0.0, 0.0)),
    ("Fe", "8f", (0.25, 0.25, 0.25)),
    ("Fe", "8i", (0.36, 0.0, 0.0)),
    ("Fe", "8j", (0.27, 0.5, 0.0)),
)
FMAX = 0.05  # eV/A, force threshold of the relaxations
CHGNET_MODEL = "0.3.0"
SYMPREC = 0.01  # angstrom, spglib tolerance
MATCH_TOL = 1e-3  # fractional, tolerance when mapping a site onto another


# ----------------------------------------------------------------------------- parent cell

def parent_cell(a: float = LATTICE_A, c: float = LATTICE_C) -> Structure:
    """The 26-atom conventional cell of SmFe12 (Sm first, then Fe on 8f, 8i, 8j)."""
    from pymatgen.core import Lattice
    from pymatgen.core import Structure as PymatgenStructure

    from ..crystal import from_pymatgen

    species = [element for element, _, _ in FRACTIONAL_SITES]
    coords = [list(position) for _, _, position in FRACTIONAL_SITES]
    crystal = PymatgenStructure.from_spacegroup("I4/mmm", Lattice.tetragonal(a, c), species, coords)
    return from_pymatgen(crystal, "SmFe12")


@lru_cache(maxsize=1)
def _parent() -> Structure:
    return parent_cell()


def fe_indices(structure: Structure | None = None) -> np.ndarray:
    """Atom indices of the Fe sites (24 in the parent cell), in atom order."""
    structure = _parent() if structure is None else structure
    return np.flatnonzero(structure.numbers == NUMBERS["Fe"])


@lru_cache(maxsize=1)
def _fe_site_labels() -> tuple[str, ...]:
    from ..crystal import wyckoff_labels

    parent = _parent()
    labels = wyckoff_labels(parent)
    return tuple(labels[i] for i in fe_indices(parent))


def fe_site_labels() -> list[str]:
    """Wyckoff label (``8f``, ``8i`` or ``8j``) of each of the 24 Fe sites of the parent cell."""
    return list(_fe_site_labels())


# ----------------------------------------------------------------------------- symmetry

def _fractional(structure: Structure) -> np.ndarray:
    return structure.positions @ np.linalg.inv(structure.cell)


def symmetry_operations(structure: Structure | None = None, *, sites: Sequence[int] | None = None) -> np.ndarray:
    """The symmetry operations of the cell as permutations of its Fe sites.

    Args:
        structure: the cell (default: the parent SmFe12 cell). Its operations are taken from
            spglib (pymatgen ``SpacegroupAnalyzer.get_symmetry_operations(cartesian=False)``),
            which for a conventional cell already lists every centring translation; the set is
            closed under composition with the pure translations it contains.
        sites: the atom indices to permute (default: the Fe atoms).

    Returns:
        (n_operations, n_sites) int array: ``perm[k, i] = j`` means operation k takes the
        i-th site onto the j-th site (indices into ``sites``). 32 rows for SmFe12.

    Raises:
        ValueError: if an operation maps a site onto no site of the same element.
    """
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from ..crystal import to_pymatgen

    structure = _parent() if structure is None else structure
    sites = fe_indices(structure) if sites is None else np.asarray(sites)
    analyzer = SpacegroupAnalyzer(to_pymatgen(structure), symprec=SYMPREC)
    ops = analyzer.get_symmetry_operations(cartesian=False)
    rotations = [np.rint(op.rotation_matrix).astype(int) for op in ops]
    translations = [np.asarray(op.translation_vector, float) for op in ops]
    # include the centring (pure) translations explicitly: every op combined with every one
    centrings = [t for r, t in zip(rotations, translations) if (r == np.eye(3, dtype=int)).all()]
    frac = _fractional(structure)[sites]
    numbers = structure.numbers[sites]
    permutations: list[tuple[int, ...]] = []
    for rotation, translation in zip(rotations, translations):
        for centring in centrings:
            image = frac @ rotation.T + translation + centring
            diff = image[:, None, :] - frac[None, :, :]
            diff -= np.rint(diff)
            distance = np.abs(diff).max(axis=2)
            target = distance.argmin(axis=1)
            if (distance[np.arange(len(sites)), target] > MATCH_TOL).any() or (numbers[target] != numbers).any():
                raise ValueError("a symmetry operation does not map the sites onto themselves.")
            if len(set(target.tolist())) != len(sites):
                raise ValueError("a symmetry operation is not a permutation of the sites.")
            permutations.append(tuple(int(t) for t in target))
    unique = sorted(set(permutations))
    return np.array(unique, dtype=np.int64)


@lru_cache(maxsize=1)
def _parent_permutations() -> np.ndarray:
    return symmetry_operations()


def _as_pairs(sites: Iterable[int], elements: Sequence[str] | str | None) -> tuple[tuple[int, str], ...]:
    sites = [int(s) for s in sites]
    if elements is None or isinstance(elements, str):
        elements = [elements or ""] * len(sites)
    return tuple(sorted(zip(sites, elements)))


def canonical_form(sites: Iterable[int], permutations: np.ndarray, elements: Sequence[str] | str | None = None):
    """The lexicographically smallest image of a configuration over all permutations.

    Args:
        sites: substituted site indices (into the permuted site list).
        permutations: (n_operations, n_sites) from :func:`symmetry_operations`.
        elements: the element on each site (one string for all, or None for a single,
            unnamed substituent).

    Returns:
        A sorted tuple of site indices when ``elements`` is None or one string; otherwise a
        sorted tuple of (site, element) pairs.
    """
    pairs = _as_pairs(sites, elements)
    best = min(tuple(sorted((int(perm[s]), e) for s, e in pairs)) for perm in permutations)
    if elements is None or isinstance(elements, str):
        return tuple(s for s, _ in best)
    return best


def orbit_size(sites: Iterable[int], permutations: np.ndarray, elements: Sequence[str] | str | None = None) -> int:
    """Number of distinct configurations equivalent to this one (its multiplicity)."""
    pairs = _as_pairs(sites, elements)
    return len({tuple(sorted((int(perm[s]), e) for s, e in pairs)) for perm in permutations})


def enumerate_configurations(a: int, permutations: np.ndarray | None = None) -> list[tuple[tuple[int, ...], int]]:
    """All symmetry-distinct ways to choose ``a`` of the sites, with multiplicities.

    Every combination is mapped to its canonical form (smallest sorted tuple over all
    permutations); combinations that are their own canonical form are kept, and the
    multiplicity of each is the number of combinations that map onto it, so the
    multiplicities sum to C(n_sites, a).

    Returns:
        (canonical site tuple, multiplicity) pairs in lexicographic order.
    """
    permutations = _parent_permutations() if permutations is None else np.asarray(permutations)
    n_sites = permutations.shape[1]
    if not 0 <= a <= n_sites:
        raise ValueError(f"a must be between 0 and {n_sites}, not {a}.")
    if a == 0:
        return [((), 1)]
    combos = np.array(list(itertools.combinations(range(n_sites), a)), dtype=np.int64)
    weights = n_sites ** np.arange(a - 1, -1, -1, dtype=np.int64)  # sorted tuple -> integer, order kept
    images = np.sort(permutations[:, combos], axis=2)  # (n_ops, n_combos, a)
    codes = (images * weights).sum(axis=2).min(axis=0)
    own = (combos * weights).sum(axis=1)
    canonical, counts = np.unique(codes, return_counts=True)
    keep = np.flatnonzero(own == codes)
    multiplicity = dict(zip(canonical.tolist(), counts.tolist()))
    return [(tuple(int(s) for s in combos[k]), int(multiplicity[int(own[k])])) for k in keep]


# ----------------------------------------------------------------------------- configurations

@dataclass(frozen=True)
class Configuration:
    """One substituted cell.

    Attributes:
        fe_sites: substituted Fe-site indices (0..23, into :func:`fe_indices`), sorted.
        elements: the element put on each of those sites.
        multiplicity: how many symmetry-equivalent cells this configuration stands for.
        kind: ``parent``, ``enumerated`` (all classes for a <= 3), ``sampled`` (a = 4) or
            ``mixed`` (two different substituents).
    """

    fe_sites: tuple[int, ...]
    elements: tuple[str, ...]
    multiplicity: int
    kind: str

    @property
    def a(self) -> int:
        return len(self.fe_sites)

    @property
    def atom_indices(self) -> tuple[int, ...]:
        indices = fe_indices()
        return tuple(int(indices[s]) for s in self.fe_sites)

    @property
    def substituents(self) -> tuple[str, ...]:
        """The distinct substituent elements, in :data:`SUBSTITUENTS` order."""
        return tuple(x for x in SUBSTITUENTS if x in self.elements)

    @property
    def wyckoff(self) -> tuple[str, ...]:
        labels = _fe_site_labels()
        return tuple(labels[s] for s in self.fe_sites)

    @property
    def config_id(self) -> str:
        """Stable name such as ``Mo02_Mo10`` (element + atom index in the parent cell)."""
        if not self.fe_sites:
            return "SmFe12"
        return "_".join(f"{e}{i:02d}" for e, i in zip(self.elements, self.atom_indices))

    @property
    def formula(self) -> str:
        counts = {"Fe": 24 - self.a}
        for element in self.elements:
            counts[element] = counts.get(element, 0) + 1
        return "Sm2" + "".join(f"{e}{n}" for e, n in counts.items() if n)


def _configuration(sites: Sequence[int], elements: Sequence[str], kind: str, permutations: np.ndarray) -> Configuration:
    pairs = canonical_form(sites, permutations, list(elements))
    return Configuration(tuple(s for s, _ in pairs), tuple(e for _, e in pairs),
                         orbit_size(sites, permutations, list(elements)), kind)


def configuration_of(atom_indices: Sequence[int], elements: Sequence[str]) -> Configuration:
    """The symmetry-canonical configuration of the parent cell with ``elements`` on the Fe atoms
    ``atom_indices`` (0-based atom indices of the 26-atom cell); its ``config_id`` names the
    equivalent configuration of the dataset."""
    position = {int(atom): k for k, atom in enumerate(fe_indices())}
    unknown = [int(a) + 1 for a in atom_indices if int(a) not in position]
    if unknown:
        raise ValueError(f"Atom {unknown[0]} is not an Fe site of the SmFe12 cell.")
    return _configuration([position[int(a)] for a in atom_indices], list(elements), "built", _parent_permutations())


def enumerated_configurations(max_a: int = 3, substituents: Sequence[str] = SUBSTITUENTS,
                              permutations: np.ndarray | None = None) -> list[Configuration]:
    """Every symmetry-distinct single-substituent configuration with 1 <= a <= ``max_a``,
    ordered by a, then substituent, then canonical sites."""
    permutations = _parent_permutations() if permutations is None else permutations
    out = []
    for a in range(1, max_a + 1):
        classes = enumerate_configurations(a, permutations)
        for x in substituents:
            out.extend(Configuration(sites, (x,) * a, mult, "enumerated") for sites, mult in classes)
    return out


def sample_configurations(*, n_a4: int = 80, n_mixed: int = 25, seed: int = 0,
                          substituents: Sequence[str] = SUBSTITUENTS,
                          permutations: np.ndarray | None = None) -> list[Configuration]:
    """Sampled configurations on top of the enumerated ones (fixed seed, reproducible).

    - a = 4, one substituent: ``n_a4`` symmetry-distinct classes per substituent, drawn
      uniformly from all a = 4 classes without replacement.
    - mixed: for every unordered pair of different substituents (X, Y), ``n_mixed`` distinct
      classes drawn from X1Y1, X2Y1 and X1Y2 (a = 2, 3, 3) in the proportions 1 : 1 : 1
      (drawn at random and de-duplicated by canonical form).

    With the defaults: 7 x 80 + 21 x 25 = 1,085 configurations.
    """
    permutations = _parent_permutations() if permutations is None else permutations
    rng = np.random.default_rng(seed)
    out: list[Configuration] = []
    classes4 = enumerate_configurations(4, permutations)
    for x in substituents:
        picks = np.sort(rng.choice(len(classes4), size=min(n_a4, len(classes4)), replace=False))
        out.extend(Configuration(classes4[k][0], (x,) * 4, classes4[k][1], "sampled") for k in picks)
    n_sites = permutations.shape[1]
    for x, y in itertools.combinations(substituents, 2):
        seen: set = set()
        pair: list[Configuration] = []
        patterns = [(x, y), (x, x, y), (x, y, y)]
        attempts = 0
        while len(pair) < n_mixed and attempts < 100 * n_mixed:
            elements = patterns[len(pair) % len(patterns)]
            sites = rng.choice(n_sites, size=len(elements), replace=False)
            config = _configuration(sites, elements, "mixed", permutations)
            attempts += 1
            if config.config_id not in seen:
                seen.add(config.config_id)
                pair.append(config)
        out.extend(sorted(pair, key=lambda c: (c.a, c.elements, c.fe_sites)))
    return out


def all_configurations(*, max_a: int = 3, n_a4: int = 80, n_mixed: int = 25, seed: int = 0) -> list[Configuration]:
    """The whole dataset: pure SmFe12, then enumerated a = 1..3, then the sampled ones."""
    parent = [Configuration((), (), 1, "parent")]
    configs = parent + enumerated_configurations(max_a) + sample_configurations(n_a4=n_a4, n_mixed=n_mixed, seed=seed)
    ids = [c.config_id for c in configs]
    if len(set(ids)) != len(ids):
        raise RuntimeError("duplicate configuration ids.")
    return configs


def build_structure(config: Configuration, parent: Structure | None = None) -> Structure:
    """The parent cell with the configuration's substituents on their Fe sites."""
    parent = _parent() if parent is None else parent
    numbers = parent.numbers.copy()
    for atom, element in zip(config.atom_indices, config.elements):
        numbers[atom] = NUMBERS[element]
    return Structure(numbers, parent.positions, parent.cell, parent.pbc, config.config_id)


SUPERCELL_MATCH_MAX_ATOMS = 8 * 26  # is_thmn12_type: largest cell compared without primitive reduction


def is_thmn12_type(structure: Structure) -> bool:
    """Whether ``structure`` is a ThMn12-type SmFe12 cell (any cell choice, any X on the Fe sites):
    with every non-Sm atom read as Fe it matches the parent structure up to a scale factor."""
    from pymatgen.analysis.structure_matcher import StructureMatcher

    from ..crystal import to_pymatgen

    if not all(structure.pbc) or not np.any(structure.numbers == NUMBERS["Sm"]):
        return False
    skeleton = to_pymatgen(structure)
    skeleton.replace_species({el: "Fe" for el in skeleton.composition.elements if el.symbol != "Sm"})
    parent = to_pymatgen(_parent())
    if StructureMatcher(ltol=0.3, stol=0.5, angle_tol=8).fit(skeleton, parent):  # primitive cells: fast
        return True
    # a relaxed cell with several X atoms can defeat the primitive-cell reduction: compare the cell as
    # given with supercells of the parent instead (fast up to a few conventional cells, minutes at 27)
    return (len(skeleton) <= SUPERCELL_MATCH_MAX_ATOMS
            and StructureMatcher(ltol=0.3, stol=0.5, angle_tol=8, primitive_cell=False,
                                 attempt_supercell=True).fit(skeleton, parent))


# ----------------------------------------------------------------------------- CHGNet

@lru_cache(maxsize=1)
def chgnet_model():
    """The pretrained CHGNet model (loaded once per process, on the CPU)."""
    from chgnet.model import CHGNet

    with contextlib.redirect_stdout(io.StringIO()):
        return CHGNet.load(model_name=CHGNET_MODEL, use_device="cpu", verbose=False)


@lru_cache(maxsize=1)
def _calculator():
    from chgnet.model import StructOptimizer

    with contextlib.redirect_stdout(io.StringIO()):
        return StructOptimizer(model=chgnet_model(), optimizer_class="FIRE", use_device="cpu").calculator


def chgnet_energy(structure: Structure) -> float:
    """CHGNet single-point total energy in eV."""
    from ..io import structure_to_ase

    atoms = structure_to_ase(structure)
    atoms.calc = _calculator()
    return float(atoms.get_potential_energy())


def relax_chgnet(structure: Structure, fmax: float = FMAX, steps: int = 1000) -> tuple[Structure, float, bool, float]:
    """Relax positions and cell (ASE FIRE on a FrechetCellFilter) with CHGNet forces and stress.

    Args:
        structure: a periodic structure.
        fmax: convergence threshold in eV/A on the filter's generalised forces (atomic forces
            and the cell gradient, as ASE judges convergence).
        steps: most optimiser steps.

    Returns:
        (relaxed structure, total energy in eV, converged, final fmax in eV/A). The last
        geometry is returned even when the relaxation did not converge.
    """
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    from ..io import structure_to_ase

    atoms = structure_to_ase(structure)
    atoms.calc = _calculator()
    cell_filter = FrechetCellFilter(atoms)
    optimizer = FIRE(cell_filter, logfile=None)
    optimizer.run(fmax=fmax, steps=steps)
    final_fmax = float(np.linalg.norm(cell_filter.get_forces(), axis=1).max())
    energy = float(atoms.get_potential_energy())
    relaxed = Structure(structure.numbers, atoms.get_positions(), np.asarray(atoms.get_cell()), structure.pbc,
                        structure.name)
    return relaxed, energy, bool(final_fmax <= fmax), final_fmax


# ----------------------------------------------------------------------------- references

# element -> (description, builder key, lattice parameters in angstrom)
REFERENCE_STATES: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "Sm": ("dhcp (double hcp, P6_3/mmc, ABAC stacking, 4 atoms)", "dhcp", (3.62, 11.66)),
    "Fe": ("bcc (Im-3m, 2-atom cubic cell)", "bcc", (2.87,)),
    "Mo": ("bcc (Im-3m, 2-atom cubic cell)", "bcc", (3.15,)),
    "Co": ("hcp (P6_3/mmc)", "hcp", (2.51, 4.07)),
    "Al": ("fcc (Fm-3m, 4-atom cubic cell)", "fcc", (4.05,)),
    "Ti": ("hcp (P6_3/mmc)", "hcp", (2.95, 4.68)),
    "Cu": ("fcc (Fm-3m, 4-atom cubic cell)", "fcc", (3.61,)),
    "Zn": ("hcp (P6_3/mmc)", "hcp", (2.66, 4.95)),
    "Ga": ("alpha-Ga (orthorhombic Cmce, No. 64, Ga on 8f (0, 0.1549, 0.0810), 8 atoms)", "alpha-Ga",
           (4.5192, 7.6586, 4.5258)),
}


def reference_structure(element: str, kind: str | None = None, params: tuple[float, ...] | None = None) -> Structure:
    """Starting structure of an element's reference state (see :data:`REFERENCE_STATES`);
    ``kind`` (bcc, fcc, hcp, dhcp, Sm-type, alpha-Ga) and ``params`` override the table."""
    from pymatgen.core import Lattice
    from pymatgen.core import Structure as PymatgenStructure

    from ..crystal import from_pymatgen

    _, default_kind, default_params = REFERENCE_STATES[element]
    kind = kind or default_kind
    params = params or default_params
    if kind == "bcc":
        crystal = PymatgenStructure.from_spacegroup("Im-3m", Lattice.cubic(params[0]), [element], [[0, 0, 0]])
    elif kind == "fcc":
        crystal = PymatgenStructure.from_spacegroup("Fm-3m", Lattice.cubic(params[0]), [element], [[0, 0, 0]])
    elif kind == "hcp":
        crystal = PymatgenStructure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(*params), [element],
                                                    [[1 / 3, 2 / 3, 1 / 4]])
    elif kind == "dhcp":
        crystal = PymatgenStructure.from_spacegroup("P6_3/mmc", Lattice.hexagonal(*params), [element, element],
                                                    [[0, 0, 0], [1 / 3, 2 / 3, 1 / 4]])
    elif kind == "Sm-type":  # alpha-Sm, R-3m, 3a + 6c, 9 atoms in the hexagonal cell
        crystal = PymatgenStructure.from_spacegroup("R-3m", Lattice.hexagonal(*params), [element, element],
                                                    [[0, 0, 0], [0, 0, 0.222]])
    elif kind == "alpha-Ga":
        crystal = PymatgenStructure.from_spacegroup("Cmce", Lattice.orthorhombic(*params), [element],
                                                    [[0, 0.1549, 0.0810]])
    else:  # pragma: no cover - table and builder are kept in step
        raise KeyError(kind)
    return from_pymatgen(crystal, f"{element} {kind}")


def relax_references(elements: Iterable[str] = ("Sm", "Fe") + SUBSTITUENTS, fmax: float = FMAX,
                     steps: int = 1000) -> dict[str, dict]:
    """Relax every elemental reference with CHGNet.

    Returns:
        element -> {"state", "energy_per_atom" (eV), "n_atoms", "converged", "fmax",
        "volume_per_atom" (A^3)}.
    """
    out = {}
    for element in elements:
        start = reference_structure(element)
        relaxed, energy, converged, final_fmax = relax_chgnet(start, fmax=fmax, steps=steps)
        out[element] = {"state": REFERENCE_STATES[element][0], "energy_per_atom": energy / start.n_atoms,
                        "n_atoms": int(start.n_atoms), "converged": converged, "fmax": final_fmax,
                        "volume_per_atom": float(abs(np.linalg.det(relaxed.cell)) / start.n_atoms)}
    return out


SM_POLYMORPHS: dict[str, tuple[str, tuple[float, ...]]] = {
    "dhcp": ("dhcp", (3.62, 11.66)),
    "hcp": ("hcp", (3.62, 5.83)),
    "Sm-type (alpha-Sm, R-3m)": ("Sm-type", (3.62, 26.2)),
}


def sm_polymorph_energies(fmax: float = FMAX, steps: int = 1000) -> dict[str, float]:
    """CHGNet energy per atom (eV) of relaxed dhcp, hcp and Sm-type Sm, to show that the
    choice of Sm reference matters little."""
    out = {}
    for name, (kind, params) in SM_POLYMORPHS.items():
        start = reference_structure("Sm", kind=kind, params=params)
        _, energy, _, _ = relax_chgnet(start, fmax=fmax, steps=steps)
        out[name] = energy / start.n_atoms
    return out


def _counts(composition) -> dict[str, int]:
    if isinstance(composition, Structure):
        composition = composition.symbols
    if isinstance(composition, Mapping):
        return {str(k): int(v) for k, v in composition.items()}
    counts: dict[str, int] = {}
    for item in composition:
        symbol = SYMBOLS[int(item)] if isinstance(item, (int, np.integer)) else str(item)
        counts[symbol] = counts.get(symbol, 0) + 1
    return counts


def formation_energy_per_atom(energy: float, composition, references: Mapping[str, float | Mapping]) -> float:
    """Formation energy per atom relative to the elemental references, in eV/atom.

    E_f = (E - sum_el n_el * mu_el) / N, with mu_el the reference energy per atom. Negative
    means the compound is lower in energy than its elements (stable against decomposition
    into them).

    Args:
        energy: total energy of the cell in eV.
        composition: {element: count}, a sequence of symbols or atomic numbers, or a Structure.
        references: element -> energy per atom in eV (or a dict with ``energy_per_atom``, as
            returned by :func:`relax_references`).

    Raises:
        KeyError: when an element has no reference.
    """
    counts = _counts(composition)
    total = sum(counts.values())
    if total <= 0:
        raise ValueError("the composition has no atoms.")
    reference = 0.0
    for element, n in counts.items():
        if element not in references:
            raise KeyError(f"no elemental reference for {element}.")
        mu = references[element]
        reference += n * float(mu["energy_per_atom"] if isinstance(mu, Mapping) else mu)
    return (float(energy) - reference) / total


def configuration_counts(max_a: int = 4) -> dict[int, int]:
    """Number of symmetry-distinct single-substituent configurations for each a (1..max_a)."""
    return {a: len(enumerate_configurations(a)) for a in range(1, max_a + 1)}


def burnside_total(a: int, permutations: np.ndarray | None = None) -> int:
    """C(n_sites, a): what the multiplicities of :func:`enumerate_configurations` must sum to."""
    permutations = _parent_permutations() if permutations is None else permutations
    return comb(permutations.shape[1], a)
