"""GA statistics over a test set: mean N x GA by element and, for carbon, by hybridisation, and
the agreement of GA between two trained models (the seed-to-seed noise floor).

The paper found HOMO GA ordered O > N > C and sp/sp2 carbon above sp3, with less contrast for
LUMO. Carbon hybridisation comes from the number of bonded neighbours in RDKit's connectivity
(covalent radii): 4 -> sp3, 3 -> sp2, 2 or fewer -> sp. On 5,114 carbons of the first 1,000 QM9
test molecules this equals RDKit's own hybridisation after full bond perception wherever that
perception succeeds (it fails for 2.7 % of the molecules; connectivity never does).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .chem_roles import carbon_hybridisation
from .ranks import spearman
from .symmetry import class_means
from .structure import Structure

__all__ = ["atom_ga_rows", "test_set_ga", "qm9_test_rows", "ga_summary", "plot_ga_summary",
           "seed_agreement", "seed_agreement_summary"]

def atom_ga_rows(structures: Sequence[Structure], ga: Sequence[np.ndarray], model: str):
    """One row per atom: model, molecule, element, hybridisation ('' unless carbon), N x GA."""
    import pandas as pd

    frames = []
    for structure, values in zip(structures, ga):
        frames.append(pd.DataFrame({"model": model, "molecule": structure.name, "element": structure.symbols,
                                    "hybridisation": carbon_hybridisation(structure),
                                    "n_ga": np.asarray(values) * structure.n_atoms}))
    return pd.concat(frames, ignore_index=True)


def ga_summary(rows):
    """Mean N x GA with its standard error and count per model and group: each element, then
    carbon by hybridisation (groups 'C sp', 'C sp2', 'C sp3')."""
    import pandas as pd

    carbon = rows[rows["element"] == "C"].assign(group=lambda d: "C " + d["hybridisation"])
    both = pd.concat([rows.assign(group=rows["element"]), carbon], ignore_index=True)
    grouped = both.groupby(["model", "group"])["n_ga"]
    out = grouped.agg(atoms="size", mean="mean", std="std").reset_index()
    out["sem"] = out["std"] / np.sqrt(out["atoms"])
    return out.drop(columns="std")


def test_set_ga(predictor, *, limit: int | None = None) -> tuple[list[Structure], list[np.ndarray]]:
    """The structures of a model's own test split (the first ``limit``) and its GA on each."""
    from .data.sources import dataset_splits, split_structures
    from .train import predict_graphs

    test = dataset_splits(predictor.dataset, predictor.target.name, predictor.model.config,
                          unit=predictor.target.unit, limit=limit).test
    _, ga = predict_graphs(predictor.model, test, predictor.target, device=predictor.device, return_ga=True)
    return split_structures(predictor.dataset, "test", len(ga)), ga


def qm9_test_rows(predictor, *, limit: int | None = None):
    """:func:`atom_ga_rows` of a QM9 model over the fixed test split (the first ``limit`` molecules)."""
    structures, ga = test_set_ga(predictor, limit=limit)
    return atom_ga_rows(structures, ga, predictor.card["name"])


def seed_agreement(ga_a: Sequence[np.ndarray], ga_b: Sequence[np.ndarray],
                   classes: Sequence[Sequence[np.ndarray] | None] | None = None,
                   atoms: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """(n_structures,) Spearman correlation between two models' GA on each structure (nan where
    either GA is constant, e.g. a structure whose atoms are all symmetry-equivalent). With ``classes``
    (per structure, :func:`scann_core.symmetry.symmetry_classes`) both GA are averaged over each class
    of equivalent atoms first, as the attribution report does. With ``atoms`` (per structure, an
    (n_atoms,) boolean mask, e.g. the heavy atoms) only those atoms are ranked, after the class
    averaging; nan where fewer than three are left."""
    if len(ga_a) != len(ga_b):
        raise ValueError(f"{len(ga_a)} GA arrays against {len(ga_b)}.")
    classes = [None] * len(ga_a) if classes is None else classes
    atoms = [None] * len(ga_a) if atoms is None else atoms
    rho = []
    for a, b, c, keep in zip(ga_a, ga_b, classes, atoms):
        a, b = (a, b) if c is None else (class_means(a, c), class_means(b, c))
        if keep is not None:
            a, b = np.asarray(a)[keep], np.asarray(b)[keep]
        rho.append(spearman(a, b) if len(a) >= 3 else np.nan)
    return np.array(rho)


def seed_agreement_summary(rho: np.ndarray) -> dict[str, float]:
    """Mean, standard error, median and count of the finite per-structure correlations."""
    finite = rho[np.isfinite(rho)]
    return {"mean_spearman": float(finite.mean()), "sem": float(finite.std(ddof=1) / np.sqrt(len(finite))),
            "median_spearman": float(np.median(finite)), "n_structures": int(len(finite)),
            "n_undefined": int(len(rho) - len(finite))}


def plot_ga_summary(summary, path) -> None:
    """Bar chart (PNG) of mean N x GA per group, one bar per model, with standard errors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(summary["model"].unique())
    groups = [g for g in ("H", "C", "N", "O", "F", "C sp", "C sp2", "C sp3") if g in set(summary["group"])]
    width = 0.8 / len(models)
    figure, axis = plt.subplots(figsize=(0.9 * len(groups) + 2, 3.6), dpi=110)
    for k, model in enumerate(models):
        part = summary[summary["model"] == model].set_index("group").reindex(groups)
        axis.bar(np.arange(len(groups)) + k * width, part["mean"], width, yerr=part["sem"], label=model)
    axis.axhline(1.0, color="k", lw=0.7, ls="--")
    axis.set(xticks=np.arange(len(groups)) + 0.4 - width / 2, xticklabels=groups, ylabel="mean N × GA")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
