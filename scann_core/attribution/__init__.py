"""Per-atom attributions beside the global attention, and how far to trust each one.

One masking game (:mod:`.masking`: removing atoms drops them and their edges from the graph and
from the GA pooling; ``v(empty)`` = training mean) underlies occlusion, Shapley values and the
deletion / insertion curves. See ``docs/ATTRIBUTION.md`` for a report on a shipped model.
"""
from .masking import (EMPTY_STANDARDISED, ValueFunction, coalition_values, empty_value, full_masks, masking_game,
                      subgraph)
from .methods import (IntegratedGradients, global_attention, integrated_gradients, leave_one_out, occlusion,
                      shapley_values)
from .shapley import (DEFAULT_PERMUTATIONS, MAX_EXACT_PLAYERS, ShapleyResult, exact_shapley, kernel_shapley,
                      sampled_shapley, shapley)
from .metrics import (deletion_curve, ga_sanity, insertion_curve, normalised_area, oriented, random_scores,
                      randomized_model, ranking, spearman, top_k_overlap)
from .by_element import by_element_markdown, element_shares, subset_agreement
from .report import (METHOD_LABELS, METHODS, METRICS, StructureAttributions, atom_records, attribution_records,
                     attribution_report, explain, explain_graph, report_markdown, sampled_shapley_repeatability,
                     structure_metrics, summarise)

__all__ = [
    "EMPTY_STANDARDISED", "ValueFunction", "coalition_values", "empty_value", "full_masks", "masking_game", "subgraph",
    "DEFAULT_PERMUTATIONS", "MAX_EXACT_PLAYERS", "IntegratedGradients", "ShapleyResult", "exact_shapley",
    "global_attention", "integrated_gradients", "kernel_shapley", "leave_one_out", "occlusion", "sampled_shapley",
    "shapley", "shapley_values",
    "deletion_curve", "ga_sanity", "insertion_curve", "normalised_area", "oriented", "random_scores",
    "randomized_model", "ranking", "spearman", "top_k_overlap",
    "METHOD_LABELS", "METHODS", "METRICS", "StructureAttributions", "atom_records", "attribution_records",
    "attribution_report", "explain", "explain_graph", "report_markdown", "sampled_shapley_repeatability",
    "structure_metrics", "summarise", "by_element_markdown", "element_shares", "subset_agreement",
]
