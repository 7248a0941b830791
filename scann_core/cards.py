"""Model cards: evaluate a trained QM9 run on the fixed test split and ship it in the package."""
from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

from ._version import __version__
from .checkpoint import load_checkpoint, save_checkpoint
from .predict import PRETRAINED_DIR
from .train import predict_graphs

__all__ = ["PAPER_SCANN_PLUS_MAE", "PAPER_SCANN_MAE", "export_qm9_model", "CI_SUBSET", "cpu_name"]

# Test MAE of the paper (Vu, Ha et al. 2023, Table 2) in model units (eV for orbital energies).
PAPER_SCANN_PLUS_MAE = {"homo": 0.032, "lumo": 0.031, "gap": 0.052, "alpha": 0.115, "cv": 0.041}
PAPER_SCANN_MAE = {"homo": 0.041, "lumo": 0.037, "gap": 0.061, "alpha": 0.141, "cv": 0.050}
CI_SUBSET = 200  # the first test molecules, re-evaluated by the test suite
LEVEL_OF_THEORY = "B3LYP/6-31G(2df,p) (QM9 labels)"


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (or what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _parity_plot(true: np.ndarray, predicted: np.ndarray, title: str, unit: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.2, 4.2), dpi=110)
    axis.hexbin(true, predicted, gridsize=80, bins="log", mincnt=1, cmap="viridis")
    low, high = np.percentile(np.concatenate([true, predicted]), [0.1, 99.9])
    axis.plot([low, high], [low, high], "k--", lw=0.8)
    axis.set(xlim=(low, high), ylim=(low, high), xlabel=f"QM9 ({unit})", ylabel=f"predicted ({unit})", title=title)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def export_qm9_model(run_dir: Path, name: str, *, destination: Path = PRETRAINED_DIR) -> dict:
    """Evaluate ``run_dir/best.pt`` on the QM9 test split and write ``name.pt``, ``name.json`` and
    ``name_parity.png`` to ``destination``. Returns the card."""
    from .data.qm9 import qm9_data_splits, qm9_frame, qm9_split

    model, target, card = load_checkpoint(run_dir / "best.pt")
    data = qm9_data_splits(model.config, target.name)
    predicted = predict_graphs(model, data.test, target)
    true = data.test.targets
    test_mae = float(np.mean(np.abs(predicted - true)))
    mean_mae = float(np.mean(np.abs(true - data.train.targets.mean())))
    paper = PAPER_SCANN_PLUS_MAE[target.name]
    preliminary = not (test_mae <= 2 * paper and test_mae <= 0.5 * mean_mae)
    frame = qm9_frame()
    card = {
        **card, "name": name, "kind": "molecule", "dataset": "QM9 (qm9pack 1.0.3), 130,831 molecules",
        "split": "random permutation, seed 0: 110,000 train / 10,000 val / 10,831 test "
                 "(scann_core/data/qm9_split.npz)",
        "level_of_theory": LEVEL_OF_THEORY, "elements": list(model.config.elements),
        "max_train_atoms": int(frame["N_atoms"].to_numpy()[qm9_split()["train"]].max()),
        "test_mae": test_mae, "mean_predictor_test_mae": mean_mae, "paper_scann_plus_mae": paper,
        "paper_scann_mae": PAPER_SCANN_MAE[target.name], "floor_mae": min(2 * paper, 0.5 * mean_mae),
        "preliminary": preliminary, "unit": target.unit,
        "ci_subset_mae": float(np.mean(np.abs(predicted[:CI_SUBSET] - true[:CI_SUBSET]))),
        "ci_subset": f"first {CI_SUBSET} test molecules", "cpu": cpu_name(), "code_version": __version__,
    }
    destination.mkdir(parents=True, exist_ok=True)
    save_checkpoint(destination / f"{name}.pt", model, target, card)
    (destination / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    _parity_plot(true, predicted, f"{name}: test MAE {test_mae:.4g} {target.unit}", target.unit,
                 destination / f"{name}_parity.png")
    return card
