"""Pt on graphene: sheet geometry and periodicity, deformation references, labels, splits, outputs."""
from __future__ import annotations

import gzip
import io
import json
from collections import defaultdict

import numpy as np
import pytest

from scann_core.crystal import supercell
from scann_core.data import pt_graphene as pg
from scann_core.neighbors import voronoi_neighbors
from scann_core.references import deformation as dref
from scann_core.structure import Structure

from conftest import load_script


@pytest.fixture(scope="module")
def flat():
    return pg.graphene_sheet()


def _bump(sheet, atom: int = 10, dz: float = 0.3):
    positions = sheet.positions.copy()
    positions[atom, 2] += dz
    return sheet.with_positions(positions)


def test_sheet_geometry(flat):
    assert flat.n_atoms == 72 and set(flat.numbers) == {6}
    assert flat.pbc == (True, True, False) == pg.MODEL_PBC
    assert np.ptp(flat.positions[:, 2]) == 0.0
    np.testing.assert_allclose(np.linalg.norm(flat.cell[:2], axis=1), 6 * pg.LATTICE_A)
    for name, (n_pt, _) in pg.CLUSTERS.items():
        system = pg.adsorbed_system(name, flat)
        assert (system.numbers == 78).sum() == n_pt and system.pbc == (True, True, True)
        np.testing.assert_array_equal(system.positions[:72], flat.positions)
        pt = pg.pt_positions(system)
        height = pt[:, 2].max() - pg.SHEET_Z
        assert pg.C_LENGTH - height >= 15.0  # vacuum above the cluster, below the next sheet
        assert (pt[:, 2] > pg.SHEET_Z + 1.5).all()
        distance = np.linalg.norm(pt[:, None] - flat.positions[None], axis=2)
        assert distance.min() > 1.9
        sheet = pg.carbon_sheet(system)
        assert sheet.pbc == (True, True, False) and sheet.n_atoms == 72
        np.testing.assert_array_equal(sheet.positions, flat.positions)


def test_sheet_neighbour_list_is_periodic(flat):
    """The 6 x 6 sheet has the same neighbour list as the 3 x 3 sheet repeated 2 x 2."""
    repeated = supercell(pg.graphene_sheet(3), (2, 2, 1))
    np.testing.assert_allclose(repeated.cell, flat.cell)
    # the same atoms in another order: map them by position
    order = [int(np.argmin(np.linalg.norm(flat.positions - p, axis=1))) for p in repeated.positions]
    np.testing.assert_allclose(flat.positions[order], repeated.positions, atol=1e-9)
    assert sorted(order) == list(range(72))
    direct = voronoi_neighbors(flat, cutoff=6.0).as_set()
    mapped = {(order[i], order[j], *shift) for i, j, *shift in voronoi_neighbors(repeated, cutoff=6.0).as_set()}
    assert direct == mapped
    assert len(direct) == 3 * 72  # graphene: the three bonds only
    small = voronoi_neighbors(pg.graphene_sheet(3), cutoff=6.0)
    np.testing.assert_allclose(np.unique(np.round(small.distance, 6)), [pg.LATTICE_A / np.sqrt(3)], atol=1e-6)


def test_flat_sheet_references_are_zero(flat):
    neighbours = dref.sheet_neighbours(flat.positions, flat.cell)
    assert neighbours.shape == (72, 3)
    lengths = dref.bond_lengths(flat.positions, flat.cell, neighbours)
    np.testing.assert_allclose(lengths, pg.LATTICE_A / np.sqrt(3), atol=1e-9)
    length = dref.flat_bond_length(flat.positions, flat.cell, neighbours)
    np.testing.assert_allclose(dref.bond_elongation(flat.positions, flat.cell, neighbours, length), 0.0, atol=1e-12)
    np.testing.assert_allclose(dref.local_curvature(flat.positions, flat.cell, neighbours), 0.0, atol=1e-12)
    refs = dref.carbon_references(flat, flat, site_energies=False)
    for key in ("bond_elongation", "height", "curvature"):
        np.testing.assert_allclose(refs[key], 0.0, atol=1e-12)


def test_raised_atom_is_the_most_convex(flat):
    bump = _bump(flat, atom=10)
    refs = dref.carbon_references(bump, flat, site_energies=False)
    curvature = refs["curvature"]
    assert int(np.argmax(curvature)) == 10 and curvature[10] > 0  # convex towards +z (the Pt side)
    neighbours = dref.sheet_neighbours(flat.positions, flat.cell)[10]
    assert (curvature[neighbours] < 0).all()  # the ring around the bump is concave
    assert refs["height"][10] == pytest.approx(0.3)
    assert int(np.argmax(refs["bond_elongation"])) == 10 and refs["bond_elongation"][10] > 0
    below = dref.local_curvature(bump.positions, bump.cell, dref.sheet_neighbours(flat.positions, flat.cell),
                                 normal=(0, 0, -1))
    np.testing.assert_allclose(below, -curvature)  # seen from the other side it is concave
    # periodic images: moving an atom by a lattice vector changes nothing
    shifted = bump.positions.copy()
    shifted[10] += flat.cell[0]
    shifted[11] -= flat.cell[1]
    again = dref.carbon_references(bump.with_positions(shifted), flat, site_energies=False)
    for key in refs:
        np.testing.assert_allclose(again[key], refs[key], atol=1e-12)


def test_deformation_energy_sign_and_site_shares(flat):
    pytest.importorskip("chgnet")
    import torch

    torch.set_num_threads(1)
    assert pg.deformation_energy(flat) == 0.0
    bump = _bump(flat, atom=10)
    energies = pg.deformation_energy([bump, _bump(flat, atom=10, dz=0.15)])
    assert energies[0] > energies[1] > 0
    shares = dref.site_energy_share(bump, flat)
    assert int(np.argmax(shares)) == 10
    assert shares.sum() == pytest.approx(energies[0], abs=2e-3)


def test_split_is_by_trajectory():
    plan = pg.trajectory_plan()
    assert len(plan) == 9 * 3 * 2
    ids = [t.traj_id for t in plan]
    assert len(set(ids)) == len(ids)
    splits = pg.trajectory_splits(ids)
    assert set(splits) == set(ids) and set(splits.values()) == {"train", "val", "test"}
    assert pg.trajectory_splits(reversed(ids)) == splits
    snapshot_splits = defaultdict(set)
    for trajectory in plan:
        for _ in range(pg.SNAPSHOTS):
            snapshot_splits[trajectory.traj_id].add(splits[trajectory.traj_id])
    assert all(len(s) == 1 for s in snapshot_splits.values())
    assert sum(v == "train" for v in splits.values()) > 0.7 * len(ids)


def test_outputs_from_cache(tmp_path, flat):
    """The writers read the cache and write Pt-free T T F sheets with per-atom references."""
    import ase.io

    script = load_script("generate_pt_graphene")
    system = pg.adsorbed_system("Pt1-top", flat)
    config = {"cluster": "Pt1-top", "n_pt": 1, "energy": -664.0, "converged": True,
              "static_deformation_energy": 0.05, "pt_height": 2.0, "seconds": 60.0,
              "numbers": system.numbers.tolist(), "positions": system.positions.tolist(),
              "cell": system.cell.tolist(), "settings": script.SETTINGS}
    trajectory = pg.trajectory_plan(["Pt1-top"])[0]
    snapshots = []
    for k, dz in enumerate((0.0, 0.2)):
        positions = system.positions.copy()
        positions[10, 2] += dz
        snapshots.append({"index": k, "step": 100 + 10 * k, "positions": positions.tolist(),
                          "deformation_energy": 0.1 * k, "site_energy": [0.0] * 72})
    record = {"traj_id": trajectory.traj_id, "cluster": "Pt1-top", "temperature": trajectory.temperature,
              "seed": trajectory.seed, "n_pt": 1, "snapshots": snapshots, "md_seconds": 10.0, "seconds": 12.0,
              "settings": script.SETTINGS}
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "trajectories.jsonl").write_text(json.dumps(record) + "\n" + '{"traj_id": "torn')
    done = script.read_jsonl(cache / "trajectories.jsonl", "traj_id")
    assert list(done) == [trajectory.traj_id]
    splits = pg.trajectory_splits(t.traj_id for t in pg.trajectory_plan())
    data = tmp_path / "pt_graphene.extxyz.gz"
    assert script.write_dataset({"Pt1-top": config}, [(done[trajectory.traj_id], 2)], splits, data) == 2
    read = ase.io.read(io.StringIO(gzip.decompress(data.read_bytes()).decode()), index=":", format="extxyz")
    assert len(read) == 2 and all(len(a) == 72 and set(a.numbers) == {6} for a in read)
    assert list(read[0].pbc) == [True, True, False]
    assert read[1].info["deformation_energy_ev"] == pytest.approx(0.1)
    assert read[1].info["split"] == splits[trajectory.traj_id] and read[1].info["n_pt"] == 1
    np.testing.assert_allclose(np.ravel(read[1].info["pt_positions"]), system.positions[72])
    from scann_core.data.labelled import read_labelled

    labelled = read_labelled(data)  # what training reads: one id per snapshot, the trajectory's split
    assert labelled.ids == [f"{trajectory.traj_id}-0", f"{trajectory.traj_id}-1"]
    assert labelled.parts == [splits[trajectory.traj_id]] * 2
    assert int(np.argmax(read[1].arrays["curvature"])) == 10 and read[1].arrays["curvature"][10] > 0
    np.testing.assert_allclose(read[0].arrays["bond_elongation"], 0.0, atol=1e-9)
    sheet = tmp_path / "DATASHEET_PT_GRAPHENE.md"
    plan = [(trajectory, 2)]
    script.write_datasheet(plan, {"Pt1-top": config}, [(done[trajectory.traj_id], 2)], splits, sheet, data)
    text = sheet.read_text()
    assert "not DFT" in text and "pbc = T T F" in text and f"`{trajectory.traj_id}`" in text


def test_generator_resumes_from_its_cache(tmp_path, monkeypatch):
    """Every relaxation and trajectory is cached as it finishes; a rerun does only what is missing."""
    script = load_script("generate_pt_graphene")
    calls = []

    def relax(cluster):
        calls.append(cluster)
        return {"cluster": cluster, "converged": True, "static_deformation_energy": 0.0, "seconds": 1.0,
                "settings": script.SETTINGS}

    def trajectory(config, traj, n):
        calls.append(traj.traj_id)
        assert config["cluster"] == traj.cluster
        return {"traj_id": traj.traj_id, "snapshots": [{}] * n, "seconds": 1.0, "settings": script.SETTINGS}

    monkeypatch.setattr(script, "relax_config", relax)
    monkeypatch.setattr(script, "run_trajectory", trajectory)
    plan = [(t, 2) for t in pg.trajectory_plan(["Pt1-top", "Pt2-flat"])]
    first, rest = plan[:1], plan[1:]
    script.run(first, tmp_path, workers=1)
    assert calls == ["Pt1-top", first[0][0].traj_id]
    calls.clear()
    script.run(plan, tmp_path, workers=1)  # Pt1-top is relaxed and its first trajectory done
    assert calls == ["Pt2-flat"] + [t.traj_id for t, _ in rest]
    calls.clear()
    script.run(plan, tmp_path, workers=1)
    assert calls == []
    assert len(script.read_jsonl(tmp_path / "trajectories.jsonl", "traj_id")) == len(plan)


def test_graphene_sheet_recognition(smfe12):
    from dataclasses import replace

    sheet = pg.carbon_sheet(pg.graphene_sheet())
    assert pg.is_graphene_sheet(sheet)
    assert pg.is_graphene_sheet(replace(sheet, pbc=(True, True, True)))  # 22 A of vacuum between images
    rippled = sheet.positions.copy()
    rippled[:, 2] += 0.3 * np.sin(2 * np.pi * rippled[:, 0] / sheet.cell[0, 0])
    assert pg.is_graphene_sheet(sheet.with_positions(rippled))
    graphite_like = replace(sheet, cell=sheet.cell * [[1], [1], [3.35 / sheet.cell[2, 2]]], pbc=(True, True, True))
    assert not pg.is_graphene_sheet(graphite_like)  # stacked sheets 3.35 A apart
    assert not pg.is_graphene_sheet(pg.adsorbed_system("Pt1-top"))  # Pt on the sheet
    assert not pg.is_graphene_sheet(replace(sheet, pbc=(False, False, False)))
    assert not pg.is_graphene_sheet(smfe12)
    diamond = Structure([6, 6], [[0, 0, 0], [0.89, 0.89, 0.89]], [[0, 1.78, 1.78], [1.78, 0, 1.78], [1.78, 1.78, 0]],
                        (True, True, True), "diamond")
    assert not pg.is_graphene_sheet(diamond)


def test_shipped_dataset_is_split_by_trajectory_and_labelled_sheets():
    from scann_core.data.labelled import read_labelled
    from scann_core.deformation_explorer import DATASET_PATH

    data = read_labelled(DATASET_PATH)
    assert len(data.ids) == len(pg.trajectory_plan()) * pg.SNAPSHOTS
    splits = defaultdict(set)
    for info, part in zip(data.info, data.parts):
        splits[info["traj_id"]].add(part)
    assert all(len(parts) == 1 for parts in splits.values())  # no trajectory in two splits
    assert {next(iter(p)) for p in splits.values()} == {"train", "val", "test"}
    assert all(s.n_atoms == 72 and set(s.numbers.tolist()) == {6} and s.pbc == pg.MODEL_PBC for s in data.structures)
    labels = data.values("deformation_energy_ev")
    assert (labels > 0).all()  # a deformed sheet lies above the flat one
    site_sums = [np.sum(arrays["site_energy"]) for arrays in data.arrays]
    np.testing.assert_allclose(site_sums, labels, atol=2e-3)  # site shares add up to the label
