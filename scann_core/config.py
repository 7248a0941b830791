"""Frozen, validated configurations: the model (with every preprocessing parameter) and training."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Literal

__all__ = ["ModelConfig", "TrainConfig", "config_from_dict"]


@dataclass(frozen=True)
class ModelConfig:
    """SCANN architecture and the featurisation it expects.

    ``ga_mode='paper'`` is the published global attention (sum over the other atoms, optional
    L2 normalisation of the scores); ``'size_consistent'`` uses the mean over all atoms and no
    normalisation, so an n-fold supercell gives the same prediction and GA / n, repeated.
    ``readout_norm`` (not in the paper) standardises the structure vector with batch statistics
    before the readout (running statistics at inference, so a prediction never depends on the
    batch); GA is computed before it and keeps its meaning. Needed for pure-carbon fullerenes, whose
    structure vectors differ by about 2 % at initialisation, and training collapses to a constant.
    """

    elements: tuple[int, ...]
    variant: Literal["scann+", "scann"] = "scann+"
    n_blocks: int = 7
    dim: int = 128
    embed_dim: int = 48
    n_heads: int = 8
    n_gaussians: int = 20
    gaussian_width: float = 0.5  # sigma^2 = 0.25 A^2 in exp(-(d - mu)^2 / sigma^2)
    cutoff: float = 4.0  # d_t and the top of the distance expansion (A)
    min_solid_angle: float = 0.4  # w_t (sr)
    min_ratio: float = 0.2  # solid angle / largest solid angle of the centre atom
    ga_mode: Literal["paper", "size_consistent"] = "paper"
    ga_normalize: bool = True
    readout_norm: bool = False  # standardise the structure vector over the batch before the readout
    dropout: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", tuple(sorted(int(z) for z in self.elements)))
        if self.variant not in ("scann+", "scann"):
            raise ValueError(f"variant must be 'scann+' or 'scann', not {self.variant!r}.")
        if self.ga_mode not in ("paper", "size_consistent"):
            raise ValueError(f"ga_mode must be 'paper' or 'size_consistent', not {self.ga_mode!r}.")
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}.")

    def neighbor_kwargs(self) -> dict[str, float]:
        return {"cutoff": self.cutoff, "min_solid_angle": self.min_solid_angle, "min_ratio": self.min_ratio}


@dataclass(frozen=True)
class TrainConfig:
    """One training run. ``dataset`` is 'qm9' (with ``target`` a QM9 target) or an extended XYZ
    file (with ``target`` a header key and ``unit`` its unit)."""

    name: str
    dataset: str = "qm9"
    target: str = "homo"
    unit: str | None = None
    epochs: int = 150
    batch_size: int = 128
    lr: float = 5e-4
    min_lr: float = 1e-5
    warmup_epochs: float = 1.0
    weight_decay: float = 0.0
    loss: Literal["l1", "mse"] = "l1"
    patience: int = 50
    limit: int | None = None  # use only the first `limit` molecules of each split (smoke runs)
    bf16: bool = True
    compile: bool = False  # torch.compile the training forward pass (about 2x on CPU, minutes to compile)
    seed: int = 0
    save_every_minutes: float = 5.0
    workers: int = 2


def config_from_dict(cls, data: dict):
    """Build ``cls`` from a dict, refusing unknown keys."""
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}.")
    return cls(**data)


def to_dict(config) -> dict:
    data = asdict(config)
    if "elements" in data:
        data["elements"] = list(data["elements"])
    return data
