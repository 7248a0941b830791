"""QM9 (130,831 molecules) read from the CSV files shipped in the ``qm9pack`` wheel.

``import qm9pack`` needs ``pkg_resources`` (gone from setuptools 81), so its data folder
is located with :func:`importlib.util.find_spec` without importing it.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._elements import NUMBERS
from ..structure import Structure

__all__ = ["QM9_TARGETS", "qm9_frame", "qm9_structure", "qm9_split", "SPLIT_FILE"]

HARTREE_TO_EV = 27.211386245988

# target name -> (CSV column, factor from CSV units to model units, model unit)
QM9_TARGETS: dict[str, tuple[str, float, str]] = {
    "homo": ("HOMO_au", HARTREE_TO_EV, "eV"),
    "lumo": ("LUMO_au", HARTREE_TO_EV, "eV"),
    "gap": ("HOMO_LUMO_gap_au", HARTREE_TO_EV, "eV"),
    "alpha": ("Polarizability_bohr3", 1.0, "bohr^3"),
    "cv": ("Heatcapacity_Cv_cal_mol_K", 1.0, "cal/(mol K)"),
}
SPLIT_FILE = Path(__file__).with_name("qm9_split.npz")
_NUMBER = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?")


def _data_dir() -> Path:
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("QM9 needs the qm9pack package: pip install qm9pack.")
    return Path(spec.origin).parent / "data"


@lru_cache(maxsize=1)
def qm9_frame():
    """All of QM9 as a pandas DataFrame sorted by ``Index`` (1-based QM9 id), with the targets
    in model units in columns named as :data:`QM9_TARGETS`."""
    import pandas as pd

    folder = _data_dir()
    parts = [pd.read_csv(folder / f"qm9_part{k}.csv") for k in (1, 2, 3)]
    frame = pd.concat(parts, ignore_index=True).sort_values("Index").reset_index(drop=True)
    for name, (column, factor, _) in QM9_TARGETS.items():
        frame[name] = frame[column].astype(float) * factor
    return frame


def qm9_structure(row) -> Structure:
    """One QM9 row -> :class:`Structure` (coordinates parsed from the CSV's list text)."""
    symbols = re.findall(r"[A-Z][a-z]?", row["Elements"])
    coords = np.array([float(x) for x in _NUMBER.findall(row["XYZ_Ang"])]).reshape(-1, 3)
    return Structure([NUMBERS[s] for s in symbols], coords, name=f"qm9_{int(row['Index'])}")


def make_qm9_split(n_total: int = 130_831, seed: int = 0) -> dict[str, np.ndarray]:
    """The paper's split: a random permutation with seed 0, 110,000 / 10,000 / rest."""
    order = np.random.default_rng(seed).permutation(n_total)
    return {"train": np.sort(order[:110_000]), "val": np.sort(order[110_000:120_000]),
            "test": np.sort(order[120_000:])}


def qm9_split() -> dict[str, np.ndarray]:
    """Row positions (0-based, in :func:`qm9_frame` order) of the committed fixed split."""
    with np.load(SPLIT_FILE) as data:
        return {k: data[k] for k in ("train", "val", "test")}


def qm9_graphs(config, *, workers: int = 2, progress=None):
    """All of QM9 featurised under ``config``'s neighbour rule, cached under :func:`scann_core.paths.cache_dir`.

    Returns a :class:`GraphSet` in :func:`qm9_frame` order with all-nan targets; use
    ``GraphSet.with_targets(qm9_frame()[target])`` to attach one property.
    """
    from ..dataset import GraphSet, featurization_key, featurize
    from ..paths import cache_dir

    path = cache_dir("features") / f"qm9_{featurization_key(config, 'qm9-v1')}.npz"
    if path.exists():
        return GraphSet.load(path)
    frame = qm9_frame()
    structures = [qm9_structure(row) for _, row in frame.iterrows()]
    graphs = featurize(structures, np.full(len(structures), np.nan), config, workers=workers, progress=progress)
    graphs.save(path)
    return graphs


def qm9_data_splits(config, target: str, *, limit: int | None = None, workers: int = 2, progress=None):
    """Train/val/test :class:`GraphSet` for one QM9 target on the fixed split.

    ``limit`` keeps the first ``limit`` molecules of each split (for smoke runs and CI)."""
    from ..train import DataSplits

    if target not in QM9_TARGETS:
        raise ValueError(f"unknown QM9 target {target!r}; choose from {', '.join(QM9_TARGETS)}.")
    parts = {name: idx[:limit] for name, idx in qm9_split().items()}
    values = qm9_frame()[target].to_numpy()
    if limit is None:
        graphs = qm9_graphs(config, workers=workers, progress=progress).with_targets(values)
        subsets = {name: graphs.subset(idx) for name, idx in parts.items()}
    else:  # a few molecules: featurise just those, no cache
        from ..dataset import featurize

        frame = qm9_frame()
        subsets = {name: featurize([qm9_structure(frame.iloc[int(k)]) for k in idx], values[idx], config)
                   for name, idx in parts.items()}
    return DataSplits(**subsets, unit=QM9_TARGETS[target][2])
