"""Every shipped model loads offline, reproduces its card on a fixed test subset, and is labelled honestly."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scann_core.predict import PRETRAINED_DIR, Predictor, available_models

MODELS = available_models()


def test_models_are_shipped():
    assert MODELS, "no model in scann_core/pretrained"


def _card(name: str) -> dict:
    return json.loads((PRETRAINED_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", MODELS)
def test_card_is_complete_and_honest(name):
    card = _card(name)
    for key in ("dataset", "split", "level_of_theory", "epochs", "train_hours", "cpu", "val_mae", "test_mae",
                "mean_predictor_test_mae", "paper_scann_plus_mae", "code_version", "preliminary"):
        assert key in card, key
    paper = card["paper_scann_plus_mae"]
    meets_floor = (paper is None or card["test_mae"] <= 2 * paper) and card["test_mae"] <= 0.5 * card[
        "mean_predictor_test_mae"]
    assert card["preliminary"] == (not meets_floor)
    assert (PRETRAINED_DIR / f"{name}_parity.png").exists()


def _glance_rows() -> dict[str, list[str]]:
    """docs/MODELS.md's "At a glance" table: model name -> its cells."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "MODELS.md").read_text()
    section = text.split("## At a glance", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| `")]
    return {cells[0].strip("`"): cells for cells in rows}


def test_models_md_at_a_glance_quotes_every_card():
    rows = _glance_rows()
    assert sorted(rows) == sorted(MODELS)
    for name, cells in rows.items():
        card = _card(name)
        scale = 1000 if card["unit"].startswith("eV") else 1  # energies are quoted in meV
        epoch, mae, mean = cells[2], cells[3], cells[5]
        assert int(epoch.split()[0]) == card["epochs"], name
        for shown, key in ((mae, "test_mae"), (mean, "mean_predictor_test_mae")):
            number = re.match(r"[\d.]+", shown).group()
            decimals = len(number.split(".")[1]) if "." in number else 0
            assert abs(float(number) - scale * card[key]) <= 0.5 * 10 ** -decimals, (name, key)
        assert (cells[6] == "preliminary") == card["preliminary"], name


@pytest.mark.parametrize("name", MODELS)
def test_model_reproduces_its_card_on_the_ci_subset(name):
    from scann_core.cards import CI_SUBSET
    from scann_core.data.sources import dataset_splits
    from scann_core.train import evaluate_mae

    predictor = Predictor.load(name, device="cpu")
    test = dataset_splits(predictor.dataset, predictor.target.name, predictor.model.config,
                          unit=predictor.target.unit, limit=CI_SUBSET).test
    mae = evaluate_mae(predictor.model, test, predictor.target)
    assert mae == pytest.approx(predictor.card["ci_subset_mae"], rel=1e-4)


def _gallery_molecule(card: dict) -> str:
    """The gallery key of the kind of molecule a model was trained on: C70 for fullerenes, else thymine."""
    return "C70" if card.get("structure_type") == "fullerene" else "thymine"


def _example(card: dict):
    """A structure of the kind the model was trained on."""
    from scann_core.data.pt_graphene import carbon_sheet, graphene_sheet
    from scann_core.gallery import load_gallery_structure
    from scann_core.smfe12_explorer import host_cell

    if card["kind"] == "molecule":
        return load_gallery_structure(_gallery_molecule(card))
    return carbon_sheet(graphene_sheet()) if card["elements"] == [6] else host_cell()


@pytest.mark.parametrize("name", MODELS)
def test_prediction_on_an_example(name):
    predictor = Predictor.load(name, device="cpu")
    structure = _example(predictor.card)
    prediction = predictor.predict(structure)
    assert np.isfinite(prediction.value) and prediction.unit == predictor.card["unit"]
    assert prediction.ga.shape == (structure.n_atoms,) and prediction.ga.sum() == pytest.approx(1.0, abs=1e-6)
    assert prediction.warnings == []


@pytest.mark.parametrize("name", [name for name in MODELS if name.startswith("qm9_")])
def test_qm9_cards_give_the_test_error_by_molecule_size(name):
    """The by-size table covers the whole test set and averages to the test MAE."""
    card = _card(name)
    table = {int(k): v for k, v in card["test_mae_by_heavy_atoms"].items()}
    assert sum(g["n"] for g in table.values()) == card["n_test"] == 10_831 and max(table) == 9
    assert sum(g["n"] * g["mae"] for g in table.values()) / card["n_test"] == pytest.approx(card["test_mae"])


def test_a_small_molecule_gets_the_test_error_at_its_size():
    """Acetaldehyde has 3 heavy atoms; the LUMO model's test MAE on the two test molecules that small
    is 3.5 times its overall one, and both predictions were too low."""
    from scann_core.io import structure_from_smiles

    predictor = Predictor.load("qm9_lumo", device="cpu")
    [note] = predictor.predict(structure_from_smiles("CC=O", relax=False)).warnings
    assert note.startswith("On the 2 test structures with 3 heavy atoms") and "3.5 times" in note
    assert note.endswith("on average its predictions there are 0.12 eV too low.")


def test_cli_prediction_says_when_the_model_is_preliminary(tmp_path):
    """``scann predict`` names the model and, for one above the shipping floor, says it is preliminary."""
    from scann_core.gallery import gallery_entry

    labels = {_card(name)["preliminary"]: name for name in MODELS if _card(name)["kind"] == "molecule"}
    for preliminary, name in labels.items():
        molecule = gallery_entry(_gallery_molecule(_card(name))).path
        line = subprocess.run([sys.executable, "-m", "scann_core.cli", "predict", str(molecule), "--model", name,
                               "--out", str(tmp_path), "--device", "cpu"], check=True, capture_output=True,
                              text=True).stdout.splitlines()[0]
        assert f"(model {name}{', preliminary' if preliminary else ''}, cpu)" in line, line
    assert set(labels) == {True, False}, "no shipped molecule model on one side of the floor"


def test_a_crystal_gets_a_message_not_a_number():
    from scann_core.structure import Structure, StructureError

    diamond = Structure([6, 6], [[0, 0, 0], [0.89, 0.89, 0.89]], [[0, 1.78, 1.78], [1.78, 0, 1.78], [1.78, 1.78, 0]],
                        (True, True, True), "diamond")
    with pytest.raises(StructureError, match="trained on molecules only"):
        Predictor.load("qm9_homo", device="cpu").predict(diamond)


def test_gap_baseline_script_subtracts_the_orbital_models(tmp_path):
    """scripts/gap_from_orbital_models.py: LUMO minus HOMO predicts QM9's gap far better than the mean."""
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "gap.json"
    result = subprocess.run([sys.executable, str(root / "scripts" / "gap_from_orbital_models.py"), "--limit", "200",
                             "--device", "cpu", "--out", str(out)], cwd=root, check=True, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(root)})
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert json.loads(out.read_text()) == report
    assert report["n"] == 200 and report["unit"] == "eV"
    # Each orbital model is within ~0.04 eV; a wrong sign or a unit slip would be off by volts.
    assert report["mae_lumo_minus_homo"] < 0.1 < report["mae_training_mean"]
