"""Model cards: evaluate a trained run on its dataset's fixed test split and ship it in the package."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ._version import __version__
from .checkpoint import load_checkpoint, save_checkpoint
from .data.sources import describe_dataset, resolve_dataset
from .predict import PRETRAINED_DIR
from .train import cpu_name, mae_by_heavy_atoms, predict_graphs

__all__ = ["PAPER_SCANN_PLUS_MAE", "PAPER_SCANN_MAE", "export_model", "CI_SUBSET"]

# Test MAE of the paper (Vu, Ha et al. 2023, Table 2) in model units (eV for orbital energies).
PAPER_SCANN_PLUS_MAE = {"homo": 0.032, "lumo": 0.031, "gap": 0.052, "alpha": 0.115, "cv": 0.041}
PAPER_SCANN_MAE = {"homo": 0.041, "lumo": 0.037, "gap": 0.061, "alpha": 0.141, "cv": 0.050}
CI_SUBSET = 200  # the first test structures, re-evaluated by the test suite
LEVEL_OF_THEORY = "B3LYP/6-31G(2df,p) (QM9 labels)"


def _parity_plot(true: np.ndarray, predicted: np.ndarray, title: str, unit: str, source: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.2, 4.2), dpi=110)
    axis.hexbin(true, predicted, gridsize=80, bins="log", mincnt=1, cmap="viridis")
    low, high = np.percentile(np.concatenate([true, predicted]), [0.1, 99.9])
    axis.plot([low, high], [low, high], "k--", lw=0.8)
    axis.set(xlim=(low, high), ylim=(low, high), xlabel=f"{source} ({unit})", ylabel=f"predicted ({unit})", title=title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _dataset_fields(dataset: str, target: str, mean_mae: float) -> dict:
    """Card fields that depend on the dataset: description, split, level of theory, paper numbers."""
    if dataset == "qm9":
        paper = PAPER_SCANN_PLUS_MAE[target]
        return {"kind": "molecule", "dataset": "QM9 (qm9pack 1.0.3), 130,831 molecules",
                "split": "random permutation, seed 0: 110,000 train / 10,000 val / 10,831 test "
                         "(scann_core/data/qm9_split.npz)",
                "level_of_theory": LEVEL_OF_THEORY, "paper_scann_plus_mae": paper,
                "paper_scann_mae": PAPER_SCANN_MAE[target], "floor_mae": min(2 * paper, 0.5 * mean_mae)}
    from .data.labelled import read_labelled

    periodic = read_labelled(resolve_dataset(dataset)).structures[0].is_periodic
    return {"kind": "crystal" if periodic else "molecule", **describe_dataset(dataset),
            "paper_scann_plus_mae": None, "paper_scann_mae": None, "floor_mae": 0.5 * mean_mae}


def export_model(source: Path, name: str, *, destination: Path = PRETRAINED_DIR) -> dict:
    """Evaluate a checkpoint (``source``, or ``source/best.pt`` for a run folder) on the test split
    of its dataset and write ``name.pt``, ``name.json`` and ``name_parity.png`` to ``destination``.
    Returns the card. The card keeps the checkpoint's ``cpu`` (the machine that trained it; older checkpoints
    lack it, and get the exporting machine's).

    A model is *preliminary* unless its test MAE is at most half that of predicting the training
    mean and, where the paper reports one, at most twice the paper's SCANN+ MAE."""
    from .data.sources import dataset_splits

    model, target, card = load_checkpoint(source if source.is_file() else source / "best.pt")
    dataset = card["train_config"]["dataset"]
    data = dataset_splits(dataset, target.name, model.config, unit=target.unit)
    predicted = predict_graphs(model, data.test, target)
    true = data.test.targets
    test_mae = float(np.mean(np.abs(predicted - true)))
    mean_mae = float(np.mean(np.abs(true - data.train.targets.mean())))
    fields = _dataset_fields(dataset, target.name, mean_mae)
    card = {
        **card, "name": name, **fields, "elements": list(model.config.elements),
        "max_train_atoms": int(data.train.n_atoms().max()), "test_mae": test_mae,
        "mean_predictor_test_mae": mean_mae, "preliminary": bool(test_mae > fields["floor_mae"]),
        "test_mae_by_heavy_atoms": {str(k): v for k, v in mae_by_heavy_atoms(predicted - true, data.test).items()},
        "unit": target.unit, "n_test": len(data.test),
        "ci_subset_mae": float(np.mean(np.abs(predicted[:CI_SUBSET] - true[:CI_SUBSET]))),
        "ci_subset": f"first {CI_SUBSET} test structures", "cpu": card.get("cpu") or cpu_name(),
        "code_version": __version__,
    }
    destination.mkdir(parents=True, exist_ok=True)
    save_checkpoint(destination / f"{name}.pt", model, target, card)
    (destination / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    _parity_plot(true, predicted, f"{name}: test MAE {test_mae:.4g} {target.unit}", target.unit,
                 "QM9" if dataset == "qm9" else "label", destination / f"{name}_parity.png")
    return card
