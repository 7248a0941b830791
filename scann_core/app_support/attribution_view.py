"""The attention-vs-attribution page's data: every method's per-atom scores for one structure,
its curves and metrics, and the committed evaluation-set table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from .formatting import display_unit, file_stem, user_message
from .model_cards import weights_note
from .session import load_predictor

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from scann_core.structure import Structure

ATTRIBUTION_DOCS = None  # folder with attribution_<model>.csv; None = the repository's docs/
AUTO_ATTRIBUTION_ATOMS = 30  # larger structures wait for a click before Shapley values run


@dataclass(frozen=True)
class AttributionResult:
    """Everything the attention-vs-attribution page shows for one (model, structure): plain data.

    ``attributions`` maps method (``ga``, ``occlusion``, ``integrated_gradients``, ``shapley``) to
    per-atom values (GA sums to 1; the others in target units); ``deletion`` / ``insertion`` map each
    method and ``'random'`` (mean of ``n_random`` random orders) to ``n_atoms + 1`` values in target
    units; ``metrics`` is this structure's table of :func:`scann_core.attribution.structure_metrics`
    (no sanity check; rank statistics averaged over symmetry-equivalent atoms).
    """

    model_name: str
    structure: Any  # the structure that was explained (a 3D crystal in its conventional cell)
    prediction: float
    empty_value: float
    unit: str
    attributions: dict
    shapley_estimator: str
    shapley_samples: int
    shapley_standard_error: np.ndarray
    ig_completeness_error: float
    deletion: dict
    insertion: dict
    metrics: "pd.DataFrame"
    warnings: tuple[str, ...]
    card: dict


def shapley_description(n_atoms: int, n_permutations: int, max_exact: int | None = None) -> str:
    """How the Shapley values of a structure of ``n_atoms`` are computed, in words."""
    if max_exact is None:
        from scann_core.attribution import MAX_EXACT_PLAYERS as max_exact
    if n_atoms <= max_exact:
        return f"exact Shapley values (all 2^{n_atoms} = {2 ** n_atoms:,} coalitions)"
    return (f"sampled Shapley values ({n_permutations} random atom orders in antithetic pairs, "
            f"{n_permutations * (n_atoms + 1):,} coalitions; exact only up to {max_exact} atoms)")


def compute_attributions(predictor, structure: "Structure", *, model_name: str = "model",
                         n_permutations: int = 256, ig_steps: int = 64, n_random: int = 10, top_k: int = 3,
                         seed: int = 0) -> AttributionResult:
    """GA, occlusion, integrated gradients and Shapley values of one structure, with its deletion and
    insertion curves (and the random-order baseline) and per-structure metrics."""
    import pandas as pd

    from scann_core.attribution import (METHODS, deletion_curve, explain_graph, insertion_curve, masking_game,
                                        random_scores, structure_metrics)
    from scann_core.symmetry import symmetry_classes

    graph, warnings = predictor.model_input(structure)
    explained = explain_graph(predictor.model, graph, predictor.target, name=structure.name,
                              n_permutations=n_permutations, ig_steps=ig_steps, seed=seed)
    game = masking_game(predictor.model, graph, predictor.target)
    deletion = {m: np.asarray(deletion_curve(game, explained.score(m))) for m in METHODS}
    insertion = {m: np.asarray(insertion_curve(game, explained.score(m))) for m in METHODS}
    rand = random_scores(structure.n_atoms, n_random, seed)
    deletion["random"] = np.asarray(deletion_curve(game, rand)).mean(0)
    insertion["random"] = np.asarray(insertion_curve(game, rand)).mean(0)
    metrics = pd.DataFrame(structure_metrics(predictor.model, graph, predictor.target, explained, top_k=top_k,
                                             n_random=n_random, sanity_methods=(), seed=seed,
                                             classes=symmetry_classes(structure)))
    shap = explained.shapley
    return AttributionResult(
        model_name=model_name, structure=structure, prediction=float(explained.prediction),
        empty_value=float(explained.empty_value), unit=str(predictor.target.unit),
        attributions={m: np.asarray(v, dtype=np.float64) for m, v in explained.attributions.items()},
        shapley_estimator=str(shap.estimator), shapley_samples=int(shap.n_samples),
        shapley_standard_error=np.asarray(shap.standard_error, dtype=np.float64),
        ig_completeness_error=float(explained.integrated_gradients.completeness_error),
        deletion=deletion, insertion=insertion, metrics=metrics,
        warnings=tuple(str(w) for w in warnings), card=dict(predictor.card))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_attributions(model_name: str, _structure: "Structure", structure_key: str,
                        n_permutations: int = 256) -> AttributionResult:
    """:func:`compute_attributions` once per (model, structure, sample count)."""
    return compute_attributions(load_predictor(model_name), _structure, model_name=model_name,
                                n_permutations=n_permutations)


def comparable_scores(result: AttributionResult) -> dict[str, np.ndarray]:
    """Each method's values on one common scale: ``N * s * a_i / sum_j |a_j|``.

    ``s = sign(prediction - training mean)`` for the signed methods (1 for GA), so a positive value
    pushes the prediction away from the training mean (the order of the deletion curves) and GA
    becomes N x GA (mean 1); every method then has a mean magnitude of 1 per atom.
    """
    from scann_core.attribution import METHODS, oriented

    out = {}
    for method in METHODS:
        values = np.asarray(result.attributions[method], dtype=np.float64)
        score = values if method == "ga" else oriented(values, result.prediction, result.empty_value)
        total = np.abs(score).sum()
        out[method] = score * len(score) / total if total > 0 else np.zeros_like(score)
    return out


def attribution_table(result: AttributionResult) -> "pd.DataFrame":
    """Per-atom table: index, element, GA, N x GA, the signed attributions in the display unit (with the
    Shapley standard error when sampled) and every method on the common scale."""
    import pandas as pd

    from scann_core.attribution import METHOD_LABELS, METHODS

    unit, factor = display_unit({"unit": result.unit, "target": result.card.get("target")})
    n = result.structure.n_atoms
    ga = result.attributions["ga"]
    df = pd.DataFrame({"atom": np.arange(1, n + 1), "element": result.structure.symbols, "GA": ga,
                       "N × GA": ga * n})
    for method in METHODS[1:]:
        df[f"{METHOD_LABELS[method]} ({unit})"] = result.attributions[method] * factor
    if result.shapley_estimator != "exact":
        df[f"Shapley standard error ({unit})"] = result.shapley_standard_error * factor
    for method, values in comparable_scores(result).items():
        df[f"{METHOD_LABELS[method]}, common scale"] = values
    return df


def structure_metric_table(result: AttributionResult) -> "pd.DataFrame":
    """This structure's metrics, one row per method: Spearman and top-k vs GA and vs Shapley, deletion
    and insertion areas, each beside its random-order value."""
    import pandas as pd

    from scann_core.attribution import METHOD_LABELS

    names = {"spearman_ga": "Spearman vs GA", "topk_ga": "top-k vs GA", "spearman_shapley": "Spearman vs Shapley",
             "topk_shapley": "top-k vs Shapley", "deletion_area": "deletion area (lower = better)",
             "insertion_area": "insertion area (higher = better)"}
    rows = []
    for _, rec in result.metrics.iterrows():
        row = {"method": METHOD_LABELS.get(rec["method"], rec["method"])}
        for key, label in names.items():
            row[label] = float(rec[key])
            row[f"{label}: random"] = float(rec[f"{key}_random"])
        rows.append(row)
    return pd.DataFrame(rows)


def symmetry_caption(result: AttributionResult) -> str:
    """One sentence on how this structure's rank statistics treat symmetry-equivalent atoms."""
    classes, n = int(result.metrics["symmetry_classes"].iloc[0]), result.structure.n_atoms
    if classes == 1:
        return ("Every atom is symmetry-equivalent, so there is no ranking to compare: the Spearman and top-k "
                "columns are empty.")
    if classes >= n:
        return "No two atoms were found symmetry-equivalent: Spearman and top-k rank the raw per-atom scores."
    return (f"Spearman and top-k rank each score averaged over its class of symmetry-equivalent atoms ({classes} "
            f"classes for {n} atoms), so that numerical noise between equivalent atoms is not ranked.")


def attribution_results_dir():
    """Folder of the committed evaluation-set metrics (``docs/`` unless :data:`ATTRIBUTION_DOCS` is set)."""
    from pathlib import Path

    if ATTRIBUTION_DOCS is not None:
        return Path(ATTRIBUTION_DOCS)
    return Path(__file__).resolve().parents[2] / "docs"


WILD_AREA = 5.0  # |normalised curve area| above which the masking game is far outside the model's domain
# evaluation set -> (suffix of its table file, title for people)
EVALUATION_SETS = {"held-out": ("", "Structures the model never trained on"),
                   "gallery": ("_gallery", "Gallery structures inside the model's domain")}


def evaluation_element_shares(model_name: str, directory=None, evaluation_set: str = "held-out"
                              ) -> "pd.DataFrame | None":
    """Mean N x |score| share by element and method over one evaluation set
    (:func:`scann_core.attribution.element_shares` of the committed ``attribution_<model><suffix>_atoms.csv.gz``),
    rounded to 2 decimals with the element as a column; None when the file is missing or unreadable or
    the set holds a single element."""
    from pathlib import Path

    import pandas as pd

    from scann_core.attribution import element_shares

    folder = attribution_results_dir() if directory is None else Path(directory)
    path = folder / f"attribution_{file_stem(model_name)}{EVALUATION_SETS[evaluation_set][0]}_atoms.csv.gz"
    try:
        shares = element_shares(pd.read_csv(path))
    except Exception:  # noqa: BLE001 -- missing or broken: the page simply has no element table
        return None
    if len(shares) < 2:
        return None
    return shares.round(2).rename_axis("element").reset_index()


def evaluation_metrics(model_name: str, directory=None, evaluation_set: str = "held-out"
                       ) -> tuple["pd.DataFrame | None", str]:
    """The metric table of ``model_name`` on one evaluation set (:data:`EVALUATION_SETS`), read from
    ``attribution_<model><suffix>.csv`` (written with ``docs/ATTRIBUTION.md``), formatted
    ``'mean ± sem'`` beside the random-order value, and a sentence saying where it comes from, or
    ``(None, why not)``."""
    from pathlib import Path

    import pandas as pd

    from scann_core.attribution import METRICS

    folder = attribution_results_dir() if directory is None else Path(directory)
    path = folder / f"attribution_{file_stem(model_name)}{EVALUATION_SETS[evaluation_set][0]}.csv"
    if not path.exists():
        return None, (f"The {evaluation_set} metrics have not been computed for `{model_name}` yet "
                      "(see docs/ATTRIBUTION.md and scripts/attribution_report.py).")
    try:
        summary = pd.read_csv(path, index_col=0)
        out = pd.DataFrame({"method": summary.index.astype(str)})
        for metric, (label, better, _) in METRICS.items():
            if metric not in summary:
                continue
            mean, sem, rand = (summary[metric].to_numpy(float), summary[f"{metric}_sem"].to_numpy(float),
                               summary[f"{metric}_random"].to_numpy(float))
            out[f"{label} ({better})"] = [("n/a" if not np.isfinite(m) else
                                           f"{m:.3f} ± {s:.3f}" if np.isfinite(s) else f"{m:.3f}")
                                          for m, s in zip(mean, sem)]
            out[f"{label}: random"] = [f"{r:.3f}" if np.isfinite(r) else "n/a" for r in rand]
        where = str(summary["evaluation_set"].iloc[0]) if "evaluation_set" in summary else "not recorded"
        epochs = summary["model_epochs"].iloc[0] if "model_epochs" in summary else None
        averaged = "rank_statistics" in summary and summary["rank_statistics"].iloc[0] == "symmetry-averaged"
        floor = summary.iloc[0][["seed_spearman", "seed_topk"]].to_numpy(float) if "seed_spearman" in summary else None
    except Exception as exc:  # noqa: BLE001 -- a broken file becomes a sentence
        return None, f"The evaluation-set metrics in {path.name} could not be read ({user_message(exc)})"
    note = f"Evaluation set: {where}, model `{model_name}` (mean ± standard error; docs/ATTRIBUTION.md)."
    if averaged:
        note += " Rank statistics average each score over symmetry-equivalent atoms first."
    if floor is not None and np.isfinite(floor).all():
        note += (f" GA seed-to-seed noise floor: two trainings from different seeds agree at Spearman {floor[0]:.3f}, "
                 f"top-k overlap {floor[1]:.3f}.")
    areas = summary[[c for c in ("deletion_area", "insertion_area") if c in summary]].to_numpy(float)
    if np.nanmax(np.abs(areas), initial=0.0) > WILD_AREA:
        note += (" Curve areas far outside [0, 1]: the model predicts wildly for these structures with atoms "
                 "removed, so the curves, occlusion and Shapley values say little about it here.")
    return out, note + weights_note(model_name, epochs)
