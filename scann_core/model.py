"""The SCANN / SCANN+ model: embed -> local attention blocks -> global attention -> readout."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.functional import silu

from .config import ModelConfig
from .graph import Batch
from .nn import GaussianExpansion, GlobalAttention, LocalAttentionBlock
from .nn.segment import segment_max

__all__ = ["ScannModel", "ScannOutput"]


@dataclass
class ScannOutput:
    """Model output for a batch.

    Attributes:
        prediction: (n_structures,) in standardised target units (see checkpoint scaler).
        ga: (n_atoms,) global attention, summing to 1 over each structure's atoms.
        embeddings: (n_atoms, dim) atom features after the last local block (before GA).
        local_attention: per block (n_edges, n_heads) weights, when requested.
    """

    prediction: torch.Tensor
    ga: torch.Tensor
    embeddings: torch.Tensor
    local_attention: list[torch.Tensor] | None = None


class ScannModel(nn.Module):
    """SCANN (Vu, Ha et al., npj Comput. Mater. 9, 215 (2023)); SCANN+ when ``variant='scann+'``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.dim
        self.embedding = nn.Embedding(len(config.elements), config.embed_dim)
        self.atom_projection = nn.Linear(config.embed_dim, dim)
        self.atom_dropout = nn.Dropout(config.dropout)
        self.distance_basis = GaussianExpansion(start=0.0, stop=config.cutoff, n=config.n_gaussians,
                                                width=config.gaussian_width)
        self.distance_projection = nn.Linear(config.n_gaussians, dim)
        self.plus = config.variant == "scann+"
        if self.plus:
            self.angle_basis = GaussianExpansion(start=0.0, stop=2 * math.pi, n=config.n_gaussians,
                                                 width=config.gaussian_width)
            self.angle_projection = nn.Linear(config.n_gaussians, dim)
        self.blocks = nn.ModuleList(
            LocalAttentionBlock(dim=dim, n_heads=config.n_heads, dropout=config.dropout, update_edges=self.plus)
            for _ in range(config.n_blocks))
        self.global_attention = GlobalAttention(dim=dim, mode=config.ga_mode, normalize=config.ga_normalize)
        # Not in the paper: when every structure looks alike (pure-carbon cages), structure vectors
        # differ by about 2 % and training collapses to a constant unless they are standardised.
        self.readout_norm = nn.BatchNorm1d(dim) if config.readout_norm else None
        self.readout = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, 1))

    def edge_features(self, batch: Batch) -> torch.Tensor:
        """(n_edges, dim) geometric edge features from distances and Voronoi solid angles."""
        centre, neighbour = batch.edge_index
        r = batch.positions[neighbour] + batch.edge_shift - batch.positions[centre]
        distance = torch.linalg.vector_norm(r, dim=-1)
        distance_features = silu(self.distance_projection(self.distance_basis(distance)))
        if self.plus:
            return distance_features * silu(self.angle_projection(self.angle_basis(batch.solid_angle)))
        largest = segment_max(batch.solid_angle, centre, batch.species.shape[0])
        return distance_features * (batch.solid_angle / largest[centre]).unsqueeze(-1)

    def _standardise(self, pooled: torch.Tensor) -> torch.Tensor:
        """(n_structures, dim) batch-standardised structure vectors; a training batch of one
        structure uses the running statistics (batch statistics need two)."""
        norm = self.readout_norm
        use_batch = self.training and pooled.shape[0] > 1
        if use_batch:
            norm.num_batches_tracked += 1
        return nn.functional.batch_norm(pooled, norm.running_mean, norm.running_var, norm.weight, norm.bias,
                                        training=use_batch, momentum=norm.momentum, eps=norm.eps)

    def encode(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """Structure vectors (n_structures, dim) before the readout, GA (n_atoms,), atom features
        (n_atoms, dim) and the local attention of every block ((n_edges, n_heads) each)."""
        h = self.atom_dropout(silu(self.atom_projection(self.embedding(batch.species))))
        e = self.edge_features(batch)
        attention = []
        for block in self.blocks:
            h, e, alpha = block(h, e, batch.edge_index)
            attention.append(alpha)
        pooled, ga = self.global_attention(h, batch.batch, batch.n_structures)
        return pooled, ga, h, attention

    def forward(self, batch: Batch, *, return_local_attention: bool = False) -> ScannOutput:
        pooled, ga, h, attention = self.encode(batch)
        if self.readout_norm is not None:
            pooled = self._standardise(pooled)
        prediction = self.readout(pooled).squeeze(-1)
        return ScannOutput(prediction, ga, h, attention if return_local_attention else None)

    @torch.no_grad()
    def fit_readout_statistics(self, pooled: torch.Tensor) -> None:
        """Set the running statistics of ``readout_norm`` to the exact mean and variance of
        ``pooled`` (n_structures, dim), e.g. every training structure under the current weights.
        The exponential average that training keeps lags weights that change fast, and with
        structure vectors as alike as a fullerene's a small lag is blown up at inference."""
        norm = self.readout_norm
        norm.running_mean.copy_(pooled.mean(0).to(norm.running_mean))
        norm.running_var.copy_(pooled.var(0).to(norm.running_var))
