"""Gaussian basis expansion of a scalar (distances, solid angles)."""
from __future__ import annotations

import torch
from torch import nn


class GaussianExpansion(nn.Module):
    """``x (m,) -> exp(-(x - mu_k)^2 / width^2)``, (m, n) with n centres evenly on [start, stop]."""

    def __init__(self, *, start: float, stop: float, n: int, width: float) -> None:
        super().__init__()
        self.register_buffer("centres", torch.linspace(start, stop, n), persistent=False)
        self.inv_width2 = 1.0 / width**2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-((x[:, None] - self.centres) ** 2) * self.inv_width2)
