"""Every training config in configs/ is complete, valid and names a dataset the project has or makes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scann_core.config import ModelConfig, TrainConfig, config_from_dict
from scann_core.data.sources import DATASETS, resolve_dataset

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.json"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_is_valid(path):
    raw = json.loads(path.read_text())
    train = config_from_dict(TrainConfig, raw["train"])
    model = config_from_dict(ModelConfig, raw["model"])
    assert train.name == path.stem  # the run folder and the shipped name follow the file name
    assert train.dataset == "qm9" or resolve_dataset(train.dataset).exists() or Path(train.dataset).name in DATASETS
    assert train.epochs > 0 and len(model.elements) > 0
    if train.dataset != "qm9":
        assert train.unit, "a labelled dataset's unit goes on the card"


def test_committed_qm9_split_is_the_documented_recipe():
    """The fixed split every QM9 model uses is the seed-0 permutation, 110,000 / 10,000 / 10,831."""
    import numpy as np

    from scann_core.data.qm9 import make_qm9_split, qm9_split

    committed, recipe = qm9_split(), make_qm9_split()
    assert [len(committed[k]) for k in ("train", "val", "test")] == [110_000, 10_000, 10_831]
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(committed[part], recipe[part])
