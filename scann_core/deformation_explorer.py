"""What the Pt-on-graphene page works with: the snapshot table, one snapshot's carbon sheet with
its deformation references, and how well GA ranks the carbons like each reference.

The references are stored per atom in the dataset (``scripts/generate_pt_graphene.py``, computed
by :mod:`scann_core.references.deformation`): C-C bond elongation against the flat sheet, local
curvature (> 0 convex towards Pt) and the CHGNet site-energy share of the deformation energy.
The paper's claim to test: high GA marks elongated bonds and convex sites.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import ASSETS
from .ranks import spearman, top_k_overlap
from .structure import Structure

__all__ = ["DATASET_PATH", "SUMMARY_PATH", "REFERENCES", "TOP_K", "Snapshot", "snapshot_frame", "load_snapshot",
           "reference_agreement", "dataset_agreement", "agreement_summary"]

DATASET_PATH = ASSETS / "data" / "pt_graphene.extxyz.gz"
SUMMARY_PATH = ASSETS / "data" / "pt_graphene_agreement.csv"  # scripts/pt_graphene_check.py
# per-atom column -> (label, unit)
REFERENCES = {"bond_elongation": ("C-C bond elongation", "relative"),
              "curvature": ("local curvature (+ convex towards Pt)", "1/Å"),
              "site_energy": ("site-energy share", "eV")}
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
    return Snapshot(data.structures[k], {key: np.asarray(data.arrays[k][key], float) for key in REFERENCES},
                    np.asarray(info.get("pt_positions", []), float).reshape(-1, 3),
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
        references = {key: data.arrays[k][key] for key in REFERENCES}
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
