"""Global attention (GA) pooling of SCANN: one score per atom, O(N d) per structure."""
from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from .segment import segment_softmax, segment_sum


class GlobalAttention(nn.Module):
    """Pool atom features into one vector per structure and return the per-atom GA.

    With ``q_i = W_Q h_i`` and ``k_i = W_K h_i``:

    - ``mode='paper'``: ``s_i = k_i . sum_{j != i} q_j`` (column sums of Q K^T without the
      diagonal, computed as ``k_i . (sum_j q_j - q_i)``), optionally divided by the L2 norm of
      s over the structure (``normalize``), which bounds GA_max / GA_min by e^sqrt(2).
    - ``mode='size_consistent'``: ``s_i = k_i . mean_j q_j / sqrt(d)``, unchanged when the cell is
      repeated, so an n-fold supercell gives GA / n repeated and the same pooled vector.

    ``GA = softmax(s)`` over the atoms of each structure and ``x_S = sum_i GA_i k_i``.
    """

    def __init__(self, *, dim: int, mode: Literal["paper", "size_consistent"], normalize: bool) -> None:
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.mode, self.normalize, self.scale = mode, normalize, 1.0 / math.sqrt(dim)

    def scores(self, h: torch.Tensor, batch: torch.Tensor, n_structures: int):
        """Unnormalised scores s (n_atoms,) and keys k (n_atoms, dim)."""
        q, k = self.query(h), self.key(h)
        total = segment_sum(q, batch, n_structures)
        if self.mode == "paper":
            s = (k * (total[batch] - q)).sum(-1)
            if self.normalize:
                norm = segment_sum(s * s, batch, n_structures).clamp_min(1e-12).sqrt()
                s = s / norm[batch]
        else:
            count = segment_sum(h.new_ones(h.shape[0]), batch, n_structures)
            s = (k * (total / count[:, None])[batch]).sum(-1) * self.scale
        return s, k

    def forward(self, h: torch.Tensor, batch: torch.Tensor, n_structures: int):
        """Args: h (n_atoms, dim), batch (n_atoms,) structure index.

        Returns: x (n_structures, dim) pooled vectors, ga (n_atoms,) summing to 1 per structure.
        """
        s, k = self.scores(h, batch, n_structures)
        ga = segment_softmax(s, batch, n_structures)
        return segment_sum(ga.unsqueeze(-1) * k, batch, n_structures), ga
