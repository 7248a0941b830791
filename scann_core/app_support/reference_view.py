"""The B3LYP reference panel's data: per-atom orbital weights beside GA, the sidecar summary,
the agreement line, what to say when there is no reference, and the background job registry."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import streamlit as st

from .formatting import user_message

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import pandas as pd

    from scann_core.structure import Structure

# UI label -> cube kind of scann_core.references (the orbital reference panel)
REFERENCE_KINDS = {"HOMO": "homo", "LUMO": "lumo", "Deformation density": "deformation"}
REFERENCE_MAX_ATOMS = 30  # on-demand B3LYP references, larger molecules are refused
# UI label -> basis set of an on-demand B3LYP reference (QM9's own first, then cheaper ones)
REFERENCE_BASES = {"6-31G(2df,p) (QM9's level)": "6-31G(2df,p)", "6-31G*": "6-31G*", "6-31G": "6-31G",
                   "STO-3G (fast, rough)": "STO-3G"}
REFERENCE_DEFAULT_BASIS = REFERENCE_BASES["6-31G(2df,p) (QM9's level)"]
FULLERENE_KEYS = ("C60", "C70", "C72")
ORBITAL_AGREEMENT_SUMMARY = "orbital_agreement_qm9.csv"  # in assets/data, from scripts/orbital_agreement.py --summary


def reference_kind_for(target: str) -> str | None:
    """The reference label that shows the orbital a model predicts (``'lumo_ev'`` -> ``'LUMO'``), or
    ``None`` for a target that is no frontier orbital (gap, alpha, formation energy)."""
    level = target.removesuffix("_ev")
    return next((label for label, kind in REFERENCE_KINDS.items() if kind == level and kind != "deformation"), None)


def add_reference_columns(df: "pd.DataFrame", reference: Any) -> "pd.DataFrame":
    """The per-atom table with ``HOMO weight`` and ``LUMO weight`` columns from an orbital reference."""
    df = df.copy()
    if reference is not None and len(reference.homo_weights) == len(df):
        df["HOMO weight"] = reference.homo_weights
        df["LUMO weight"] = reference.lumo_weights
    return df


def reference_summary(record: dict) -> str:
    """Markdown lines of an orbital reference's sidecar: method, basis, SCF energy, orbital energies."""
    def level(name: str) -> str:
        n = int(record.get(f"{name}_degeneracy", 1))
        return f"**{name.upper()}** {record[f'{name}_ev']:.3f} eV" + (f" ({n}-fold degenerate)" if n > 1 else "")

    xc = str(record.get("xc", "")).upper()
    fit = " with density fitting" if record.get("density_fit") else ""
    return (f"**Method** {xc}{fit} · **basis** {record.get('basis', '?')} ({record.get('n_basis', '?')} functions)  \n"
            f"**SCF energy** {record['scf_energy_ha']:.6f} Ha  \n"
            f"{level('homo')} · {level('lumo')} · gap {record['lumo_ev'] - record['homo_ev']:.3f} eV  \n"
            f"computed in {float(record.get('seconds', 0)):.0f} s with PySCF {record.get('pyscf_version', '')}"
            + (" (the last run only: the SCF resumed from a checkpoint of earlier runs)"
               if record.get("resumed_from_checkpoint") else ""))


def top_overlap(a: Sequence[float], b: Sequence[float], k: int = 3) -> tuple[int, list[int], list[int]]:
    """How many of the ``k`` largest entries of ``a`` and ``b`` are the same atoms.

    Returns ``(n_common, top_a, top_b)`` with 0-based indices, largest first (ties: lower index first).
    """
    from scann_core.ranks import ranking

    k = min(int(k), len(a))
    top_a, top_b = ([int(i) for i in ranking(np.reshape(x, -1))[:k]] for x in (a, b))
    return len(set(top_a) & set(top_b)), top_a, top_b


def reference_comparison(symbols: Sequence[str], ga: Sequence[float], weights: Sequence[float],
                         level: str = "HOMO", k: int = 3, classes: Sequence[np.ndarray] | None = None) -> str:
    """One markdown line: Spearman rho of GA vs the orbital weight, and the top-``k`` overlap.

    With ``classes`` (symmetry-equivalent atoms) both scores are first averaged over each class, so
    that numerical noise does not rank atoms that symmetry makes equal."""
    from scann_core.symmetry import class_means
    from scann_core.viz import spearman

    note = ""
    if classes is not None and len(classes) < len(ga):
        if len(classes) == 1:
            return (f"Spearman rho (GA vs {level} weight) is **undefined**: every atom is symmetry-equivalent, "
                    "so both are uniform.")
        ga, weights = class_means(ga, classes), class_means(weights, classes)
        note = f" · scores averaged over {len(classes)} classes of symmetry-equivalent atoms"
    rho = spearman(ga, weights)
    common, top_g, top_w = top_overlap(ga, weights, k)
    names = lambda idx: ", ".join(f"{symbols[i]}{i + 1}" for i in idx)  # noqa: E731
    rho_text = "undefined" if np.isnan(rho) else f"{rho:.2f}"
    return (f"Spearman rho (GA vs {level} weight) = **{rho_text}** · top-{len(top_g)} overlap "
            f"**{common}/{len(top_g)}** (GA: {names(top_g)}; {level} weight: {names(top_w)}){note}")


def orbital_agreement_row(model_name: str, path: "str | Path | None" = None) -> "pd.Series | None":
    """The model's row of the QM9-sample GA-vs-orbital-weight summary (written by
    ``scripts/orbital_agreement.py --summary``): molecules, level, basis, mean_spearman, sem_spearman,
    mean_top3_overlap, random_top3_overlap; None when the file or the row is missing."""
    import pandas as pd

    from scann_core.paths import ASSETS

    try:
        rows = pd.read_csv(path or ASSETS / "data" / ORBITAL_AGREEMENT_SUMMARY)
    except (OSError, ValueError):
        return None
    row = rows[rows["model"] == model_name]
    return None if row.empty else row.iloc[0]


def typical_agreement(model_name: str, path: "str | Path | None" = None) -> str:
    """One sentence with the model's mean GA-vs-orbital-weight Spearman over the QM9 test sample, so
    that one molecule's number can be read against it; '' when the summary has no row for the model."""
    r = orbital_agreement_row(model_name, path)
    if r is None:
        return ""
    return (f"For comparison: over {int(r['molecules'])} random QM9 test molecules this model's GA vs "
            f"{str(r['level']).upper()} weight averages Spearman {r['mean_spearman']:.2f} ± {r['sem_spearman']:.2f} "
            f"(top-3 overlap {r['mean_top3_overlap']:.2f}, random {r['random_top3_overlap']:.2f}; B3LYP/{r['basis']} "
            f"references; docs/ORBITAL_AGREEMENT_QM9.md).")


@st.cache_data(show_spinner=False, max_entries=64)
def symmetry_classes(_structure: "Structure", structure_key: str) -> tuple[str, list[np.ndarray]] | None:
    """The point group of a molecule and its classes of symmetry-equivalent atoms (cached), or None
    when they cannot be found."""
    try:
        from scann_core.symmetry import equivalent_atoms

        return equivalent_atoms(_structure)
    except Exception:  # noqa: BLE001 -- the page then shows the raw scores only
        return None


def symmetry_note(ga: Sequence[float], group: str, classes: Sequence[np.ndarray]) -> str:
    """One sentence on how equal GA is on symmetry-equivalent atoms (spreads are (max - min) / mean)."""
    from scann_core.symmetry import class_spread

    spread = class_spread(np.asarray(ga, dtype=np.float64), list(classes))
    if len(classes) == 1:
        return (f"Point group {group}: every atom is symmetry-equivalent, and GA varies by "
                f"{100 * spread['overall']:.2f} % across them.")
    return (f"Point group {group}: {len(classes)} classes of symmetry-equivalent atoms. GA varies by at most "
            f"{100 * spread['within']:.2f} % inside a class and by {100 * spread['between']:.1f} % between "
            "class means.")


def reference_status(structure: "Structure", gallery_key: str | None = None,
                     basis: str = REFERENCE_DEFAULT_BASIS) -> tuple[bool, str]:
    """Whether an on-demand reference in ``basis`` can be computed, and what to tell the user when
    there is none yet."""
    try:
        from scann_core.references import check_reference_input
    except ImportError as exc:  # pragma: no cover
        return False, f"The reference calculator is not available ({user_message(exc)})"
    prefix = ""
    if gallery_key in FULLERENE_KEYS:
        prefix = (f"The B3LYP/6-31G reference of {gallery_key} is not yet available (C60 took 44 min on one "
                  "core: `python scripts/precompute_orbitals.py --fullerenes`). ")
    try:
        check_reference_input(structure, basis=basis, max_atoms=REFERENCE_MAX_ATOMS)
    except ImportError:
        return False, prefix + "PySCF is not installed, so no reference can be computed here."
    except ValueError as exc:
        return False, prefix + user_message(exc)
    return True, prefix + f"No B3LYP/{basis} reference for this geometry yet."


@st.cache_data(show_spinner=False, max_entries=32)
def lookup_reference(_structure: "Structure", structure_key: str,
                     basis: str = REFERENCE_DEFAULT_BASIS) -> tuple[Any, str]:
    """A stored orbital reference for the structure (shipped, or cached in ``basis``), without
    computing: ``(ref, 'shipped' | 'cache')`` or ``(None, '')``."""
    try:
        from scann_core.references import find_reference
    except ImportError:  # pragma: no cover
        return None, ""
    return find_reference(_structure, basis=basis)


@st.cache_resource(show_spinner=False)
def reference_jobs():
    """The app's one registry of background B3LYP calculations (one at a time)."""
    from scann_core.references.background import ReferenceJobs

    return ReferenceJobs(workers=1)
