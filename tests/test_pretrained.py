"""Every shipped model loads offline, reproduces its card on a fixed test subset, and is labelled honestly."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scann_core.predict import PRETRAINED_DIR, Predictor, available_models

MODELS = available_models()


def test_models_are_shipped():
    assert MODELS, "no model in scann_core/pretrained"


@pytest.mark.parametrize("name", MODELS)
def test_card_is_complete_and_honest(name):
    card = json.loads((PRETRAINED_DIR / f"{name}.json").read_text())
    for key in ("dataset", "split", "level_of_theory", "epochs", "train_hours", "cpu", "val_mae", "test_mae",
                "mean_predictor_test_mae", "paper_scann_plus_mae", "code_version", "preliminary"):
        assert key in card, key
    meets_floor = card["test_mae"] <= 2 * card["paper_scann_plus_mae"] and card["test_mae"] <= 0.5 * card[
        "mean_predictor_test_mae"]
    assert card["preliminary"] == (not meets_floor)
    assert (PRETRAINED_DIR / f"{name}_parity.png").exists()


@pytest.mark.parametrize("name", MODELS)
def test_model_reproduces_its_card_on_the_ci_subset(name):
    from scann_core.data.qm9 import qm9_frame, qm9_split, qm9_structure
    from scann_core.dataset import featurize
    from scann_core.train import evaluate_mae

    predictor = Predictor.load(name, device="cpu")
    frame = qm9_frame()
    rows = qm9_split()["test"][:200]
    graphs = featurize([qm9_structure(frame.iloc[int(k)]) for k in rows],
                       frame[predictor.target.name].to_numpy()[rows], predictor.model.config)
    mae = evaluate_mae(predictor.model, graphs, predictor.target)
    assert mae == pytest.approx(predictor.card["ci_subset_mae"], rel=1e-4)


@pytest.mark.parametrize("name", MODELS)
def test_prediction_on_a_gallery_molecule(name):
    from scann_core.gallery import load_gallery_structure

    predictor = Predictor.load(name, device="cpu")
    prediction = predictor.predict(load_gallery_structure("thymine"))
    assert np.isfinite(prediction.value) and prediction.unit == predictor.card["unit"]
    assert prediction.ga.shape == (15,) and prediction.ga.sum() == pytest.approx(1.0, abs=1e-6)
    assert prediction.warnings == []


def test_a_crystal_gets_a_message_not_a_number():
    from scann_core.structure import Structure, StructureError

    diamond = Structure([6, 6], [[0, 0, 0], [0.89, 0.89, 0.89]], [[0, 1.78, 1.78], [1.78, 0, 1.78], [1.78, 1.78, 0]],
                        (True, True, True), "diamond")
    with pytest.raises(StructureError, match="trained on molecules only"):
        Predictor.load(MODELS[0], device="cpu").predict(diamond)
