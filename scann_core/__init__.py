"""SCANN attention networks for molecules and crystals, with per-atom global attention (GA).

The public API is below; names are imported on first use, so ``import scann_core`` is cheap
and runs nothing (the app's pure helpers do not pay for torch until they need it).
"""
from __future__ import annotations

from importlib import import_module

from ._version import __version__

_API = {
    "Structure": "structure", "StructureError": "structure", "validate_structure": "structure",
    "load_structure": "io", "structure_from_smiles": "io", "write_extxyz": "io",
    "voronoi_neighbors": "neighbors", "NeighborList": "neighbors",
    "ModelConfig": "config", "TrainConfig": "config",
    "ScannModel": "model", "ScannOutput": "model",
    "build_graph": "graph", "collate": "graph",
    "save_checkpoint": "checkpoint", "load_checkpoint": "checkpoint",
    "Predictor": "predict", "Prediction": "predict", "available_models": "predict",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        value = getattr(import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scann_core' has no attribute {name!r}")
