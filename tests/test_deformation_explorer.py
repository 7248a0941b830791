"""The Pt/graphene page's library: snapshot table, one snapshot with its references, GA agreement."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scann_core import deformation_explorer as dx

from conftest import load_script, tiny_sheet_model, write_pt_graphene_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_pt_graphene_dataset(tmp_path_factory.mktemp("pt") / "pt_graphene.extxyz.gz")


def test_snapshot_table_and_one_snapshot(dataset):
    table = dx.snapshot_frame(dataset)
    assert len(table) == 4 and table["split"].tolist() == ["train", "train", "test", "test"]
    assert table["label"].tolist() == pytest.approx([50.0] * 4)  # meV per cell
    snap = dx.load_snapshot("Pt1-top-T300-s2-0", dataset)
    assert snap.sheet.n_atoms == 72 and snap.sheet.pbc == (True, True, False)
    assert set(snap.references) == set(dx.REFERENCES)
    assert int(np.argmax(snap.references["curvature"])) == 30  # the raised atom is the most convex
    assert int(np.argmax(snap.references["bending"])) == 30
    np.testing.assert_allclose(snap.references["bending"], np.abs(snap.references["curvature"]))
    assert int(np.argmax(snap.references["pt_closeness"])) == 30
    assert snap.references["pt_closeness"][30] == pytest.approx(-2.0)
    np.testing.assert_allclose(snap.pt_positions, snap.sheet.positions[[30]] + [0, 0, 2.0])
    with pytest.raises(KeyError, match="no snapshot"):
        dx.load_snapshot("nope", dataset)


def test_pt_closeness_uses_the_nearest_periodic_image():
    from scann_core.data import pt_graphene as pg

    sheet = pg.carbon_sheet(pg.graphene_sheet())
    a, b = sheet.cell[0], sheet.cell[1]
    pt = sheet.positions[0] + a + b + [0, 0, 2.0]  # above atom 0, one cell away in both directions
    closeness = dx.pt_closeness(sheet, pt[None])
    assert int(np.argmax(closeness)) == 0 and closeness[0] == pytest.approx(-2.0)
    two = dx.pt_closeness(sheet, np.stack([pt, sheet.positions[40] + [0, 0, 2.5]]))
    assert two[0] == pytest.approx(-2.0) and two[40] == pytest.approx(-2.5)
    assert np.all(two >= closeness - 1e-12)  # a second Pt can only bring atoms closer


def test_reference_agreement_on_hand_built_scores(dataset):
    snap = dx.load_snapshot("Pt1-top-T300-s2-0", dataset)
    curvature = snap.references["curvature"]
    rows = {r["reference"]: r for r in dx.reference_agreement(curvature, snap.references)}
    assert rows["curvature"]["spearman"] == pytest.approx(1.0) and rows["curvature"]["top6_overlap"] == 1.0
    reversed_rows = {r["reference"]: r for r in dx.reference_agreement(-curvature, snap.references)}
    assert reversed_rows["curvature"]["spearman"] == pytest.approx(-1.0)


def test_dataset_agreement_of_a_model(dataset):
    from scann_core.predict import Predictor

    predictor = Predictor(*tiny_sheet_model(), {"kind": "crystal"}, torch.device("cpu"))
    rows = dx.dataset_agreement(predictor, dataset)
    assert len(rows) == 2 * len(dx.REFERENCES) and set(rows["config_id"]) == {"Pt1-top-T300-s2-0",
                                                                            "Pt1-top-T300-s3-0"}
    assert rows["spearman"].between(-1, 1).all() and rows["random_spearman"].between(-1, 1).all()
    summary = dx.agreement_summary(rows).set_index("reference")
    assert summary.loc["curvature", "snapshots"] == 2
    assert {"spearman", "spearman_sem", "random_spearman", "top6_overlap", "random_top6_overlap"} <= set(summary)


def test_check_script_end_to_end(dataset, tmp_path, monkeypatch):
    """scripts/pt_graphene_check.py on the hand-built sheets with a tiny untrained shipped model."""
    import pandas as pd

    import scann_core.predict as predict
    from scann_core.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "tiny.pt", *tiny_sheet_model(),
                    {"name": "tiny", "kind": "crystal", "test_mae": 0.01, "mean_predictor_test_mae": 0.02})
    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp_path)
    out, summary = tmp_path / "check.md", tmp_path / "summary.csv"
    assert load_script("pt_graphene_check").main(["--model", "tiny", "--dataset", str(dataset), "--out", str(out),
                                                  "--summary", str(summary)]) == 0
    table = pd.read_csv(summary)
    assert list(table["reference"]) == list(dx.REFERENCES) and (table["snapshots"] == 2).all()
    text = out.read_text()
    assert "2 test snapshots" in text and "test MAE 10.0 meV" in text and "per MD temperature" in text
