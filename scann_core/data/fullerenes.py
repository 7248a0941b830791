"""Fullerene cages from buckygen, GFN2-xTB relaxation, thermally displaced frames and cage splits.

Bond graphs come from the ``buckygen`` binary shipped in the ``passagemath-buckygen`` wheel
(``buckygen [-I] -d F`` writes every fullerene with F faces, i.e. ``2 (F - 2)`` atoms, as planar
code; ``-I`` keeps the isolated-pentagon (IPR) isomers only). An isomer is named by its 1-based
position in that output, e.g. ``C78-IPR-3`` (third of the five IPR C78) or ``C72-11190`` (the
11190th of all 11190 C72 isomers, a non-IPR D6d cage).

A 3D start comes from the graph Laplacian (eigenvectors 2-4, scaled to a 1.4 A mean bond; for the
dataset refined with a spring model of the bond graph) and is relaxed with GFN2-xTB (tblite).
Thermal frames are random Gaussian displacements of the relaxed cage at an *effective*
temperature T: every Cartesian coordinate gets variance ``kB T / k``, where ``k = Tr(H) / 3N`` is the cage's mean diagonal force constant (GFN2-xTB Hessian, estimated
with a few random probes of finite-difference forces). The mean harmonic energy of such a frame,
``1/2 sum_i H_ii sigma^2``, is ``3N kB T / 2``, the equipartition value at T. Each frame is
labelled with its GFN2-xTB HOMO and LUMO energies (eV). These are GFN2-xTB numbers, not DFT.

Splits are by cage, never by frame (:func:`cage_splits`).

Nothing heavy happens at import: tblite and ASE are imported lazily.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..structure import Structure

__all__ = [
    "MEAN_BOND", "MAX_BOND", "FMAX", "KB_EV", "TEMPERATURES", "FRAMES_PER_TEMPERATURE", "PINNED_TEST",
    "SPLIT_FRACTIONS", "buckygen_binary", "buckygen_version", "parse_planar_code", "n_faces", "fullerene_graphs",
    "count_isomers", "adjacency_matrix", "fullerene_adjacency", "face_sizes", "pentagon_adjacencies",
    "automorphism_count", "spectral_positions", "spring_positions", "centred", "cage_start", "relax_cage",
    "is_fullerene", "bonds_intact", "START", "NON_IPR", "D6D_C72", "SAMPLED_NON_IPR", "fewest_adjacency_isomers",
    "sampled_isomers", "Cage",
    "cage_catalogue", "cage_graph", "cage_splits", "group_splits", "mean_force_constant", "displacement_sigma",
    "thermal_displacements", "Frame", "frame_plan", "frame_positions", "label_frame",
]

MEAN_BOND = 1.4  # angstrom, scale of the spectral start
MAX_BOND = 1.65  # A: longest C-C distance counted as a cage bond
FMAX = 0.01  # eV/A, GFN2-xTB relaxation threshold (tight, so point groups come out clean)
RELAX_STEPS = 1000
KB_EV = 8.617333262e-5  # Boltzmann constant in eV/K
TEMPERATURES: tuple[float, ...] = (300.0, 800.0, 1500.0, 2500.0)  # K, effective
FRAMES_PER_TEMPERATURE = 1  # displaced frames per cage and temperature (plus the relaxed cage itself)
PINNED_TEST: tuple[str, ...] = ("C60-IPR-1", "C70-IPR-1", "C72-IPR-1")
START = "springs"  # start geometry of the dataset cages (see :func:`cage_start`)
SPLIT_FRACTIONS = {"val": 0.1, "test": 0.1}  # of the cages that are not pinned


# ----------------------------------------------------------------------------- buckygen

def buckygen_binary() -> Path:
    """Path of the ``buckygen`` executable shipped in the passagemath-buckygen wheel."""
    for file in importlib.metadata.files("passagemath-buckygen") or ():
        if file.name == "buckygen" and file.parent.name == "bin":
            return Path(file.locate())
    raise FileNotFoundError("no buckygen binary in passagemath-buckygen: pip install passagemath-buckygen")


def buckygen_version() -> str:
    """Version of the passagemath-buckygen wheel (the isomer numbering is buckygen's output order)."""
    return importlib.metadata.version("passagemath-buckygen")


def _cubic_records(body: bytes) -> np.ndarray | None:
    """(n_graphs, n, 3) 0-based neighbours when ``body`` holds fixed-length cubic records, else None."""
    n_vertices = body[0]
    record = 1 + 4 * n_vertices
    if not n_vertices or len(body) % record:
        return None
    rows = np.frombuffer(body, dtype=np.uint8).reshape(-1, record)
    cells = rows[:, 1:].reshape(len(rows), n_vertices, 4)
    if (rows[:, 0] != n_vertices).any() or (cells[:, :, 3] != 0).any() or (cells[:, :, :3] == 0).any():
        return None
    return cells[:, :, :3].astype(np.int64) - 1


def _planar_code_body(data: bytes) -> bytes:
    header = b">>planar_code<<"
    if not data.startswith(header):
        raise ValueError("buckygen output does not start with the planar_code header")
    return data[len(header):]


def parse_planar_code(data: bytes) -> list[list[list[int]]]:
    """Graphs from buckygen's one-byte planar code: 0-based neighbours, clockwise, per vertex."""
    body = _planar_code_body(data)
    if not body:
        return []
    cubic = _cubic_records(body)  # fast path: cubic graphs of one size are fixed-length records
    if cubic is not None:
        return cubic.tolist()
    graphs, pos = [], 0
    while pos < len(body):
        n_vertices, pos = body[pos], pos + 1
        if n_vertices == 0:
            raise ValueError("two-byte planar code (more than 255 vertices) is not supported")
        graph = []
        for _ in range(n_vertices):
            end = body.index(0, pos)
            graph.append([v - 1 for v in body[pos:end]])
            pos = end + 1
        graphs.append(graph)
    return graphs


def n_faces(n_atoms: int) -> int:
    """Number of faces of a fullerene with ``n_atoms`` atoms (Euler: F = n/2 + 2)."""
    if n_atoms < 20 or n_atoms % 2 or n_atoms == 22:
        raise ValueError(f"no fullerene has {n_atoms} atoms.")
    return n_atoms // 2 + 2


@lru_cache(maxsize=8)
def _rotations(n_atoms: int, ipr: bool) -> np.ndarray:
    args = [str(buckygen_binary()), *(["-I"] if ipr else []), "-d", str(n_faces(n_atoms))]
    run = subprocess.run(args, capture_output=True, check=True)
    body = _planar_code_body(run.stdout)
    rotations = _cubic_records(body) if body else np.zeros((0, n_atoms, 3), dtype=np.int64)
    if rotations is None:
        rotations = np.array(parse_planar_code(run.stdout), dtype=np.int64)
    if rotations.shape[1:] != (n_atoms, 3):
        raise RuntimeError(f"buckygen output for {n_atoms} atoms is not a list of cubic graphs")
    rotations.setflags(write=False)
    return rotations


def fullerene_graphs(n_atoms: int, *, ipr: bool = False) -> np.ndarray:
    """All fullerene isomers with ``n_atoms`` atoms from buckygen (IPR ones only with ``ipr``).

    Returns:
        (n_isomers, n_atoms, 3) int array of rotation systems: ``r[g, v]`` are the three
        neighbours of atom v of isomer g in clockwise order (0-based), in buckygen's output order.
    """
    return _rotations(int(n_atoms), bool(ipr))


def count_isomers(n_atoms: int, *, ipr: bool = False) -> int:
    """Number of fullerene isomers buckygen generates (C60: 1812, 1 IPR; C70: 8149, 1 IPR)."""
    return len(fullerene_graphs(n_atoms, ipr=ipr))


def adjacency_matrix(rotation: np.ndarray | Sequence[Sequence[int]]) -> np.ndarray:
    """Symmetric 0/1 adjacency matrix of a cubic graph given as neighbour lists.

    Raises:
        RuntimeError: if the graph is not a simple, symmetric, 3-regular graph.
    """
    rotation = np.asarray(rotation, dtype=np.int64)
    n_atoms = len(rotation)
    adjacency = np.zeros((n_atoms, n_atoms), dtype=int)
    for i, neighbours in enumerate(rotation):
        adjacency[i, neighbours] = 1
    if rotation.shape != (n_atoms, 3) or (adjacency != adjacency.T).any() or (adjacency.sum(1) != 3).any() \
            or np.trace(adjacency):
        raise RuntimeError(f"the graph is not a cubic graph on {n_atoms} vertices")
    return adjacency


def fullerene_adjacency(faces: int) -> np.ndarray:
    """Adjacency matrix of the unique IPR fullerene with ``faces`` faces (``buckygen -I -d``)."""
    graphs = fullerene_graphs(2 * (faces - 2), ipr=True)
    if len(graphs) != 1:
        raise RuntimeError(f"buckygen gave {len(graphs)} IPR fullerenes with {faces} faces, expected 1")
    return adjacency_matrix(graphs[0])


def _next_dart(rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face-tracing permutation of the darts (directed edges) of one or many rotation systems.

    Dart ``3 u + k`` is the edge u -> r[u, k]. Its successor along the face is v -> w, with
    v = r[u, k] and w the neighbour that follows u in v's rotation. Returns (next, reverse).
    """
    rotations = np.asarray(rotations, dtype=np.int64)
    single = rotations.ndim == 2
    r = rotations[None] if single else rotations
    g, n, _ = r.shape
    v = r  # (g, n, 3) head of dart (u, k)
    back = r[np.arange(g)[:, None, None], v]  # (g, n, 3, 3) rotation at the head
    j = np.argmax(back == np.arange(n)[None, :, None, None], axis=3)  # position of u in v's rotation
    nxt = 3 * v + (j + 1) % 3
    rev = 3 * v + j
    nxt, rev = nxt.reshape(g, 3 * n), rev.reshape(g, 3 * n)
    return (nxt[0], rev[0]) if single else (nxt, rev)


def face_sizes(rotations: np.ndarray) -> np.ndarray:
    """Size of the face on the left of every dart, (..., 3n) for one (n, 3) or many (g, n, 3) graphs."""
    nxt, _ = _next_dart(rotations)
    size = np.zeros_like(nxt)
    current = nxt.copy()
    darts = np.broadcast_to(np.arange(nxt.shape[-1]), nxt.shape)
    for step in range(1, 13):
        size = np.where((size == 0) & (current == darts), step, size)
        current = np.take_along_axis(current, nxt, axis=-1) if nxt.ndim == 2 else current[nxt]
    if (size == 0).any():
        raise RuntimeError("a face has more than 12 sides: not a fullerene")
    return size


def pentagon_adjacencies(rotations: np.ndarray) -> np.ndarray | int:
    """Number of edges shared by two pentagons (0 for IPR cages); one int or one per graph."""
    sizes = face_sizes(rotations)
    _, rev = _next_dart(rotations)
    other = np.take_along_axis(sizes, rev, axis=-1) if sizes.ndim == 2 else sizes[rev]
    count = ((sizes == 5) & (other == 5)).sum(axis=-1) // 2
    return int(count) if np.ndim(count) == 0 else count


def automorphism_count(rotation: np.ndarray | Sequence[Sequence[int]], *, proper_only: bool = False) -> int:
    """Order of the automorphism group of a 3-connected planar cubic graph (its point-group order
    for the symmetric embedding: C60 120, the two D6d C72 24). ``proper_only`` counts the
    orientation-preserving ones (rotations) only.

    An automorphism of the embedded graph is fixed by the image of one dart and whether it keeps
    or reverses the cyclic order at each vertex, so every dart x orientation is tried once.
    """
    rotation = np.asarray(rotation, dtype=np.int64).tolist()
    n = len(rotation)
    position = [{v: k for k, v in enumerate(nb)} for nb in rotation]
    u0, v0 = 0, rotation[0][0]
    count = 0
    for sign in ((1,) if proper_only else (1, -1)):
        for u1 in range(n):
            for v1 in rotation[u1]:
                phi = [-1] * n
                phi[u0], phi[v0] = u1, v1
                stack, ok = [(u0, v0)], True
                while stack and ok:
                    a, b = stack.pop()
                    ka, ka1 = position[a][b], position[phi[a]][phi[b]]
                    for s in (1, 2):
                        x, x1 = rotation[a][(ka + s) % 3], rotation[phi[a]][(ka1 + sign * s) % 3]
                        if phi[x] < 0:
                            phi[x] = x1
                            stack.append((x, a))
                        elif phi[x] != x1:
                            ok = False
                            break
                count += ok and len(set(phi)) == n
    return count


# ----------------------------------------------------------------------------- geometry

def spectral_positions(adjacency: np.ndarray) -> np.ndarray:
    """3D start from the Laplacian eigenvectors of eigenvalues 2-4, scaled to :data:`MEAN_BOND`."""
    laplacian = np.diag(adjacency.sum(1)) - adjacency
    _, vectors = np.linalg.eigh(laplacian)
    positions = vectors[:, 1:4]
    i, j = np.nonzero(np.triu(adjacency))
    return positions * MEAN_BOND / np.linalg.norm(positions[i] - positions[j], axis=1).mean()


def centred(structure: Structure) -> Structure:
    return structure.with_positions(structure.positions - structure.positions.mean(axis=0))


def spring_positions(adjacency: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Cage positions from a spring model of the bond graph, started at :func:`spectral_positions`.

    Bonded pairs are pulled to 1.40 A and second neighbours to 2.40 A (near 120 degree angles);
    pairs three or more bonds apart only repel below 2.8 A. Cheap (L-BFGS, well under a second for
    C84) and robust where the spectral start alone is far from a cage (elongated, strained isomers).
    """
    from scipy.optimize import minimize
    from scipy.sparse.csgraph import shortest_path

    n = len(adjacency)
    start = spectral_positions(adjacency) if start is None else np.asarray(start, float)
    i, j = np.triu_indices(n, 1)
    hops = shortest_path(adjacency, unweighted=True)[i, j]
    target = np.where(hops == 1, MEAN_BOND, np.where(hops == 2, 2.40, 2.8))
    repel_only = hops >= 3

    def energy(flat: np.ndarray) -> tuple[float, np.ndarray]:
        x = flat.reshape(n, 3)
        diff = x[i] - x[j]
        d = np.linalg.norm(diff, axis=1)
        r = d - target
        r = np.where(repel_only, np.minimum(r, 0.0), r)
        grad_pair = (2 * r / np.maximum(d, 1e-9))[:, None] * diff
        grad = np.zeros((n, 3))
        np.add.at(grad, i, grad_pair)
        np.add.at(grad, j, -grad_pair)
        return float(np.sum(r * r)), grad.ravel()

    result = minimize(energy, start.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-8})
    return result.x.reshape(n, 3)


def cage_start(adjacency: np.ndarray, name: str = "cage", *, method: str = "spectral") -> Structure:
    """All-carbon cage at the start positions of its bond graph: ``spectral`` (Laplacian
    eigenvectors, as the gallery) or ``springs`` (spectral, then :func:`spring_positions`)."""
    if method == "spectral":
        positions = spectral_positions(adjacency)
    elif method == "springs":
        positions = spring_positions(adjacency)
    else:
        raise ValueError(f"unknown start method {method!r}")
    return Structure(np.full(len(adjacency), 6), positions, name=name)


def relax_cage(adjacency: np.ndarray, name: str = "cage", *, fmax: float = FMAX, steps: int = RELAX_STEPS,
               start: str = "spectral") -> Structure:
    """GFN2-xTB-relaxed cage (ASE BFGS from :func:`cage_start`), centred at the origin."""
    from ..xtb import relax_xtb

    return centred(relax_xtb(cage_start(adjacency, name, method=start), fmax=fmax, steps=steps))


def is_fullerene(structure: Structure, max_bond: float = MAX_BOND) -> bool:
    """Whether ``structure`` is a fullerene cage: a non-periodic all-carbon structure of at least 20
    atoms in which every atom has exactly three neighbours closer than ``max_bond`` (a cubic graph;
    the 12 pentagons follow from Euler's formula for a closed cage)."""
    from scipy.spatial.distance import cdist

    if structure.is_periodic or structure.n_atoms < 20 or set(structure.numbers.tolist()) != {6}:
        return False
    distance = cdist(structure.positions, structure.positions)
    np.fill_diagonal(distance, np.inf)
    return bool(((distance < max_bond).sum(axis=1) == 3).all())


def bonds_intact(positions: np.ndarray, adjacency: np.ndarray, max_bond: float = MAX_BOND) -> bool:
    """Whether the geometry still has the bond graph: every bond shorter than ``max_bond`` and
    every other pair longer."""
    from scipy.spatial.distance import cdist

    distance = cdist(positions, positions)
    np.fill_diagonal(distance, np.inf)
    return bool(((distance < max_bond) == adjacency.astype(bool)).all())


# ----------------------------------------------------------------------------- catalogue

@dataclass(frozen=True)
class Cage:
    """One fullerene isomer.

    Attributes:
        n_atoms: number of carbon atoms.
        ipr: whether ``isomer`` counts in the IPR list (``buckygen -I``) or in the full list.
        isomer: 1-based position in buckygen's output for that list.
        note: why it is in the catalogue.
    """

    n_atoms: int
    ipr: bool
    isomer: int
    note: str = ""

    @property
    def cage_id(self) -> str:
        return f"C{self.n_atoms}-IPR-{self.isomer}" if self.ipr else f"C{self.n_atoms}-{self.isomer}"

    @classmethod
    def from_id(cls, cage_id: str, note: str = "") -> "Cage":
        """The cage named ``C<n>-IPR-<k>`` or ``C<n>-<k>``."""
        parts = cage_id.split("-")
        if not parts[0].startswith("C") or len(parts) not in (2, 3) or (len(parts) == 3 and parts[1] != "IPR"):
            raise ValueError(f"not a cage id: {cage_id!r}")
        return cls(int(parts[0][1:]), len(parts) == 3, int(parts[-1]), note)


# Every IPR cage of C60-C84 (C62-C68 have none).
_IPR_SIZES = (60, 70, 72, 74, 76, 78, 80, 82, 84)
# non-IPR cages: per size, the first isomer in buckygen order with the fewest pentagon-pentagon
# edges (:func:`fewest_adjacency_isomers`; the pentagon-adjacency penalty rule for non-IPR
# stability). Precomputed (C72 takes seconds); the tests recompute the small sizes.
NON_IPR: dict[int, int] = {50: 199, 52: 211, 54: 377, 56: 3, 58: 758, 60: 1109, 62: 67, 64: 20, 66: 248,
                          68: 11, 70: 5920, 72: 8634}
# the only non-IPR C72 with a 24-element automorphism group; it relaxes to D6d like the IPR cage
# (only two C72 bond graphs have 24 automorphisms, and both relax to D6d: no classical C72 is D6h)
D6D_C72 = 11190
# Variety between cages: per size, SAMPLED_PER_SIZE more non-IPR isomers drawn by
# :func:`sampled_isomers` (precomputed: enumerating C84 takes about a minute; the tests recompute
# the small sizes). Cage-level HOMO/LUMO differences cannot be learnt from a few dozen cages.
SAMPLED_PER_SIZE = 14
SAMPLED_NON_IPR: dict[int, tuple[int, ...]] = {
    50: (181, 253, 154, 134, 127, 254, 157, 26, 195, 114, 196, 212, 11, 56),
    52: (394, 339, 140, 51, 123, 376, 310, 307, 1, 131, 391, 194, 101, 2),
    54: (280, 220, 465, 286, 376, 308, 403, 378, 177, 563, 7, 56, 540, 359),
    56: (859, 452, 6, 610, 642, 337, 852, 335, 161, 236, 635, 788, 697, 528),
    58: (717, 857, 912, 370, 718, 98, 911, 1138, 1026, 574, 779, 536, 1008, 2),
    60: (1298, 3, 1297, 1728, 1811, 310, 657, 1317, 1809, 1103, 2, 895, 349, 1367),
    62: (1697, 1939, 2052, 1472, 1394, 1797, 1716, 1691, 1286, 1385, 1787, 1723, 2164, 281),
    64: (2880, 2897, 3342, 2836, 2337, 195, 2650, 3350, 2603, 2228, 3349, 3321, 2698, 3445),
    66: (2231, 3968, 4168, 4298, 2230, 2283, 1056, 2389, 1966, 4185, 1058, 3251, 3877, 3068),
    68: (6065, 2040, 6150, 559, 6078, 4833, 5346, 463, 1056, 2220, 623, 301, 5370, 2301),
    70: (6811, 5255, 6536, 7154, 6515, 5684, 5741, 6058, 1924, 4968, 7525, 1481, 5918, 6538),
    72: (7011, 6922, 7936, 6741, 3259, 8525, 8971, 6028, 9301, 8527, 2386, 425, 10936, 10774),
    74: (10505, 10140, 9731, 11598, 3001, 7966, 11306, 3300, 2866, 12109, 11772, 10431, 12900, 10040),
    76: (19127, 43, 4542, 15090, 4130, 18374, 15907, 8650, 10774, 16966, 15367, 15978, 16663, 718),
    78: (3114, 7212, 17405, 18935, 4835, 5657, 18392, 1870, 22708, 5590, 3119, 16343, 14448, 14468),
    80: (25913, 18045, 12382, 16406, 12312, 19985, 11195, 5914, 18060, 6220, 5632, 26647, 25732, 19707),
    82: (33259, 28441, 34069, 6674, 30926, 26378, 36679, 35883, 25765, 18153, 1301, 26099, 28190, 2515),
    84: (47069, 11679, 12749, 9964, 2035, 22076, 45205, 38394, 46915, 48146, 44645, 39737, 40694, 15514),
}


def fewest_adjacency_isomers(n_atoms: int, k: int = 1) -> tuple[int, ...]:
    """1-based buckygen indices of the first ``k`` non-IPR isomers with the fewest pentagon adjacencies."""
    counts = pentagon_adjacencies(fullerene_graphs(n_atoms))
    counts = np.where(counts == 0, np.iinfo(np.int64).max, counts)  # IPR isomers are not candidates
    order = np.flatnonzero(counts == counts.min())
    return tuple(int(i) + 1 for i in order[:k])


def sampled_isomers(n_atoms: int, k: int = SAMPLED_PER_SIZE, *, extra_adjacencies: int = 2) -> tuple[int, ...]:
    """1-based buckygen indices of ``k`` non-IPR isomers with at most ``extra_adjacencies`` more
    pentagon adjacencies than the fewest, ordered by a seeded hash of their id (deterministic),
    excluding the :data:`NON_IPR` choice."""
    counts = pentagon_adjacencies(fullerene_graphs(n_atoms))
    limit = counts[counts > 0].min() + extra_adjacencies
    chosen = NON_IPR.get(n_atoms)
    candidates = [int(i) + 1 for i in np.flatnonzero((counts > 0) & (counts <= limit)) if int(i) + 1 != chosen]
    candidates.sort(key=lambda i: hashlib.sha256(f"scann-fullerenes|C{n_atoms}-{i}".encode()).hexdigest())
    return tuple(candidates[:k])


def cage_catalogue() -> list[Cage]:
    """The fullerene cages of the dataset, in generation order (C60, C70, C72 first)."""
    cages = [Cage(n, True, i + 1, "IPR") for n in _IPR_SIZES for i in range(count_isomers(n, ipr=True))]
    cages += [Cage(n, False, i, "non-IPR, fewest pentagon adjacencies") for n, i in NON_IPR.items()]
    cages.append(Cage(72, False, D6D_C72, "non-IPR D6d C72 (12 pentagon adjacencies)"))
    cages += [Cage(n, False, i, "non-IPR, sampled among the fewest pentagon adjacencies (+2)")
              for n, isomers in SAMPLED_NON_IPR.items() for i in isomers]
    return cages


def cage_graph(cage: Cage | str) -> np.ndarray:
    """Rotation system (n, 3) of a catalogue cage (or of any ``C<n>-[IPR-]<index>`` id)."""
    if isinstance(cage, str):
        cage = Cage.from_id(cage)
    graphs = fullerene_graphs(cage.n_atoms, ipr=cage.ipr)
    if not 1 <= cage.isomer <= len(graphs):
        raise ValueError(f"{cage.cage_id}: buckygen has {len(graphs)} such isomers.")
    return np.array(graphs[cage.isomer - 1])


def group_splits(ids: Iterable[str], *, salt: str, fractions: dict[str, float] = SPLIT_FRACTIONS,
                 pinned_test: Sequence[str] = ()) -> dict[str, str]:
    """Deterministic train/val/test assignment of whole groups (cages, trajectories).

    Ids in ``pinned_test`` go to test. The others are ordered by the SHA-256 of ``salt|id``;
    going down that order, each goes to the split furthest below its target share
    (``fractions`` for val and test, the rest train; ties go to train). The result depends only
    on the set of ids, not on their order (adding an id can move others, so a split is fixed
    together with its list of groups).
    """
    ids = sorted(set(ids))
    out = {gid: "test" for gid in ids if gid in pinned_test}
    rest = sorted((gid for gid in ids if gid not in out),
                  key=lambda gid: hashlib.sha256(f"{salt}|{gid}".encode()).hexdigest())
    targets = {"val": float(fractions["val"]), "test": float(fractions["test"])}
    targets["train"] = 1.0 - targets["val"] - targets["test"]
    counts = dict.fromkeys(targets, 0)
    for k, gid in enumerate(rest, 1):
        deficit = {s: targets[s] * k - counts[s] for s in ("val", "test", "train")}
        split = max(deficit, key=lambda s: (deficit[s], s == "train"))
        out[gid] = split
        counts[split] += 1
    return out


def cage_splits(cage_ids: Iterable[str], *, pinned_test: Sequence[str] = PINNED_TEST) -> dict[str, str]:
    """Assign whole cages to ``train``/``val``/``test`` (deterministic; no frame-level split).

    C60-IPR-1, C70-IPR-1 and C72-IPR-1 (:data:`PINNED_TEST`, the gallery cages the app
    explains) are always in ``test``, so what the app shows for them is never on training data.
    The other cages go 10 % to val, 10 % to test and the rest to train by :func:`group_splits`.
    """
    return group_splits(cage_ids, salt="scann-fullerenes", pinned_test=pinned_test)


# ----------------------------------------------------------------------------- thermal frames

def mean_force_constant(structure: Structure, *, probes: int = 4, step: float = 0.005, seed: int = 0) -> float:
    """Mean diagonal GFN2-xTB force constant Tr(H) / 3N in eV/A^2 (Hutchinson estimate).

    For random sign vectors v, E[v^T H v] = Tr(H); each probe uses central differences of the
    forces, v^T H v = -v . (F(x + h v) - F(x - h v)) / 2h (2 single points per probe).
    """
    from tblite.ase import TBLite

    from ..io import structure_to_ase
    from ..xtb import METHOD

    atoms = structure_to_ase(structure)
    atoms.calc = TBLite(method=METHOD, charge=0, multiplicity=1, verbosity=0)
    rng = np.random.default_rng(seed)
    x0 = structure.positions
    values = []
    for _ in range(probes):
        v = rng.choice([-1.0, 1.0], size=x0.shape)
        atoms.set_positions(x0 + step * v)
        plus = atoms.get_forces()
        atoms.set_positions(x0 - step * v)
        minus = atoms.get_forces()
        values.append(-np.sum(v * (plus - minus)) / (2 * step))
    return float(np.mean(values) / x0.size)


def displacement_sigma(temperature: float, force_constant: float) -> float:
    """Standard deviation (A) of each Cartesian displacement at an effective temperature (K)."""
    if force_constant <= 0:
        raise ValueError("the force constant must be positive.")
    return float(np.sqrt(KB_EV * max(float(temperature), 0.0) / force_constant))


def thermal_displacements(n_atoms: int, temperature: float, force_constant: float,
                          rng: np.random.Generator) -> np.ndarray:
    """(n_atoms, 3) Gaussian displacements, variance kB T / k per coordinate, no net translation."""
    sigma = displacement_sigma(temperature, force_constant)
    displacement = rng.normal(0.0, sigma, size=(n_atoms, 3))
    return displacement - displacement.mean(axis=0)


@dataclass(frozen=True)
class Frame:
    """One labelled geometry: the relaxed cage (temperature 0, index 0) or a displaced one."""

    cage_id: str
    temperature: float
    index: int

    @property
    def frame_id(self) -> str:
        return f"{self.cage_id}/T{self.temperature:g}/{self.index}"

    @property
    def seed(self) -> int:
        return int(hashlib.sha256(f"scann-fullerenes|{self.frame_id}".encode()).hexdigest()[:12], 16)


def frame_plan(cages: Iterable[Cage | str], temperatures: Sequence[float] = TEMPERATURES,
               per_temperature: int = FRAMES_PER_TEMPERATURE) -> list[Frame]:
    """Frames to label, cage by cage: the relaxed cage, then ``per_temperature`` per temperature."""
    out = []
    for cage in cages:
        cid = cage if isinstance(cage, str) else cage.cage_id
        out.append(Frame(cid, 0.0, 0))
        out += [Frame(cid, float(t), k) for t in temperatures for k in range(per_temperature)]
    return out


def frame_positions(relaxed: Structure, frame: Frame, force_constant: float) -> np.ndarray:
    """Positions of a frame: the relaxed cage plus its seeded thermal displacement."""
    if frame.temperature <= 0:
        return relaxed.positions.copy()
    rng = np.random.default_rng(frame.seed)
    return relaxed.positions + thermal_displacements(relaxed.n_atoms, frame.temperature, force_constant, rng)


def label_frame(structure: Structure) -> tuple[float, float]:
    """GFN2-xTB HOMO and LUMO energies (eV) of a neutral closed-shell cage."""
    from ..xtb import xtb_orbital_energies

    return xtb_orbital_energies(structure)
