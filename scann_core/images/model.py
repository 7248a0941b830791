"""Pixel-token Transformer for image windows, returning per-pixel received attention.

Each pixel of a ``ws x ws`` window is one token (row-major order: token ``t`` is pixel
``(t // ws, t % ws)``).  The model follows the pixel-token design of Slautin et al.,
"Attention-based explainability for structure-property relationships" (2025):

    h_t   = W_v x_t + b + p_t                      (value embedding + learned position)
    a     = softmax(Q K^T / sqrt(d_head))  per head (n_heads, L, L), rows = queries
    h    <- h + MHA(LN(h));  h <- h + FFN(LN(h))   (one pre-norm encoder layer)
    y     = W_o mean_t LN(h)_t + b_o               (mean pooling, linear head)

The per-pixel attention score is the attention a pixel *receives*, averaged over heads
and summed over queries: ``score[j] = sum_i mean_h a[h, i, j]``; since every query row
sums to 1, the scores of one window sum to ``L = ws**2``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["PixelTransformer", "PixelTransformerOutput", "attention_scores", "tokenize"]


def tokenize(windows: torch.Tensor) -> torch.Tensor:
    """Windows -> pixel tokens.

    Args:
        windows: (B, ws, ws) pixel values.

    Returns:
        (B, ws*ws, 1) tokens in row-major order (token ``t`` = pixel ``(t // ws, t % ws)``).
    """
    if windows.ndim != 3 or windows.shape[1] != windows.shape[2]:
        raise ValueError(f"Expected windows of shape (B, ws, ws), got {tuple(windows.shape)}.")
    return windows.reshape(windows.shape[0], -1, 1)


def attention_scores(attention: torch.Tensor, window_size: int) -> torch.Tensor:
    """Attention received per pixel, averaged over heads and summed over queries.

    Args:
        attention: (B, n_heads, L, L) weights, ``attention[b, h, i, j]`` = weight query ``i``
            gives key ``j`` (rows sum to 1), with ``L = window_size**2``.
        window_size: ws.

    Returns:
        (B, ws, ws) scores; each window's scores sum to ``L`` (the number of queries).
    """
    received = attention.mean(dim=1).sum(dim=1)  # (B, L): mean over heads, sum over queries
    return received.reshape(attention.shape[0], window_size, window_size)


@dataclass
class PixelTransformerOutput:
    """Model output for a batch of windows.

    Attributes:
        prediction: (B, n_targets) in the units the model was trained in (standardised).
        attention: (B, n_heads, L, L) attention weights of the encoder layer (rows = queries).
        scores: (B, ws, ws) received attention per pixel (see :func:`attention_scores`).
    """

    prediction: torch.Tensor
    attention: torch.Tensor
    scores: torch.Tensor


class PixelSelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention (Vaswani et al. 2017) that returns its weights."""

    def __init__(self, *, dim: int, n_heads: int) -> None:
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"dim={dim} is not divisible by n_heads={n_heads}.")
        self.n_heads = n_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L, dim) -> ((B, L, dim) update, (B, n_heads, L, L) weights)."""
        b, length, dim = h.shape
        d_head = dim // self.n_heads
        q, k, v = self.qkv(h).reshape(b, length, 3, self.n_heads, d_head).permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d_head), dim=-1)  # (B, H, L, L)
        mixed = (weights @ v).transpose(1, 2).reshape(b, length, dim)
        return self.out(mixed), weights


class PixelTransformer(nn.Module):
    """One-layer pixel-token Transformer with mean pooling (see the module docstring)."""

    def __init__(self, *, window_size: int, dim: int = 32, n_heads: int = 8, ff_dim: int = 64,
                 n_targets: int = 1) -> None:
        super().__init__()
        self.window_size = int(window_size)
        n_tokens = self.window_size ** 2
        self.value_embedding = nn.Linear(1, dim)
        self.position_embedding = nn.Parameter(0.1 * torch.randn(n_tokens, dim))
        self.norm_attention = nn.LayerNorm(dim)
        self.attention = PixelSelfAttention(dim=dim, n_heads=n_heads)
        self.norm_ff = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(nn.Linear(dim, ff_dim), nn.GELU(), nn.Linear(ff_dim, dim))
        self.norm_out = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_targets)

    def forward(self, windows: torch.Tensor) -> PixelTransformerOutput:
        """Args: windows (B, ws, ws), standardised pixel values."""
        if windows.shape[-1] != self.window_size:
            raise ValueError(f"The model takes {self.window_size}x{self.window_size} windows, "
                             f"got {tuple(windows.shape[-2:])}.")
        h = self.value_embedding(tokenize(windows)) + self.position_embedding  # (B, L, dim)
        update, weights = self.attention(self.norm_attention(h))
        h = h + update
        h = h + self.feed_forward(self.norm_ff(h))
        pooled = self.norm_out(h).mean(dim=1)  # (B, dim)
        return PixelTransformerOutput(self.head(pooled), weights, attention_scores(weights, self.window_size))
