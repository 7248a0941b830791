"""Fullerene dataset: buckygen isomer counts, cage graphs, catalogue, splits, thermal frames, outputs."""
from __future__ import annotations

import gzip
import io
import json
from collections import defaultdict

import numpy as np
import pytest

from scann_core.data import fullerenes as fl
from scann_core.gallery import load_gallery_structure

from conftest import load_script

# Known fullerene isomer counts (Fowler and Manolopoulos, An Atlas of Fullerenes)
KNOWN_ALL = {20: 1, 24: 1, 26: 1, 28: 2, 30: 3, 32: 6, 50: 271, 60: 1812, 70: 8149}
KNOWN_IPR = {60: 1, 70: 1, 72: 1, 74: 1, 76: 2, 78: 5, 80: 7, 82: 9, 84: 24}


@pytest.mark.parametrize("n_atoms, count", sorted(KNOWN_ALL.items()))
def test_buckygen_counts_all_isomers(n_atoms, count):
    assert fl.count_isomers(n_atoms) == count


@pytest.mark.parametrize("n_atoms, count", sorted(KNOWN_IPR.items()))
def test_buckygen_counts_ipr_isomers(n_atoms, count):
    assert fl.count_isomers(n_atoms, ipr=True) == count


def test_no_fullerene_with_22_atoms():
    with pytest.raises(ValueError):
        fl.n_faces(22)
    assert fl.n_faces(60) == 32 and fl.n_faces(70) == 37 and fl.n_faces(72) == 38


def test_planar_code_parsers_agree():
    tetrahedron = b">>planar_code<<" + bytes([4, 2, 3, 4, 0, 1, 4, 3, 0, 1, 2, 4, 0, 1, 3, 2, 0])
    assert fl.parse_planar_code(tetrahedron) == [[[1, 2, 3], [0, 3, 2], [0, 1, 3], [0, 2, 1]]]
    mixed = b">>planar_code<<" + bytes([3, 2, 3, 0, 1, 3, 0, 1, 2, 0])  # a triangle: not cubic, generic path
    assert fl.parse_planar_code(mixed) == [[[1, 2], [0, 2], [0, 1]]]
    with pytest.raises(ValueError):
        fl.parse_planar_code(b"nonsense")


def test_all_c60_isomers_are_cubic_cages_with_12_pentagons():
    graphs = fl.fullerene_graphs(60)
    assert graphs.shape == (1812, 60, 3)
    for graph in graphs[::181]:
        adjacency = fl.adjacency_matrix(graph)
        assert (adjacency.sum(axis=1) == 3).all() and (adjacency == adjacency.T).all()
    sizes = fl.face_sizes(graphs)  # one entry per dart: a face of size s appears s times
    assert set(np.unique(sizes)) == {5, 6}
    assert ((sizes == 5).sum(axis=1) == 12 * 5).all()
    assert ((sizes == 6).sum(axis=1) == (60 // 2 - 10) * 6).all()
    adjacencies = fl.pentagon_adjacencies(graphs)
    assert (adjacencies == 0).sum() == 1  # exactly one IPR isomer
    ipr = fl.fullerene_graphs(60, ipr=True)[0]
    assert fl.pentagon_adjacencies(ipr) == 0
    assert fl.automorphism_count(graphs[adjacencies == 0][0]) == fl.automorphism_count(ipr) == 120  # both Ih


def test_symmetry_of_known_cages():
    assert fl.automorphism_count(fl.cage_graph("C60-IPR-1")) == 120  # Ih
    assert fl.automorphism_count(fl.cage_graph("C60-IPR-1"), proper_only=True) == 60  # I
    assert fl.automorphism_count(fl.cage_graph("C70-IPR-1")) == 20  # D5h
    assert fl.automorphism_count(fl.cage_graph("C72-IPR-1")) == 24  # D6d
    d6d = fl.cage_graph(f"C72-{fl.D6D_C72}")
    assert fl.automorphism_count(d6d) == 24 and fl.pentagon_adjacencies(d6d) == 12


def test_catalogue_cages():
    cages = fl.cage_catalogue()
    ids = [c.cage_id for c in cages]
    n_ipr = 1 + 1 + 1 + 1 + 2 + 5 + 7 + 9 + 24  # C60, C70, C72, C74, C76, C78, C80, C82, C84
    n_sampled = 18 * fl.SAMPLED_PER_SIZE  # C50-C84
    assert len(set(ids)) == len(ids) == n_ipr + len(fl.NON_IPR) + 1 + n_sampled
    assert ids[:3] == ["C60-IPR-1", "C70-IPR-1", "C72-IPR-1"]
    assert {c.n_atoms for c in cages} == set(range(50, 86, 2))
    assert all(fl.Cage.from_id(c.cage_id) == fl.Cage(c.n_atoms, c.ipr, c.isomer) for c in cages)
    for cage in (c for c in cages if c.n_atoms <= 60 or c.ipr):  # larger non-IPR lists take minutes
        graph = fl.cage_graph(cage)
        assert graph.shape == (cage.n_atoms, 3)
        fl.adjacency_matrix(graph)  # raises unless cubic
        assert (fl.pentagon_adjacencies(graph) == 0) == cage.ipr


@pytest.mark.parametrize("n_atoms", [50, 52, 54, 56, 58, 60])
def test_non_ipr_choice_has_fewest_pentagon_adjacencies(n_atoms):
    assert fl.fewest_adjacency_isomers(n_atoms) == (fl.NON_IPR[n_atoms],)


@pytest.mark.parametrize("n_atoms", [50, 56, 60])
def test_sampled_isomers_are_the_precomputed_ones(n_atoms):
    sampled = fl.sampled_isomers(n_atoms)
    assert sampled == fl.SAMPLED_NON_IPR[n_atoms] and len(set(sampled)) == fl.SAMPLED_PER_SIZE
    counts = fl.pentagon_adjacencies(fl.fullerene_graphs(n_atoms))
    fewest = counts[fl.NON_IPR[n_atoms] - 1]
    assert all(fewest <= counts[i - 1] <= fewest + 2 for i in sampled)


def test_gallery_cages_keep_the_buckygen_bond_graph():
    for key, faces in (("C60", 32), ("C70", 37), ("C72", 38)):
        structure = load_gallery_structure(key)
        assert fl.bonds_intact(structure.positions, fl.fullerene_adjacency(faces))
    assert not fl.bonds_intact(load_gallery_structure("C60").positions, fl.fullerene_adjacency(37)[:60, :60])


def test_fullerene_recognition(benzene):
    from scann_core.structure import Structure

    cages = [load_gallery_structure(key) for key in ("C60", "C70", "C72")]
    assert all(fl.is_fullerene(cage) for cage in cages)
    c60 = cages[0]
    assert not fl.is_fullerene(benzene)  # not all carbon, too small
    broken = c60.positions.copy()
    broken[0] += 3.0 * broken[0] / np.linalg.norm(broken[0])  # one atom pulled out of the cage
    assert not fl.is_fullerene(c60.with_positions(broken))
    assert not fl.is_fullerene(Structure(c60.numbers, c60.positions, 20 * np.eye(3), (True, True, True)))
    assert not fl.is_fullerene(Structure([7] + [6] * 59, c60.positions))  # an aza-fullerene


def test_spring_start_fixes_a_poor_spectral_start():
    adjacency = fl.adjacency_matrix(fl.cage_graph(f"C72-{fl.D6D_C72}"))
    i, j = np.nonzero(np.triu(adjacency))
    spectral = fl.spectral_positions(adjacency)
    springs = fl.spring_positions(adjacency)
    assert np.ptp(np.linalg.norm(spectral[i] - spectral[j], axis=1)) > 0.8  # bonds from 0.9 to 2.0 A
    bonds = np.linalg.norm(springs[i] - springs[j], axis=1)
    assert 1.3 < bonds.min() and bonds.max() < 1.6
    assert fl.bonds_intact(springs, adjacency)


def test_split_is_by_cage():
    cages = fl.cage_catalogue()
    splits = fl.cage_splits(c.cage_id for c in cages)
    assert set(splits) == {c.cage_id for c in cages}
    assert all(splits[c] == "test" for c in fl.PINNED_TEST)
    counts = {s: sum(v == s for v in splits.values()) for s in ("train", "val", "test")}
    assert counts["train"] > counts["test"] >= 3 + 3 and counts["val"] >= 3
    # deterministic and independent of order
    assert fl.cage_splits(reversed([c.cage_id for c in cages])) == splits
    # frames of one cage are never in two splits
    frame_splits = defaultdict(set)
    for frame in fl.frame_plan(cages):
        frame_splits[frame.cage_id].add(splits[frame.cage_id])
    assert all(len(s) == 1 for s in frame_splits.values())
    assert len(fl.frame_plan(cages)) == len(cages) * (1 + len(fl.TEMPERATURES) * fl.FRAMES_PER_TEMPERATURE)


def test_thermal_displacements_have_the_equipartition_energy():
    k, t, n = 40.0, 1000.0, 60
    rng = np.random.default_rng(0)
    energies = [0.5 * k * np.sum(fl.thermal_displacements(n, t, k, rng) ** 2) for _ in range(400)]
    # 3N kT/2 less the removed translation (3 degrees of freedom)
    assert np.mean(energies) == pytest.approx(1.5 * (n - 1) * fl.KB_EV * t, rel=0.02)
    d = fl.thermal_displacements(n, t, k, rng)
    np.testing.assert_allclose(d.mean(axis=0), 0.0, atol=1e-12)
    assert fl.displacement_sigma(0.0, k) == 0.0
    assert fl.displacement_sigma(4 * t, k) == pytest.approx(2 * fl.displacement_sigma(t, k))
    with pytest.raises(ValueError):
        fl.displacement_sigma(300.0, 0.0)


def test_frames_are_reproducible_and_distinct():
    relaxed = load_gallery_structure("C60")
    frame = fl.Frame("C60-IPR-1", 800.0, 3)
    a = fl.frame_positions(relaxed, frame, 42.0)
    np.testing.assert_array_equal(a, fl.frame_positions(relaxed, frame, 42.0))
    assert not np.allclose(a, fl.frame_positions(relaxed, fl.Frame("C60-IPR-1", 800.0, 4), 42.0))
    np.testing.assert_array_equal(fl.frame_positions(relaxed, fl.Frame("C60-IPR-1", 0.0, 0), 42.0),
                                  relaxed.positions)
    assert frame.frame_id == "C60-IPR-1/T800/3"


def test_label_sign_convention():
    pytest.importorskip("tblite")
    homo, lumo = fl.label_frame(load_gallery_structure("C60"))
    assert homo < lumo < 0
    assert 1.0 < lumo - homo < 3.0  # GFN2-xTB gap of C60, about 1.7 eV


def test_outputs_from_cache(tmp_path):
    """The writers read the cache (torn last line included) and put real counts in the datasheet."""
    import ase.io

    script = load_script("generate_fullerenes")
    c60 = load_gallery_structure("C60")
    cage = {"cage_id": "C60-IPR-1", "n_atoms": 60, "ipr": True, "isomer": 1, "note": "IPR",
            "pentagon_adjacencies": 0, "graph_symmetry": 120, "point_group": "Ih", "bonds_intact": True,
            "force_constant": 42.0, "relax_seconds": 7.0, "seconds": 9.0, "positions": c60.positions.tolist(),
            "settings": script.SETTINGS}
    plan = fl.frame_plan(["C60-IPR-1"])[:3]
    frames = [{"frame_id": f.frame_id, "cage_id": f.cage_id, "temperature": f.temperature, "index": f.index,
               "homo_ev": -10.6 + 0.1 * k, "lumo_ev": -8.9, "seconds": 1.0,
               "positions": fl.frame_positions(c60, f, 42.0).tolist(), "settings": script.SETTINGS}
              for k, f in enumerate(plan)]
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cages.jsonl").write_text(json.dumps(cage) + "\n")
    (cache / "frames.jsonl").write_text("".join(json.dumps(f) + "\n" for f in frames) + '{"frame_id": "torn')
    cages = [fl.Cage.from_id("C60-IPR-1")]
    relaxed, done, splits = script.collect(cages, plan, cache)
    assert len(done) == 3 and splits["C60-IPR-1"] == "test"
    data = tmp_path / "fullerenes.extxyz.gz"
    assert script.write_dataset(relaxed, done, splits, data) == 3
    read = ase.io.read(io.StringIO(gzip.decompress(data.read_bytes()).decode()), index=":", format="extxyz")
    assert [a.info["temperature"] for a in read] == [0.0, 300.0, 800.0]
    assert read[1].info["cage_id"] == "C60-IPR-1" and read[1].info["split"] == "test"
    assert read[1].info["homo_ev"] == pytest.approx(-10.5) and read[1].info["n_atoms"] == 60
    assert not read[0].pbc.any() and len(read[0]) == 60
    from scann_core.data.labelled import read_labelled

    labelled = read_labelled(data)  # what training reads: ids are frame ids, the split is the cage's
    assert labelled.ids == [f.frame_id for f in plan] and labelled.parts == ["test"] * 3
    from scann_core.data.sources import dataset_bounds, describe_dataset, split_structures

    cold = f"{data}?temperature<=300"  # a dataset spec that keeps the relaxed and 300 K frames only
    assert dataset_bounds(cold) == {"temperature": 300.0}
    assert labelled.splits(dataset_bounds(cold))["test"].tolist() == [0, 1]
    assert [s.name for s in split_structures(cold, "test")] == [f.frame_id for f in plan[:2]]
    assert "only the frames with temperature <= 300" in describe_dataset(cold)["dataset"]
    with pytest.raises(ValueError, match="key<=number"):
        dataset_bounds(f"{data}?temperature<300")
    sheet = tmp_path / "DATASHEET_FULLERENES.md"
    script.write_datasheet(cages, plan, relaxed, done, splits, sheet, data)
    text = sheet.read_text()
    assert "not DFT" in text and "| test | 1 | 3 |" in text and "`C60-IPR-1`" in text
