"""One entry point to every training dataset: QM9 by name, or a labelled extended XYZ file.

A model's card records ``train_config.dataset`` and ``.target``, so training, evaluation and
export all go through :func:`dataset_splits` and always see the same split.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["DATASETS", "dataset_splits", "resolve_dataset", "describe_dataset"]

ROOT = Path(__file__).resolve().parents[2]

# File name of a generated dataset -> what a model card says about it.
DATASETS: dict[str, dict[str, str]] = {
    "smfe12.extxyz.gz": {
        "dataset": "SmFe12 and SmFe(12-a)X(a) substitutions (X = Mo, Co, Al, Ti, Cu, Zn, Ga), 26-atom "
                   "conventional cells relaxed with CHGNet (docs/DATASHEET_SMFE12.md)",
        "level_of_theory": "CHGNet 0.3.0, an ML surrogate of PBE(+U) DFT, not DFT",
        "structure_type": "ThMn12",
    },
}
SPLIT_TEXT = "by structure: SHA-1 of config_id mod 10 -> 0-7 train, 8 validation, 9 test"


def resolve_dataset(dataset: str) -> Path:
    """A dataset file named in a config: as given, else relative to the repository root."""
    path = Path(dataset)
    if path.exists() or path.is_absolute():
        return path
    return ROOT / path


def describe_dataset(dataset: str) -> dict[str, str]:
    """Card fields ``dataset``, ``split``, ``level_of_theory`` (and ``structure_type``) of a non-QM9 dataset."""
    known = DATASETS.get(Path(dataset).name, {"dataset": dataset, "level_of_theory": "unknown"})
    return {**known, "split": SPLIT_TEXT}


def dataset_splits(dataset: str, target: str, config, *, unit: str | None = None, limit: int | None = None,
                   workers: int = 2, progress=None):
    """Train/val/test :class:`~scann_core.train.DataSplits` of ``target`` in ``dataset`` ('qm9' or a file)."""
    if dataset == "qm9":
        from .qm9 import qm9_data_splits

        return qm9_data_splits(config, target, limit=limit, workers=workers, progress=progress)
    from .labelled import labelled_data_splits

    return labelled_data_splits(config, resolve_dataset(dataset), target, unit=unit or "", limit=limit,
                                workers=workers, progress=progress)
