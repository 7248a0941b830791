"""What the Pt-on-graphene page works with: the snapshot table, one snapshot's carbon sheet with
its deformation references, and how well GA ranks the carbons like each reference.

The references are stored per atom in the dataset (``scripts/generate_pt_graphene.py``, computed
by :mod:`scann_core.references.deformation`): C-C bond elongation against the flat sheet, local
curvature (> 0 convex towards Pt) and the CHGNet site-energy share of the deformation energy.
Two more are derived here: the curvature's magnitude (bent either way) and the closeness to the
nearest removed Pt atom, which tells whether GA finds where the Pt was.
The paper's claim to test: high GA marks elongated bonds and convex sites.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import ASSETS
from .ranks import spearman, top_k_overlap
from .structure import Structure

__all__ = ["DATASET_PATH", "SUMMARY_PATH", "REFERENCES", "TOP_K", "Snapshot", "pt_closeness", "all_references",
           "snapshot_frame", "load_snapshot", "reference_agreement", "dataset_agreement", "agreement_summary"]

DATASET_PATH = ASSETS / "data" / "pt_graphene.extxyz.gz"
SUMMARY_PATH = ASSETS / "data" / "pt_graphene_agreement.csv"  # scripts/pt_graphene_check.py
# per-atom reference -> (label, unit); the first three are stored in the dataset
STORED = ("bond_elongation", "curvature", "site_energy")
REFERENCES = {"bond_elongation": ("C-C bond elongation", "relative"),
              "curvature": ("local curvature (+ convex towards Pt)", "1/Å"),
              "site_energy": ("site-energy share", "eV"),
              "bending": ("curvature magnitude (bent either way)", "1/Å"),
              "pt_closeness": ("closeness to Pt (minus distance to the nearest Pt)", "Å")}
TOP_K = 6  # of 72 carbons: the six sites a reference marks most


@dataclass
class Snapshot:
    """One MD snapshot: the model's input and what the references say about it.

    Attributes:
        sheet: the 72-carbon sheet without Pt, ``pbc = (True, True, False)``.
        references: column -> (72,) per-carbon values, see :data:`REFERENCES`.
        pt_positions: (n_pt, 3) positions of the Pt atoms that were removed (A).
        label: CHGNet deformation energy of the sheet (eV per cell).
        info: the snapshot's header (cluster, temperature, split, ...).
    """

    sheet: Structure
    references: dict[str, np.ndarray]
    pt_positions: np.ndarray
    label: float
    info: dict


def pt_closeness(sheet: Structure, pt_positions: np.ndarray) -> np.ndarray:
    """Minus each carbon's distance (A) to the nearest Pt atom, nearest periodic image in the
    sheet's plane: (n_atoms,), largest under the Pt. ``pt_positions``: (n_pt, 3)."""
    delta = sheet.positions[:, None, :] - np.asarray(pt_positions, float).reshape(1, -1, 3)
    fractional = delta @ np.linalg.inv(sheet.cell)
    periodic = np.asarray(sheet.pbc, bool)
    fractional[..., periodic] -= np.round(fractional[..., periodic])
    return -np.linalg.norm(fractional @ sheet.cell, axis=-1).min(axis=1)


def all_references(stored: dict, sheet: Structure, pt_positions: np.ndarray) -> dict[str, np.ndarray]:
    """Every reference of :data:`REFERENCES`, (n_atoms,) each, from the stored per-atom columns."""
    references = {key: np.asarray(stored[key], float) for key in STORED}
    references["bending"] = np.abs(references["curvature"])
    references["pt_closeness"] = pt_closeness(sheet, pt_positions)
    return references


def _pt_positions(info: dict) -> np.ndarray:
    return np.asarray(info.get("pt_positions", []), float).reshape(-1, 3)


def snapshot_frame(path: Path = DATASET_PATH):
    """One row per snapshot: config_id, cluster, n_pt, temperature, seed, snapshot, time_fs,
    label (meV per cell), split."""
    import pandas as pd

    from .data.labelled import read_labelled

    data = read_labelled(path)
    columns = ("cluster", "n_pt", "temperature", "seed", "snapshot", "time_fs")
    return pd.DataFrame({"config_id": data.ids, **{c: [i.get(c) for i in data.info] for c in columns},
                         "label": 1000 * data.values("deformation_energy_ev"), "split": data.parts})


def load_snapshot(config_id: str, path: Path = DATASET_PATH) -> Snapshot:
    """The snapshot ``config_id`` of the dataset.

    Raises:
        KeyError: when the dataset has no such snapshot.
    """
    from .data.labelled import read_labelled

    data = read_labelled(path)
    if config_id not in data.ids:
        raise KeyError(f"the Pt/graphene dataset has no snapshot {config_id!r}.")
    k = data.ids.index(config_id)
    info = data.info[k]
    sheet, pt_positions = data.structures[k], _pt_positions(info)
    return Snapshot(sheet, all_references(data.arrays[k], sheet, pt_positions), pt_positions,
                    float(info["deformation_energy_ev"]), info)


def reference_agreement(ga: np.ndarray, references: dict[str, np.ndarray], k: int = TOP_K) -> list[dict]:
    """Per reference: Spearman between GA and the reference, and the overlap of their top-``k`` atoms
    (a random ranking scores ``k / n`` on average)."""
    return [{"reference": key, "spearman": spearman(ga, values), f"top{k}_overlap": top_k_overlap(ga, values, k)}
            for key, values in references.items()]


def dataset_agreement(predictor, path: Path = DATASET_PATH, *, split: str = "test", seed: int = 0):
    """:func:`reference_agreement` of a model's GA for every snapshot of one split, one row per
    snapshot and reference, with the cluster, temperature, label and prediction (eV), and the same
    metrics for one random atom score per snapshot (columns ``random_spearman``, ``random_top6_overlap``)."""
    import pandas as pd

    from .data.labelled import labelled_graphs, read_labelled
    from .train import predict_graphs

    data = read_labelled(path)
    chosen = data.splits()[split]
    graphs = labelled_graphs(predictor.model.config, path).subset(chosen)
    predicted, ga = predict_graphs(predictor.model, graphs, predictor.target, device=predictor.device,
                                   return_ga=True)
    rng = np.random.default_rng(seed)
    rows = []
    for position, k in enumerate(chosen):
        info = data.info[k]
        references = all_references(data.arrays[k], data.structures[k], _pt_positions(info))
        random = reference_agreement(rng.random(len(ga[position])), references)
        for row, baseline in zip(reference_agreement(ga[position], references), random):
            rows.append({"config_id": data.ids[k], "cluster": info.get("cluster"),
                         "temperature": info.get("temperature"), "label": float(info["deformation_energy_ev"]),
                         "predicted": float(predicted[position]), **row,
                         **{f"random_{key}": value for key, value in baseline.items() if key != "reference"}})
    return pd.DataFrame(rows)


def agreement_summary(rows):
    """Per reference: the mean and standard error over snapshots of each metric of
    :func:`dataset_agreement`, random baselines included."""
    metrics = [c for c in rows.columns if c.endswith(("spearman", "overlap"))]
    grouped = rows.groupby("reference", sort=False)[metrics]
    out = grouped.mean().join(grouped.sem().add_suffix("_sem")).reset_index()
    out.insert(1, "snapshots", grouped.size().to_numpy())
    return out
