"""Segment (scatter) operations over concatenated graphs, in pure torch."""
from __future__ import annotations

import torch

__all__ = ["segment_sum", "segment_max", "segment_softmax"]


def segment_sum(values: torch.Tensor, index: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Sum rows of ``values`` (m, ...) into ``n_segments`` groups given by ``index`` (m,)."""
    out = values.new_zeros((n_segments, *values.shape[1:]))
    return out.index_add_(0, index, values)


def segment_max(values: torch.Tensor, index: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Per-segment maximum of ``values`` (m, ...); empty segments get 0."""
    out = values.new_zeros((n_segments, *values.shape[1:]))
    expanded = index.view(-1, *([1] * (values.dim() - 1))).expand_as(values)
    return out.scatter_reduce(0, expanded, values, reduce="amax", include_self=False)


def segment_softmax(logits: torch.Tensor, index: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Softmax of ``logits`` (m, ...) within each segment of ``index`` (m,)."""
    shifted = logits - segment_max(logits.detach(), index, n_segments)[index]
    weights = shifted.exp()
    return weights / segment_sum(weights, index, n_segments)[index]
