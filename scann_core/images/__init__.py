"""Attention versus SHAP on image windows (pixel-token Transformer, known-truth benchmark).

See docs/IMAGES.md for the file format, the model, the benchmark and the success measure.
"""
from .attribution import (default_k, deletion_area, deletion_curves, exact_shapley, shapley_permutation,
                          spearman_per_window, topk_overlap, topk_recovery)
from .benchmark import IMPORTANT_LEVEL, BenchmarkSpec, important_mask, make_benchmark
from .data import (WindowSet, WindowSetError, load_window_set, overlapping_pairs, per_window_rmse,
                   save_window_set, spatial_split)
from .model import PixelTransformer, PixelTransformerOutput, attention_scores, tokenize
from .pipeline import ImageExperiment, metrics_table, run_image_experiment
from .train import ImageTrainConfig, WindowModel, fit_window_model

__all__ = [
    "IMPORTANT_LEVEL", "BenchmarkSpec", "ImageExperiment", "ImageTrainConfig", "PixelTransformer",
    "PixelTransformerOutput", "WindowModel", "WindowSet", "WindowSetError", "attention_scores", "default_k",
    "deletion_area", "deletion_curves", "exact_shapley", "fit_window_model", "important_mask", "load_window_set",
    "make_benchmark", "metrics_table", "overlapping_pairs", "per_window_rmse", "run_image_experiment",
    "save_window_set", "shapley_permutation", "spatial_split", "spearman_per_window", "tokenize", "topk_overlap",
    "topk_recovery",
]
