"""Neighbour lists: the fast Delaunay path against slow references, and the rule's invariances."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import graphene_sheet
from reference_neighbors import face_solid_angle, reference_molecule_neighbors

from scann_core.crystal import supercell, to_pymatgen
from scann_core.neighbors import solid_angles, voronoi_neighbors
from scann_core.structure import Structure

MOLECULE = {"cutoff": 4.0}
CRYSTAL = {"cutoff": 6.0}


def qm9_sample(n: int) -> list[Structure]:
    from scann_core.data.qm9 import qm9_frame, qm9_structure

    frame = qm9_frame()
    rows = list(range(6)) + sorted(np.random.default_rng(7).choice(np.arange(6, len(frame)), n - 6, replace=False))
    return [qm9_structure(frame.iloc[int(k)]) for k in rows]


def test_first_qm9_molecules_are_the_degenerate_cases():
    formulas = [s.formula for s in qm9_sample(6)]
    assert formulas == ["CH4", "H3N", "H2O", "C2H2", "CHN", "CH2O"]


def test_fast_equals_reference_on_500_qm9_molecules():
    mismatched = [s.name for s in qm9_sample(500)
                  if voronoi_neighbors(s, **MOLECULE).as_set() != reference_molecule_neighbors(s.positions, 4.0)]
    assert mismatched == []


def test_solid_angles_equal_reference_faces(benzene):
    centre, neighbour, _, omega, _ = solid_angles(benzene)
    for i, j, w in zip(centre, neighbour, omega):
        assert w == pytest.approx(face_solid_angle(benzene.positions, i, j), abs=1e-4)  # reference truncation


def test_linear_molecule_faces_are_half_spaces():
    co2 = Structure([6, 8, 8], [[0, 0, 0], [1.16, 0, 0], [-1.16, 0, 0]])
    centre, neighbour, _, omega, _ = solid_angles(co2)
    carbon = dict(zip(neighbour[centre == 0], omega[centre == 0]))
    assert carbon[1] == pytest.approx(2 * np.pi) and carbon[2] == pytest.approx(2 * np.pi)


def test_c70_is_not_boxed():
    from scann_core.gallery import load_gallery_structure

    c70 = load_gallery_structure("C70")
    neighbors = voronoi_neighbors(c70, **MOLECULE)
    assert neighbors.as_set() == reference_molecule_neighbors(c70.positions, 4.0)
    assert neighbors.distance.max() < 3.0  # no pair across a (non-existent) box edge
    assert np.bincount(neighbors.edge_index[0]).min() >= 3


def test_long_chain_ends_are_not_neighbours():
    carbons = [[1.3 * k, 0, 0] for k in range(9)]
    chain = Structure([1] + [6] * 9 + [1], [[-1.1, 0, 0], *carbons, [1.3 * 8 + 1.1, 0, 0]])
    assert np.ptp(chain.positions[:, 0]) > 11.0
    edges = voronoi_neighbors(chain, cutoff=100.0).as_set()
    assert (0, 10, 0, 0, 0) not in edges
    assert {(e[0], e[1]) for e in edges} == {(k, k + 1) for k in range(10)} | {(k + 1, k) for k in range(10)}


def test_neighbours_do_not_depend_on_position_or_orientation(benzene):
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    moved = benzene.with_positions(benzene.positions @ rotation.T + [40.0, -7.0, 3.0])
    assert voronoi_neighbors(moved, **MOLECULE).as_set() == voronoi_neighbors(benzene, **MOLECULE).as_set()


@pytest.mark.parametrize("pbc", [(True, True, True), (True, True, False)])
def test_graphene_is_independent_of_vacuum(pbc):
    lists = [voronoi_neighbors(graphene_sheet(v, pbc=pbc), **CRYSTAL).as_set() for v in (10.0, 20.0, 40.0)]
    assert lists[0] == lists[1] == lists[2]
    assert {(i, j) for i, j, *_ in lists[0] if i == 0} and len(lists[0]) == 3 * 32


def pymatgen_neighbors(structure: Structure, cutoff: float) -> set:
    from pymatgen.analysis.local_env import VoronoiNN

    crystal = to_pymatgen(structure)
    finder = VoronoiNN(tol=0.2, cutoff=13.0, weight="solid_angle", compute_adj_neighbors=False)
    edges = set()
    for i in range(len(crystal)):
        faces = finder.get_voronoi_polyhedra(crystal, i).values()
        largest = max(face["solid_angle"] for face in faces)
        for face in faces:
            if face["solid_angle"] >= 0.4 and face["solid_angle"] >= 0.2 * largest and 2 * face["face_dist"] <= cutoff:
                site = face["site"]
                offsets = site.frac_coords - crystal.frac_coords
                j = int(np.argmin(np.linalg.norm(offsets - np.round(offsets), axis=1)))
                edges.add((i, j, *map(int, np.round(offsets[j]))))
    return edges


@pytest.mark.parametrize("name", ["bcc_fe", "nacl", "smfe12"])
def test_crystals_equal_pymatgen_voronoi(name, request):
    structure = request.getfixturevalue(name)
    assert voronoi_neighbors(structure, **CRYSTAL).as_set() == pymatgen_neighbors(structure, 6.0)


@pytest.mark.parametrize("name", ["bcc_fe", "smfe12"])
def test_crystal_faces_close_the_sphere(name, request):
    structure = request.getfixturevalue(name)
    centre, _, _, omega, _ = solid_angles(structure)
    assert np.bincount(centre, weights=omega) == pytest.approx(4 * np.pi, abs=1e-8)


def test_supercell_keeps_each_atoms_neighbours(smfe12):
    """In a 2x2x1 supercell every atom has the neighbours of its original, same distances and angles."""
    big = supercell(smfe12, (2, 2, 1))
    small_nl, big_nl = voronoi_neighbors(smfe12, **CRYSTAL), voronoi_neighbors(big, **CRYSTAL)
    n = smfe12.n_atoms
    assert big_nl.n_edges == 4 * small_nl.n_edges
    original = big_nl.edge_index[0] % n
    for i in range(n):
        mine = np.sort(small_nl.distance[small_nl.edge_index[0] == i])
        for copy in range(4):
            rows = big_nl.edge_index[0] == i + copy * n
            assert np.allclose(np.sort(big_nl.distance[rows]), mine)
    assert np.array_equal(np.sort(big_nl.edge_index[1][original == 0] % n),
                          np.sort(np.tile(small_nl.edge_index[1][small_nl.edge_index[0] == 0], 4)))
