"""Attributions summed up by element, from per-atom records (:func:`.report.atom_records`).

Two questions the per-structure rank statistics do not answer: does a method weigh the same
*elements* as GA does (:func:`element_shares`), and does GA still follow the Shapley values among
atoms of the same kinds, e.g. once hydrogens are left out (:func:`subset_agreement`)?
Both read only the per-atom table, so they can be recomputed from a committed
``attribution_*_atoms.csv.gz`` without running a model.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .._elements import SYMBOLS
from ..ranks import spearman
from .report import METHOD_LABELS, METHODS, _cell

__all__ = ["element_shares", "subset_agreement", "by_element_markdown"]


def element_shares(atoms: pd.DataFrame, methods: Sequence[str] = METHODS) -> pd.DataFrame:
    """Mean N x |score| / sum |score| per element and method (1 = an average atom, as N x GA).

    ``atoms``: per-atom records (columns ``structure``, ``z`` and one per method). Each atom's
    share of its structure's total |score| is multiplied by the structure's atom count and averaged
    over all atoms of an element. Returns one row per element (symbol, in order of atomic number),
    one column per method label, and ``atoms`` (how many atoms were averaged); a structure whose
    |scores| sum to zero for a method is left out of that method's column.
    """
    size = atoms.groupby("structure")["z"].transform("size")
    columns = {}
    for method in methods:
        magnitude = atoms[method].abs()
        total = magnitude.groupby(atoms["structure"]).transform("sum")
        columns[METHOD_LABELS[method]] = (magnitude / total.where(total > 0) * size).groupby(atoms["z"]).mean()
    table = pd.DataFrame(columns)
    table.insert(0, "atoms", atoms.groupby("z").size())
    table.index = [SYMBOLS[z] for z in table.index]
    return table


def _class_means(structure: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per symmetry class (``symmetry_class`` -1: every atom its own class) with the mean
    |score| of ``columns`` and the atomic number."""
    labels = structure["symmetry_class"].where(structure["symmetry_class"] >= 0, -1 - structure["atom"])
    magnitudes = structure[columns].abs().assign(z=structure["z"])
    return magnitudes.groupby(labels.to_numpy()).mean()


def subset_agreement(atoms: pd.DataFrame, elements: Iterable[int], methods: Sequence[str] = METHODS) -> pd.DataFrame:
    """Spearman of each method's |score| against GA and against |Shapley| on the atoms of ``elements``
    (atomic numbers) only, e.g. every element but hydrogen, or the iron of SmFe12 cells.

    Scores are averaged over each symmetry class (``symmetry_class``) first, as every rank statistic
    of the report, then the other atoms are dropped; structures with fewer than three classes left
    are left out. Returns one row per method label with ``spearman_ga``, ``spearman_shapley`` (means
    over structures), their standard errors (``_sem``) and ``n_structures``; empty when no
    structure qualifies."""
    elements = set(elements)
    columns = list(dict.fromkeys(["ga", "shapley", *methods]))
    rows = []
    for name, structure in atoms.groupby("structure", sort=False):
        kept = _class_means(structure, columns)
        kept = kept[kept["z"].isin(elements)]
        if len(kept) < 3:
            continue
        for method in methods:
            rows.append({"structure": name, "method": method,
                         "spearman_ga": spearman(kept[method].to_numpy(), kept["ga"].to_numpy()),
                         "spearman_shapley": spearman(kept[method].to_numpy(), kept["shapley"].to_numpy())})
    if not rows:
        return pd.DataFrame(columns=["n_structures", "spearman_ga", "spearman_ga_sem", "spearman_shapley",
                                     "spearman_shapley_sem"])
    records = pd.DataFrame(rows)
    table = {}
    for method, part in records.groupby("method", sort=False):
        row = {"n_structures": int(part["structure"].nunique())}
        for metric in ("spearman_ga", "spearman_shapley"):
            values = part[metric].dropna()
            row[metric] = float(values.mean()) if len(values) else float("nan")
            row[f"{metric}_sem"] = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
        table[METHOD_LABELS[method]] = row
    return pd.DataFrame.from_dict(table, orient="index")


def by_element_markdown(atoms: pd.DataFrame) -> str:
    """Markdown sections (level-2 headings, as in :func:`.report.report_markdown`) for structures of
    more than one element: :func:`element_shares`, then :func:`subset_agreement` on the heavy atoms
    when there are hydrogens, else on the most common element. Empty for a single element."""
    shares = element_shares(atoms)
    if len(shares) < 2:
        return ""
    methods = [c for c in shares.columns if c != "atoms"]
    lines = ["## Importance by element", "",
             "Mean N x |score| / sum |score| over the atoms of each element (1 = an average atom, as N x GA; "
             "random scores give 1 for every element)."
             + (f" Across the {len(shares)} elements, GA's order agrees with Shapley's at Spearman "
                f"{spearman(shares['GA'], shares['Shapley']):.2f}." if len(shares) > 2 else ""), "",
             "| element | atoms | " + " | ".join(methods) + " |", "|---|---:|" + "---:|" * len(methods)]
    lines += [f"| {element} | {int(row['atoms'])} | " + " | ".join(f"{row[m]:.2f}" for m in methods) + " |"
              for element, row in shares.iterrows()]
    if (atoms["z"] == 1).any():
        kept, heading = set(atoms["z"]) - {1}, "Heavy atoms only"
        what = "hydrogens dropped"
    else:
        common = int(atoms["z"].value_counts().idxmax())
        kept, heading = {common}, f"{SYMBOLS[common]} atoms only"
        what = f"every other element dropped, so GA must order the {SYMBOLS[common]} atoms among themselves"
    table = subset_agreement(atoms, kept)
    count = int(table["n_structures"].max()) if len(table) else 0
    metrics = ("spearman_ga", "spearman_shapley")
    lines += ["", f"## {heading}", "",
              f"Spearman after averaging over symmetry classes, {what}; over the {count} structures with at "
              "least three classes left (random scores give about 0).", "",
              "| method | Spearman vs GA | Spearman vs Shapley |", "|---|---:|---:|"]
    lines += [f"| {method} | " + " | ".join(_cell(row[m], row[f"{m}_sem"]) for m in metrics) + " |"
              for method, row in table.iterrows()]
    return "\n".join(lines + [""])
