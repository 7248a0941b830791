"""The Pt/graphene page's library: snapshot table, one snapshot with its references, GA agreement."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scann_core import deformation_explorer as dx
from scann_core.data import pt_graphene as pg
from scann_core.references import deformation as dref


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Four bumped sheets (one raised carbon each) in the generator's format, two in test."""
    from scann_core.data.jobs import write_extxyz_gz
    from scann_core.io import structure_to_ase

    flat = pg.graphene_sheet()
    frames = []
    for k, (atom, split) in enumerate(((10, "train"), (20, "train"), (30, "test"), (40, "test"))):
        positions = flat.positions.copy()
        positions[atom, 2] += 0.3
        sheet = pg.carbon_sheet(flat.with_positions(positions))
        atoms = structure_to_ase(sheet)
        for key, values in dref.carbon_references(sheet, flat, site_energies=False).items():
            atoms.new_array(key, values)
        site_energy = np.zeros(sheet.n_atoms)
        site_energy[atom] = 0.05
        atoms.new_array("site_energy", site_energy)
        atoms.info.update({"config_id": f"Pt1-top-T300-s{k}-0", "cluster": "Pt1-top", "n_pt": 1,
                           "temperature": 300.0, "seed": k, "snapshot": 0, "time_fs": 100.0,
                           "deformation_energy_ev": 0.05, "split": split,
                           "pt_positions": positions[atom] + [0, 0, 2.0], "pt_side": "+z"})
        frames.append(atoms)
    path = tmp_path_factory.mktemp("pt") / "pt_graphene.extxyz.gz"
    write_extxyz_gz(frames, path)
    return path


def test_snapshot_table_and_one_snapshot(dataset):
    table = dx.snapshot_frame(dataset)
    assert len(table) == 4 and table["split"].tolist() == ["train", "train", "test", "test"]
    assert table["label"].tolist() == pytest.approx([50.0] * 4)  # meV per cell
    snap = dx.load_snapshot("Pt1-top-T300-s2-0", dataset)
    assert snap.sheet.n_atoms == 72 and snap.sheet.pbc == (True, True, False)
    assert set(snap.references) == set(dx.REFERENCES)
    assert int(np.argmax(snap.references["curvature"])) == 30  # the raised atom is the most convex
    np.testing.assert_allclose(snap.pt_positions, snap.sheet.positions[[30]] + [0, 0, 2.0])
    with pytest.raises(KeyError, match="no snapshot"):
        dx.load_snapshot("nope", dataset)


def test_reference_agreement_on_hand_built_scores(dataset):
    snap = dx.load_snapshot("Pt1-top-T300-s2-0", dataset)
    curvature = snap.references["curvature"]
    rows = {r["reference"]: r for r in dx.reference_agreement(curvature, snap.references)}
    assert rows["curvature"]["spearman"] == pytest.approx(1.0) and rows["curvature"]["top6_overlap"] == 1.0
    reversed_rows = {r["reference"]: r for r in dx.reference_agreement(-curvature, snap.references)}
    assert reversed_rows["curvature"]["spearman"] == pytest.approx(-1.0)


def test_dataset_agreement_of_a_model(dataset):
    from scann_core.checkpoint import TargetInfo
    from scann_core.config import ModelConfig
    from scann_core.model import ScannModel
    from scann_core.predict import Predictor

    torch.manual_seed(0)
    config = ModelConfig(elements=(6,), n_blocks=1, dim=16, n_heads=2, cutoff=6.0, ga_mode="size_consistent",
                         ga_normalize=False)
    predictor = Predictor(ScannModel(config).eval(), TargetInfo("deformation_energy_ev", "eV", 0.05, 0.02),
                          {"kind": "crystal"}, torch.device("cpu"))
    rows = dx.dataset_agreement(predictor, dataset)
    assert len(rows) == 2 * len(dx.REFERENCES) and set(rows["config_id"]) == {"Pt1-top-T300-s2-0",
                                                                            "Pt1-top-T300-s3-0"}
    assert rows["spearman"].between(-1, 1).all() and rows["random_spearman"].between(-1, 1).all()
    summary = dx.agreement_summary(rows).set_index("reference")
    assert summary.loc["curvature", "snapshots"] == 2
    assert {"spearman", "spearman_sem", "random_spearman", "top6_overlap", "random_top6_overlap"} <= set(summary)
