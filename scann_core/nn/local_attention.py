"""LocalAttention block of SCANN (Vu et al. 2023, Fig. 1 and Methods)."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import silu

from .segment import segment_softmax, segment_sum


class LocalAttentionBlock(nn.Module):
    """One LocalAttention block.

    With ``update_edges`` (SCANN+) the edge features are first updated,
    ``e_ij <- LN(e_ij + swish(W [h_i | e_ij | h_j]))``; then, per head,
    ``m_ij = h_j * e_ij``, ``q_i = W_q h_i``, ``k_ij = W_k m_ij``,
    ``alpha_ij = softmax_j(q_i . k_ij / sqrt(d_head))`` over the neighbours of i,
    ``c_i = LN(sum_j alpha_ij k_ij + q_i)`` and ``h_i <- LN(c_i + Dropout(FFN(c_i)))``.
    The concatenation ``W [h_i | e | h_j]`` is computed as ``W_1 h_i + W_2 e + W_3 h_j`` with
    the node terms evaluated per atom, which is the same function at a fraction of the cost.
    """

    def __init__(self, *, dim: int, n_heads: int, dropout: float, update_edges: bool) -> None:
        super().__init__()
        self.n_heads, self.head_dim = n_heads, dim // n_heads
        self.update_edges = update_edges
        if update_edges:
            self.edge_from_centre = nn.Linear(dim, dim, bias=False)
            self.edge_from_self = nn.Linear(dim, dim)
            self.edge_from_neighbour = nn.Linear(dim, dim, bias=False)
            self.edge_norm = nn.LayerNorm(dim)
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.attention_norm = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Dropout(dropout), nn.Linear(dim, dim))
        self.output_norm = nn.LayerNorm(dim)

    def forward(self, h: torch.Tensor, e: torch.Tensor, edge_index: torch.Tensor):
        """Args: h (n_atoms, dim), e (n_edges, dim), edge_index (2, n_edges) [centre, neighbour].

        Returns: h (n_atoms, dim), e (n_edges, dim), alpha (n_edges, n_heads).
        """
        centre, neighbour = edge_index
        if self.update_edges:
            update = self.edge_from_centre(h)[centre] + self.edge_from_self(e) + self.edge_from_neighbour(h)[neighbour]
            e = self.edge_norm(e + silu(update))
        q = self.query(h)
        k = self.key(h[neighbour] * e).view(-1, self.n_heads, self.head_dim)
        logits = (q[centre].view(-1, self.n_heads, self.head_dim) * k).sum(-1) / math.sqrt(self.head_dim)
        alpha = segment_softmax(logits, centre, h.shape[0])
        context = segment_sum((alpha.unsqueeze(-1) * k).flatten(1), centre, h.shape[0])
        c = self.attention_norm(context + q)
        h = self.output_norm(c + self.feed_forward(c))
        return h, e, alpha
