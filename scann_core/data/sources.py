"""One entry point to every training dataset: QM9 by name, or a labelled extended XYZ file.

A model's card records ``train_config.dataset`` and ``.target``, so training, evaluation and
export all go through :func:`dataset_splits` and always see the same split.

A file may carry upper bounds on header values after a ``?``, joined by ``&``:
``assets/data/fullerenes.extxyz.gz?temperature<=800`` uses only the frames displaced at 800 K or
less; the other frames belong to no split.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..paths import REPO_ROOT

__all__ = ["DATASETS", "dataset_splits", "split_structures", "held_out_structures", "resolve_dataset",
           "dataset_bounds", "describe_dataset"]


# File name of a generated dataset -> what a model card says about it.
DATASETS: dict[str, dict[str, str]] = {
    "smfe12.extxyz.gz": {
        "dataset": "SmFe12 and SmFe(12-a)X(a) substitutions (X = Mo, Co, Al, Ti, Cu, Zn, Ga), 26-atom "
                   "conventional cells relaxed with CHGNet (docs/DATASHEET_SMFE12.md)",
        "level_of_theory": "CHGNet 0.3.0, an ML surrogate of PBE(+U) DFT, not DFT",
        "structure_type": "ThMn12",
    },
    "fullerenes.extxyz.gz": {
        "dataset": "Fullerene cages C50-C84 from buckygen (IPR and fewest-adjacency non-IPR isomers), "
                   "GFN2-xTB relaxed, thermally displaced frames (docs/DATASHEET_FULLERENES.md)",
        "level_of_theory": "GFN2-xTB (tblite), a semi-empirical tight-binding method, not DFT",
        "structure_type": "fullerene",
    },
    "pt_graphene.extxyz.gz": {
        "dataset": "Carbon sheets deformed by Pt1-Pt4 clusters in CHGNet molecular dynamics, Pt removed "
                   "(docs/DATASHEET_PT_GRAPHENE.md)",
        "level_of_theory": "CHGNet 0.3.0 deformation energy of the sheet, an ML surrogate of PBE DFT, not DFT",
        "structure_type": "graphene sheet",
    },
}
SPLIT_TEXT = ("the file's split column where every frame has one (whole fullerene cages, whole trajectories), "
              "else by structure: SHA-1 of config_id mod 10 -> 0-7 train, 8 validation, 9 test")


def resolve_dataset(dataset: str) -> Path:
    """The file of a dataset named in a config: as given, else relative to the repository root."""
    path = Path(dataset.partition("?")[0])
    if path.exists() or path.is_absolute():
        return path
    return REPO_ROOT / path


def dataset_bounds(dataset: str) -> dict[str, float]:
    """Upper bounds on header values written after the file name (``?key<=value&...``)."""
    bounds = {}
    for term in filter(None, dataset.partition("?")[2].split("&")):
        match = re.fullmatch(r"\s*(\w+)\s*<=\s*([-+0-9.eE]+)\s*", term)
        if match is None:
            raise ValueError(f"dataset bound {term!r} is not of the form key<=number.")
        bounds[match[1]] = float(match[2])
    return bounds


def describe_dataset(dataset: str) -> dict[str, str]:
    """Card fields ``dataset``, ``split``, ``level_of_theory`` (and ``structure_type``) of a non-QM9 dataset."""
    known = DATASETS.get(resolve_dataset(dataset).name, {"dataset": dataset, "level_of_theory": "unknown"})
    bounds = dataset_bounds(dataset)
    if bounds:
        only = " and ".join(f"{key} <= {value:g}" for key, value in bounds.items())
        known = {**known, "dataset": f"{known['dataset']}; only the frames with {only}"}
    return {**known, "split": SPLIT_TEXT}


def dataset_splits(dataset: str, target: str, config, *, unit: str | None = None, limit: int | None = None,
                   workers: int = 2, progress=None):
    """Train/val/test :class:`~scann_core.train.DataSplits` of ``target`` in ``dataset`` ('qm9' or a file)."""
    if dataset == "qm9":
        from .qm9 import qm9_data_splits

        return qm9_data_splits(config, target, limit=limit, workers=workers, progress=progress)
    from .labelled import labelled_data_splits

    return labelled_data_splits(config, resolve_dataset(dataset), target, unit=unit or "", limit=limit,
                                bounds=dataset_bounds(dataset), workers=workers, progress=progress)


def _splits_and_reader(dataset: str):
    """Split positions of ``dataset`` and a function from a position to its :class:`Structure`."""
    if dataset == "qm9":
        from .qm9 import qm9_frame, qm9_split, qm9_structure

        frame = qm9_frame()
        return qm9_split(), lambda k: qm9_structure(frame.iloc[int(k)])
    from .labelled import read_labelled

    data = read_labelled(resolve_dataset(dataset))
    return data.splits(dataset_bounds(dataset)), lambda k: data.structures[int(k)]


def split_structures(dataset: str, split: str, limit: int | None = None) -> list:
    """The structures of one split ('train', 'val', 'test'), in the order training and evaluation
    see them (the first ``limit`` only)."""
    splits, structure = _splits_and_reader(dataset)
    return [structure(k) for k in splits[split][:limit]]


def held_out_structures(dataset: str, n: int, seed: int = 0) -> tuple[list, str]:
    """``n`` structures a model of ``dataset`` never trained on, and a sentence saying which.

    Drawn with ``seed`` from the test split; when the test split is smaller than ``n``, all of it
    plus structures drawn from the validation split. Returned in dataset order.
    """
    rng = np.random.default_rng(seed)
    splits, structure = _splits_and_reader(dataset)
    test, val = splits["test"], splits["val"]
    if n <= len(test):
        chosen = np.sort(rng.choice(test, size=n, replace=False))
        return [structure(k) for k in chosen], f"{n} of the {len(test)} test structures, drawn with seed {seed}"
    extra = rng.choice(val, size=min(n - len(test), len(val)), replace=False)
    chosen = np.sort(np.concatenate([test, extra]))
    return [structure(k) for k in chosen], (f"all {len(test)} test structures and {len(extra)} of the {len(val)} "
                                            f"validation structures (drawn with seed {seed})")
