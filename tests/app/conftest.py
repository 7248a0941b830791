"""Fixtures for the app tests: a fake gallery and a fake predictor that need no trained model.

The pages import ``scann_core.gallery`` and ``scann_core.predict`` inside functions, so
putting stand-in modules into ``sys.modules`` swaps the back end for a test without
touching the page code.  Streamlit's caches are cleared around every test.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from .fakes import fake_gallery_module, fake_predict_module  # noqa: E402


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def fake_backend(monkeypatch):
    """Fake gallery (methane, water, silane), fake molecule models 'qm9_homo' and 'qm9_lumo' and a
    fake crystal model 'fake_crystal'."""
    monkeypatch.setitem(sys.modules, "scann_core.gallery", fake_gallery_module())
    monkeypatch.setitem(sys.modules, "scann_core.predict", fake_predict_module(["qm9_homo", "qm9_lumo", "fake_crystal"]))
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def no_models(monkeypatch):
    """Fake gallery and no trained model at all."""
    monkeypatch.setitem(sys.modules, "scann_core.gallery", fake_gallery_module())
    monkeypatch.setitem(sys.modules, "scann_core.predict", fake_predict_module([]))
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def tiny_real_model(monkeypatch, tmp_path):
    """A tiny untrained ScannModel saved as the only shipped model 'qm9_homo' (real Predictor).

    The fake gallery stays; ``scann_core.predict`` is the real module with its model folder
    pointed at ``tmp_path``.
    """
    import torch

    import scann_core.predict as predict
    from scann_core.checkpoint import TargetInfo, save_checkpoint
    from scann_core.config import ModelConfig
    from scann_core.model import ScannModel

    torch.manual_seed(0)
    config = ModelConfig(elements=(1, 6, 7, 8, 9), n_blocks=1, dim=16, embed_dim=8, n_heads=2, n_gaussians=8)
    card = {"name": "qm9_homo", "level_of_theory": "B3LYP/6-31G(2df,p)", "preliminary": False,
            "max_train_atoms": 29, "test_mae": None}
    save_checkpoint(tmp_path / "qm9_homo.pt", ScannModel(config).eval(), TargetInfo("homo", "eV", -6.5, 0.6), card)
    monkeypatch.setitem(sys.modules, "scann_core.gallery", fake_gallery_module())
    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp_path)
    monkeypatch.setitem(sys.modules, "scann_core.predict", predict)
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """Every app test gets its own empty run-time cache (orbital references, features)."""
    monkeypatch.setenv("SCANN_CACHE", str(tmp_path / "scann_cache"))
