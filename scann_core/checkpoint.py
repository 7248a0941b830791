"""Checkpoints that carry everything needed to reproduce a prediction.

A checkpoint is a plain dict readable with ``torch.load(weights_only=True)``:
``format_version`` (int), ``code_version``, ``config`` (the :class:`ModelConfig`, which holds
every preprocessing parameter), ``state_dict``, ``target`` (name, unit, mean, std as floats)
and ``card`` (free-form model card: data, split, metrics, level of theory).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ._version import __version__
from .config import ModelConfig, config_from_dict, to_dict
from .model import ScannModel

__all__ = ["FORMAT_VERSION", "TargetInfo", "CheckpointError", "save_checkpoint", "load_checkpoint"]

FORMAT_VERSION = 1
# format version -> function upgrading a checkpoint dict of that version to the next one
_MIGRATIONS: dict[int, object] = {}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class TargetInfo:
    """The property a model predicts and the standardisation of its output."""

    name: str
    unit: str
    mean: float
    std: float


def save_checkpoint(path: str | Path, model: ScannModel, target: TargetInfo, card: dict | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": FORMAT_VERSION,
        "code_version": __version__,
        "config": to_dict(model.config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "target": {"name": target.name, "unit": target.unit, "mean": float(target.mean), "std": float(target.std)},
        "card": card or {},
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[ScannModel, TargetInfo, dict]:
    """Load (model in eval mode, target info, card); refuse unknown formats with a clear message."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as error:
        raise CheckpointError(f"{path.name} is not a readable SCANN checkpoint ({error}).") from error
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise CheckpointError(f"{path.name} is not a SCANN checkpoint (no format_version).")
    version = payload["format_version"]
    while version < FORMAT_VERSION and version in _MIGRATIONS:
        payload = _MIGRATIONS[version](payload)
        version = payload["format_version"]
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path.name} has checkpoint format {version}, but this version of scann_core "
                              f"reads format {FORMAT_VERSION}; use the matching scann_core release.")
    config = config_from_dict(ModelConfig, payload["config"])
    model = ScannModel(config)
    model.load_state_dict(payload["state_dict"], strict=True)
    model.to(device).eval()
    return model, TargetInfo(**payload["target"]), dict(payload["card"])

