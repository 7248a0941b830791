"""GA per crystallographic site and the substitution ratio GA(X) / min GA(Fe).

The SCANN paper compares a substituted site's GA with the least-attended Fe site of the same
cell. The minimum runs over the host (Fe) atoms only; the published notebook took it over all
atoms, substituent included, which is a bug this module does not repeat.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ._elements import NUMBERS

__all__ = ["HOST", "ga_ratio", "site_ga_table", "wyckoff_summary", "dataset_site_ratios", "group_separation"]

HOST = NUMBERS["Fe"]


def ga_ratio(ga: np.ndarray, numbers: np.ndarray, sites: Sequence[int], host: int = HOST) -> np.ndarray:
    """GA of each atom in ``sites`` divided by the smallest GA among the ``host`` atoms.

    Args:
        ga: (n_atoms,) global attention of one cell.
        numbers: (n_atoms,) atomic numbers.
        sites: atom indices (0-based) of the substituted sites.

    Returns:
        (len(sites),) ratios; 1 means as attended as the least-attended Fe atom.
    """
    ga, numbers = np.asarray(ga, dtype=np.float64), np.asarray(numbers)
    host_ga = ga[numbers == host]
    if host_ga.size == 0:
        raise ValueError("The cell has no Fe atom, so GA(X) / min GA(Fe) is undefined.")
    return ga[np.asarray(sites, dtype=int)] / host_ga.min()


def site_ga_table(symbols: Sequence[str], numbers: np.ndarray, ga: np.ndarray, wyckoff: Sequence[str]):
    """Per-atom table: atom (1-based), element, Wyckoff, N x GA and GA / min GA(Fe)."""
    import pandas as pd

    ga = np.asarray(ga, dtype=np.float64)
    return pd.DataFrame({"atom": np.arange(1, len(ga) + 1), "element": list(symbols), "Wyckoff": list(wyckoff),
                         "N × GA": ga * len(ga), "GA / min GA(Fe)": ga_ratio(ga, numbers, np.arange(len(ga)))})


def wyckoff_summary(table):
    """Mean, min and max N x GA per (Wyckoff site, element) of a :func:`site_ga_table`."""
    grouped = table.groupby(["Wyckoff", "element"], sort=True)["N × GA"]
    return grouped.agg(atoms="size", mean="mean", min="min", max="max").reset_index()


def _listed(value) -> list[str]:
    """A comma-separated extxyz header value as strings (ASE reads '2,3' as an integer array)."""
    if isinstance(value, str):
        return value.split(",")
    return [str(v) for v in np.atleast_1d(value)]


def dataset_site_ratios(predictor, path, *, workers: int = 2, progress=None):
    """One row per substituted site of every single-substituent structure of a SmFe12 dataset file.

    Columns: config_id, substituent, a (substituted Fe atoms in the 26-atom cell), site (Wyckoff
    label in the parent cell), atom (1-based), ratio (GA(X) / min GA(Fe), from ``predictor``),
    ef_label and ef_predicted (meV/atom), split.
    """
    import pandas as pd

    from .data.labelled import labelled_graphs, read_labelled
    from .train import predict_graphs

    data = read_labelled(path)
    graphs = labelled_graphs(predictor.model.config, path, workers=workers, progress=progress)
    predicted, ga = predict_graphs(predictor.model, graphs, predictor.target, device=predictor.device,
                                   return_ga=True)
    rows, parts = [], data.parts
    for k, (structure, info) in enumerate(zip(data.structures, data.info)):
        elements = _listed(info.get("elements", "none"))
        if info.get("kind") not in ("enumerated", "sampled") or len(set(elements)) != 1:
            continue
        atoms = [int(i) for i in _listed(info["atom_indices"])]
        for atom, site, ratio in zip(atoms, _listed(info["sites"]), ga_ratio(ga[k], structure.numbers, atoms)):
            rows.append({"config_id": structure.name, "substituent": elements[0], "a": int(info["a"]), "site": site,
                         "atom": atom + 1, "ratio": float(ratio),
                         "ef_label": 1000 * float(info["formation_energy_per_atom"]),
                         "ef_predicted": 1000 * float(predicted[k]), "split": parts[k]})
    return pd.DataFrame(rows)


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive score > a negative score), ties counting half (the Mann-Whitney AUC)."""
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    diff = positive[:, None] - negative[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def _lda_cv_auc(x: np.ndarray, is_a: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """AUC of Fisher's linear discriminant on the 2D points ``x``, each point scored by a
    discriminant fitted without its fold (so the score is out of sample)."""
    order = np.random.default_rng(seed).permutation(len(x))
    scores = np.empty(len(x))
    for fold in np.array_split(order, folds):
        train = np.setdiff1d(order, fold)
        a, b = x[train][is_a[train]], x[train][~is_a[train]]
        if len(a) < 2 or len(b) < 2:
            return float("nan")
        within = np.cov(a.T) * (len(a) - 1) + np.cov(b.T) * (len(b) - 1)
        w = np.linalg.solve(within + 1e-9 * np.eye(2), a.mean(0) - b.mean(0))
        scores[fold] = x[fold] @ w
    return _auc(scores[is_a], scores[~is_a])


def group_separation(rows, group_a: Sequence[str], group_b: Sequence[str], *, energy: str = "ef_label"):
    """How well two groups of substituents separate on (GA ratio, formation energy), per Wyckoff site.

    Returns a DataFrame with one row per site (and ``all``): counts, the mean ratio and energy of
    each group, the AUC of the ratio alone (group A above B), of the energy alone (A below B), and
    the cross-validated AUC of a linear discriminant on both (0.5 = no separation, 1 = complete).
    """
    import pandas as pd

    out = []
    for site in [*sorted(rows["site"].unique()), "all"]:
        part = rows if site == "all" else rows[rows["site"] == site]
        part = part[part["substituent"].isin([*group_a, *group_b])]
        is_a = part["substituent"].isin(group_a).to_numpy()
        ratio, ef = part["ratio"].to_numpy(), part[energy].to_numpy()
        z = np.stack([ratio, ef], axis=1)
        z = (z - z.mean(0)) / np.where(z.std(0) > 0, z.std(0), 1.0)
        out.append({"site": site, "n_a": int(is_a.sum()), "n_b": int((~is_a).sum()),
                    "ratio_a": ratio[is_a].mean(), "ratio_b": ratio[~is_a].mean(),
                    "ef_a": ef[is_a].mean(), "ef_b": ef[~is_a].mean(),
                    "auc_ratio": _auc(ratio[is_a], ratio[~is_a]), "auc_energy": _auc(-ef[is_a], -ef[~is_a]),
                    "auc_both_cv": _lda_cv_auc(z, is_a)})
    return pd.DataFrame(out)
