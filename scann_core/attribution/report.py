"""All attribution methods and metrics for a list of structures, as tables and markdown.

:func:`explain` gives one structure's attributions (what an app page shows);
:func:`attribution_records` gives one row per structure and method with every metric;
:func:`summarise` / :func:`attribution_report` reduce them to one row per method with the
random-order baseline beside each metric; :func:`report_markdown` writes that table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..checkpoint import TargetInfo
from ..graph import Graph
from ..model import ScannModel
from ..structure import Structure
from ..symmetry import class_averager, symmetry_classes
from .masking import empty_value, masking_game
from .methods import IntegratedGradients, global_attention, integrated_gradients, occlusion, shapley_values
from .shapley import DEFAULT_PERMUTATIONS, MAX_EXACT_PLAYERS, ShapleyResult
from .metrics import (deletion_curve, insertion_curve, normalised_area, oriented, random_scores, randomized_model,
                      spearman, top_k_overlap)

__all__ = ["METHODS", "METHOD_LABELS", "METRICS", "StructureAttributions", "explain_graph", "explain",
           "structure_metrics", "attribution_records", "atom_records", "sampled_shapley_check",
           "sampled_shapley_repeatability", "summarise", "attribution_report", "report_markdown"]

METHODS = ("ga", "occlusion", "integrated_gradients", "shapley")
METHOD_LABELS = {"ga": "GA", "occlusion": "occlusion", "integrated_gradients": "integrated gradients",
                 "shapley": "Shapley"}
# metric -> (label, which direction is better, aggregated with the |v(all) - v(empty)| weights)
METRICS = {
    "spearman_ga": ("Spearman vs GA", "higher = agrees with GA", False),
    "topk_ga": ("top-k overlap vs GA", "higher = agrees with GA", False),
    "spearman_shapley": ("Spearman vs Shapley", "higher = agrees with Shapley", False),
    "topk_shapley": ("top-k overlap vs Shapley", "higher = agrees with Shapley", False),
    "deletion_area": ("deletion area", "lower = more faithful", True),
    "insertion_area": ("insertion area", "higher = more faithful", True),
    "sanity_spearman": ("Spearman trained vs random weights", "lower = depends more on training", False),
}
RANK_METRICS = ("spearman_ga", "topk_ga", "spearman_shapley", "topk_shapley", "sanity_spearman")
SANITY_METHODS = ("ga", "occlusion", "integrated_gradients")  # Shapley is left out by default: 2^n coalitions per seed


@dataclass
class StructureAttributions:
    """Every method's per-atom attribution for one structure.

    Attributes:
        name: structure label.
        numbers: (n_atoms,) atomic numbers.
        prediction: ``v(all)``, the model's prediction in target units.
        empty_value: ``v(empty)``, the training mean of the target (see :mod:`.masking`).
        attributions: method -> (n_atoms,) values; GA sums to 1, the others are signed, in target units.
        integrated_gradients: the full IG result (completeness error, baseline prediction).
        shapley: the full Shapley result (exact or sampled, standard errors).
    """

    name: str
    numbers: np.ndarray
    prediction: float
    empty_value: float
    attributions: dict[str, np.ndarray]
    integrated_gradients: IntegratedGradients
    shapley: ShapleyResult

    def magnitude(self, method: str) -> np.ndarray:
        """Importance used for agreement: GA itself, ``|phi|`` for signed methods."""
        values = self.attributions[method]
        return values if method == "ga" else np.abs(values)

    def score(self, method: str) -> np.ndarray:
        """Order used for the deletion and insertion curves (see :func:`.metrics.oriented`)."""
        values = self.attributions[method]
        return values if method == "ga" else oriented(values, self.prediction, self.empty_value)


def explain_graph(model: ScannModel, graph: Graph, target: TargetInfo | None, *, name: str = "structure",
                  max_exact: int = MAX_EXACT_PLAYERS, estimator: str = "permutation",
                  n_permutations: int = DEFAULT_PERMUTATIONS, ig_steps: int = 64,
                  seed: int = 0) -> StructureAttributions:
    """GA, occlusion, integrated gradients and Shapley values of one graph (Shapley options as
    :func:`~.shapley.shapley`)."""
    ig = integrated_gradients(model, graph, target, n_steps=ig_steps)
    shap = shapley_values(model, graph, target, max_exact=max_exact, estimator=estimator,
                          n_permutations=n_permutations, seed=seed)
    attributions = {"ga": global_attention(model, graph), "occlusion": occlusion(model, graph, target),
                    "integrated_gradients": ig.attributions, "shapley": shap.values}
    return StructureAttributions(name, np.asarray(graph.numbers), ig.prediction, empty_value(target), attributions,
                                 ig, shap)


def explain(predictor, structure: Structure, **kwargs) -> StructureAttributions:
    """:func:`explain_graph` for a structure and a :class:`~scann_core.predict.Predictor`
    (``max_exact``, ``estimator``, ``n_permutations``, ``ig_steps``, ``seed`` as keywords). The structure is
    checked and featurised as :meth:`Predictor.predict` does."""
    graph, _ = predictor.model_input(structure)
    return explain_graph(predictor.model, graph, predictor.target, name=structure.name, **kwargs)


def _sanity(model: ScannModel, graph: Graph, explained: StructureAttributions, method: str, seeds,
            even: Callable[[np.ndarray], np.ndarray]) -> float:
    """Mean Spearman between the trained model's importance and that of random-weight copies, both
    passed through ``even`` (the symmetry-class averaging)."""
    values = []
    for seed in seeds:
        fresh = randomized_model(model, seed)
        if method == "ga":
            other = global_attention(fresh, graph)
        elif method == "occlusion":
            other = np.abs(occlusion(fresh, graph))
        elif method == "integrated_gradients":
            other = np.abs(integrated_gradients(fresh, graph, n_steps=explained.integrated_gradients.n_steps)
                           .attributions)
        else:
            other = np.abs(shapley_values(fresh, graph, seed=seed).values)
        values.append(spearman(even(explained.magnitude(method)), even(other)))
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _mean_finite(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else float("nan")


def structure_metrics(model: ScannModel, graph: Graph, target: TargetInfo | None, explained: StructureAttributions,
                      *, top_k: int = 3, n_random: int = 10, sanity_seeds: Sequence[int] = (0, 1, 2),
                      sanity_methods: Sequence[str] = SANITY_METHODS, seed: int = 0,
                      classes: Sequence[np.ndarray] | None = None, seed_ga: np.ndarray | None = None) -> list[dict]:
    """One dict per method with every metric of :data:`METRICS` and its random baseline (``<metric>_random``).

    The random baseline uses ``n_random`` uniformly random orders (seeded by ``seed``), the same for
    every method. ``weight`` is ``|v(all) - v(empty)|``, used to aggregate the curve areas. With
    ``classes`` (symmetry-equivalent atoms, :func:`scann_core.symmetry.symmetry_classes`) every rank
    statistic (Spearman, top-k, the sanity check, and their random baselines) compares scores averaged
    over each class, and is nan when all atoms are equivalent; the curves use the raw scores.
    ``seed_ga`` is the (n_atoms,) GA of the same architecture trained from another seed: its Spearman and
    top-k with this model's GA (``ga_seed_spearman``, ``ga_seed_topk``, nan without it) are the noise
    floor for every agreement with GA.
    """
    n = len(graph.numbers)
    game = masking_game(model, graph, target)
    full, empty = explained.prediction, explained.empty_value
    rand = random_scores(n, n_random, seed)
    random_deletion = _mean_finite(normalised_area(deletion_curve(game, rand), full, empty))
    random_insertion = _mean_finite(normalised_area(insertion_curve(game, rand), full, empty))
    average = class_averager(classes)
    even = average or np.asarray  # None: every atom is equivalent, the rank statistics are set to nan below
    even_rand = [even(r) for r in rand]
    ga, shap = even(explained.magnitude("ga")), even(explained.magnitude("shapley"))
    if seed_ga is None or average is None:
        floor = {"ga_seed_spearman": float("nan"), "ga_seed_topk": float("nan")}
    else:
        other = even(seed_ga)
        floor = {"ga_seed_spearman": spearman(ga, other), "ga_seed_topk": top_k_overlap(ga, other, top_k)}
    rows = []
    for method in METHODS:
        importance, score = even(explained.magnitude(method)), explained.score(method)
        random_spearman = _mean_finite([spearman(r, importance) for r in even_rand])
        random_topk = _mean_finite([top_k_overlap(r, importance, top_k) for r in even_rand])
        row = {
            "structure": explained.name, "n_atoms": n, "method": method, "weight": abs(full - empty),
            "symmetry_classes": n if classes is None else len(classes),
            "spearman_ga": spearman(ga, importance), "spearman_ga_random": random_spearman,
            "topk_ga": top_k_overlap(ga, importance, top_k), "topk_ga_random": random_topk,
            "spearman_shapley": spearman(shap, importance), "spearman_shapley_random": random_spearman,
            "topk_shapley": top_k_overlap(shap, importance, top_k), "topk_shapley_random": random_topk,
            "deletion_area": normalised_area(deletion_curve(game, score), full, empty),
            "deletion_area_random": random_deletion,
            "insertion_area": normalised_area(insertion_curve(game, score), full, empty),
            "insertion_area_random": random_insertion,
            "sanity_spearman": (_sanity(model, graph, explained, method, sanity_seeds, even)
                                if method in sanity_methods and average is not None else float("nan")),
            "sanity_spearman_random": random_spearman,
            **floor,
        }
        if average is None:
            row.update({key: float("nan") for metric in RANK_METRICS for key in (metric, f"{metric}_random")})
        if method == "integrated_gradients":
            ig = explained.integrated_gradients
            row["completeness_error"] = ig.completeness_error
            row["completeness_span"] = ig.prediction - ig.baseline_prediction
        if method == "shapley":
            row["shapley_exact"] = explained.shapley.exact
            row["shapley_max_standard_error"] = float(explained.shapley.standard_error.max()) if n else 0.0
        rows.append(row)
    return rows


def attribution_records(structures: Iterable[Structure], predictor, *, top_k: int = 3, n_random: int = 10,
                        sanity_seeds: Sequence[int] = (0, 1, 2), sanity_methods: Sequence[str] = SANITY_METHODS,
                        seed: int = 0, symmetrise: bool = True, per_atom: list | None = None, seed_predictor=None,
                        progress: Callable[[Iterable], Iterable] | None = None, **explain_kwargs) -> pd.DataFrame:
    """One row per (structure, method) with every metric; ``explain_kwargs`` go to :func:`explain_graph`.
    With ``symmetrise`` the rank statistics average over symmetry-equivalent atoms (see
    :func:`structure_metrics`); the ``symmetry_classes`` column counts the classes (``n_atoms`` when
    none were used or found). A ``per_atom`` list receives each structure's :func:`atom_records`. A
    ``seed_predictor`` (the same target trained from another seed) adds the GA seed-to-seed noise floor."""
    rows = []
    structures = list(structures)
    for structure in (progress(structures) if progress else structures):
        graph, _ = predictor.model_input(structure)
        explained = explain_graph(predictor.model, graph, predictor.target, name=structure.name, seed=seed,
                                  **explain_kwargs)
        classes = symmetry_classes(structure) if symmetrise else None
        seed_ga = None if seed_predictor is None else seed_predictor.predict(structure).ga
        metrics = structure_metrics(predictor.model, graph, predictor.target, explained, top_k=top_k,
                                    n_random=n_random, sanity_seeds=sanity_seeds, sanity_methods=sanity_methods,
                                    seed=seed, classes=classes, seed_ga=seed_ga)
        if per_atom is not None:
            per_atom.append(atom_records(explained, classes))
        if explained.shapley.exact:  # check the sampled estimator used above max_exact against the exact values
            metrics[METHODS.index("shapley")].update(
                sampled_shapley_check(predictor.model, graph, predictor.target, explained.shapley.values,
                                      seed=seed, **{k: v for k, v in explain_kwargs.items()
                                                    if k in ("estimator", "n_permutations")}))
        rows += metrics
    return pd.DataFrame(rows)


def atom_records(explained: StructureAttributions, classes: Sequence[np.ndarray] | None = None) -> pd.DataFrame:
    """One row per atom: structure, 1-based atom index, atomic number, symmetry class (0-based index into
    ``classes``, -1 when none), every method's value and the Shapley standard error (0 when exact)."""
    n = len(explained.numbers)
    label = np.full(n, -1)
    for index, members in enumerate(classes or ()):
        label[members] = index
    return pd.DataFrame({"structure": explained.name, "atom": np.arange(1, n + 1), "z": explained.numbers,
                         "symmetry_class": label, **{m: explained.attributions[m] for m in METHODS},
                         "shapley_standard_error": explained.shapley.standard_error})


def sampled_shapley_check(model: ScannModel, graph: Graph, target: TargetInfo | None, exact: np.ndarray,
                          **sampling) -> dict[str, float]:
    """How well the sampled estimator (``estimator``, ``n_permutations``, ``seed``) reproduces exact
    Shapley values ``exact`` (n_atoms,): Spearman between the two, and the largest absolute error
    divided by the mean |exact value|."""
    sampled = shapley_values(model, graph, target, max_exact=0, **sampling).values
    scale = float(np.abs(exact).mean()) or 1.0
    return {"sampled_vs_exact_spearman": spearman(sampled, exact),
            "sampled_vs_exact_max_error": float(np.abs(sampled - exact).max() / scale)}


def sampled_shapley_repeatability(model: ScannModel, graph: Graph, target: TargetInfo | None, *,
                                  seeds: Sequence[int] = (0, 1), top_k: int = 3,
                                  classes: Sequence[np.ndarray] | None = None, **sampling) -> dict[str, float]:
    """How well two sampled Shapley estimates with different ``seeds`` (``estimator``,
    ``n_permutations``) agree on |value| (Spearman, top-k overlap), averaged over symmetry ``classes``
    as in :func:`structure_metrics`. It bounds what agreement with one sampled estimate can mean on a
    structure too large for exact values: with independent noise, a method ranking atoms exactly as the
    true values reaches about the square root of this Spearman."""
    even = class_averager(classes) or np.asarray
    first, second = (even(np.abs(shapley_values(model, graph, target, max_exact=0, seed=seed, **sampling).values))
                     for seed in seeds)
    return {"repeat_spearman": spearman(first, second), "repeat_topk": top_k_overlap(first, second, top_k)}


def _aggregate(values: pd.Series, weights: pd.Series | None) -> tuple[float, float]:
    """(mean, standard error of the mean) over the finite values; weighted when ``weights`` is given."""
    keep = np.isfinite(values.to_numpy(dtype=np.float64))
    x = values.to_numpy(dtype=np.float64)[keep]
    if len(x) == 0:
        return float("nan"), float("nan")
    w = np.ones_like(x) if weights is None else weights.to_numpy(dtype=np.float64)[keep]
    if w.sum() == 0:
        return float("nan"), float("nan")
    mean = float(np.dot(w, x) / w.sum())
    sem = float(np.sqrt(np.dot(w * w, (x - mean) ** 2)) / w.sum()) if len(x) > 1 else float("nan")
    return mean, sem


def summarise(records: pd.DataFrame) -> pd.DataFrame:
    """One row per method (labelled as in :data:`METHOD_LABELS`) with ``<metric>``, ``<metric>_random``
    and ``<metric>_sem`` for every metric of :data:`METRICS`, plus ``n_structures``, and when the records
    carry a GA seed-to-seed noise floor, ``seed_spearman`` and ``seed_topk`` (with ``_sem``; the same
    on every row).

    Curve areas are means weighted by ``|v(all) - v(empty)|`` (the ratio of summed raw areas to
    summed spans), so structures predicted close to the training mean do not dominate; the other
    metrics are plain means over the structures where they are defined.
    """
    table = {}
    has_floor = "ga_seed_spearman" in records and np.isfinite(records["ga_seed_spearman"].to_numpy(float)).any()
    for method in METHODS:
        part = records[records["method"] == method]
        row = {"n_structures": part["structure"].nunique()}
        for metric, (_, _, weighted) in METRICS.items():
            weights = part["weight"] if weighted else None
            row[metric], row[f"{metric}_sem"] = _aggregate(part[metric], weights)
            row[f"{metric}_random"], _ = _aggregate(part[f"{metric}_random"], weights)
        for floor in ("spearman", "topk") if has_floor else ():
            row[f"seed_{floor}"], row[f"seed_{floor}_sem"] = _aggregate(part[f"ga_seed_{floor}"], None)
        table[METHOD_LABELS[method]] = row
    columns = ["n_structures"] + [c for m in METRICS for c in (m, f"{m}_random")] + [f"{m}_sem" for m in METRICS]
    if has_floor:
        columns += ["seed_spearman", "seed_spearman_sem", "seed_topk", "seed_topk_sem"]
    return pd.DataFrame.from_dict(table, orient="index")[columns]


def attribution_report(structures: Iterable[Structure], predictor, **kwargs) -> pd.DataFrame:
    """Per-method table of every metric with the random baseline beside it (see :func:`summarise`);
    keywords as :func:`attribution_records`."""
    return summarise(attribution_records(structures, predictor, **kwargs))


def _cell(value: float, sem: float | None = None) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3f} ± {sem:.3f}" if sem is not None and np.isfinite(sem) else f"{value:.3f}"


def report_markdown(table: pd.DataFrame, *, title: str = "Attribution report", preamble: str = "",
                    sections: str = "", notes: Sequence[str] = ()) -> str:
    """Markdown for a :func:`summarise` table: one table per metric group, each metric beside its
    random-order baseline, mean ± standard error over structures; then ``sections`` (markdown with
    level-2 headings, e.g. :func:`.by_element.by_element_markdown`) and the notes."""
    groups = [("Agreement with GA and with Shapley values", ["spearman_ga", "topk_ga", "spearman_shapley",
                                                              "topk_shapley"]),
              ("Faithfulness under the masking game", ["deletion_area", "insertion_area"]),
              ("Sanity check: same architecture, random weights", ["sanity_spearman"])]
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble.strip(), ""]
    for heading, metrics in groups:
        header = ["method"] + [h for m in metrics for h in (f"{METRICS[m][0]} ({METRICS[m][1]})", "random")]
        lines += [f"## {heading}", "", "| " + " | ".join(header) + " |",
                  "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        for method, row in table.iterrows():
            cells = [str(method)] + [c for m in metrics for c in (_cell(row[m], row[f"{m}_sem"]),
                                                                   _cell(row[f"{m}_random"]))]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if metrics[0] == "spearman_ga" and "seed_spearman" in table:
            floor = table.iloc[0]
            lines += [f"**GA seed-to-seed noise floor:** the GA of two trainings of this model from different seeds "
                      f"agree at Spearman {_cell(floor['seed_spearman'], floor['seed_spearman_sem'])} and top-k "
                      f"overlap {_cell(floor['seed_topk'], floor['seed_topk_sem'])} on these structures; an "
                      "agreement with GA cannot be read more finely than that.", ""]
    if sections.strip():
        lines += [sections.strip(), ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)
