"""Glue between the Streamlit pages and the library; the one library package importing streamlit.

The pages import this package as ``sup`` and see every name below. Its modules have one role each:
:mod:`.formatting` (pure helpers: messages, labels, tables, downloads; no Streamlit),
:mod:`.session` (session state, cached library calls, structure input, the viewer frame),
:mod:`.model_cards` (the Models page), :mod:`.reference_view` (the B3LYP reference panel),
:mod:`.cross_checks` (the orbital models' gap and the second-seed check of a GA map) and
:mod:`.attribution_view` (the attention-vs-attribution page). Library modules are imported inside
functions, so the app starts (and shows a clear message) when a part of the library is missing.
"""
from __future__ import annotations

from .attribution_view import (
    AUTO_ATTRIBUTION_ATOMS,
    EVALUATION_SETS,
    AttributionResult,
    attribution_results_dir,
    attribution_table,
    cached_attributions,
    comparable_scores,
    compute_attributions,
    evaluation_element_shares,
    evaluation_metrics,
    shapley_description,
    structure_metric_table,
    symmetry_caption,
)
from .formatting import (
    PROPERTY_LABELS,
    UPLOAD_TYPES,
    atom_table,
    device_label,
    display_unit,
    extxyz_bytes,
    file_stem,
    format_number,
    gallery_options,
    missing_qm9_properties,
    model_options,
    site_table,
    table_csv,
    try_call,
    user_message,
)
from .model_cards import mae_table, model_card_rows, size_table, weights_note
from .reference_view import (
    REFERENCE_BASES,
    REFERENCE_DEFAULT_BASIS,
    REFERENCE_KINDS,
    REFERENCE_MAX_ATOMS,
    add_reference_columns,
    lookup_reference,
    orbital_agreement_row,
    reference_comparison,
    reference_jobs,
    reference_kind_for,
    reference_status,
    reference_summary,
    symmetry_classes,
    symmetry_note,
    top_overlap,
    typical_agreement,
)
from .cross_checks import SeedCheck, orbital_gap_sentence, seed_check, seed_floor, seed_floor_phrase, seed_model_for
from .session import (
    PredictionResult,
    cached_prediction,
    init_state,
    list_gallery,
    list_models,
    load_gallery,
    load_into_state,
    load_predictor,
    loaded_structure,
    models_for,
    parse_smiles,
    parse_upload,
    render_viewer,
    structure_input,
    structure_key,
)

__all__ = [
    "AUTO_ATTRIBUTION_ATOMS", "AttributionResult", "PROPERTY_LABELS", "PredictionResult", "REFERENCE_BASES",
    "REFERENCE_DEFAULT_BASIS", "REFERENCE_KINDS", "REFERENCE_MAX_ATOMS", "UPLOAD_TYPES", "add_reference_columns",
    "atom_table", "attribution_results_dir", "attribution_table", "cached_attributions", "cached_prediction",
    "comparable_scores", "compute_attributions", "device_label", "display_unit", "evaluation_element_shares",
    "evaluation_metrics", "EVALUATION_SETS",
    "extxyz_bytes", "file_stem", "format_number", "gallery_options", "init_state", "list_gallery", "list_models",
    "load_gallery", "load_into_state", "load_predictor", "loaded_structure", "lookup_reference", "mae_table",
    "missing_qm9_properties", "model_card_rows", "size_table", "model_options", "models_for", "orbital_agreement_row",
    "orbital_gap_sentence", "parse_smiles", "parse_upload", "SeedCheck", "seed_check", "seed_floor",
    "seed_floor_phrase", "seed_model_for",
    "reference_comparison", "reference_jobs", "reference_status", "reference_summary", "render_viewer", "shapley_description",
    "site_table", "structure_input", "structure_key", "structure_metric_table", "symmetry_caption", "symmetry_classes",
    "symmetry_note", "table_csv", "top_overlap", "try_call", "typical_agreement", "user_message", "weights_note",
]
