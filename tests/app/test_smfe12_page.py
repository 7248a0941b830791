"""The SmFe12 page under AppTest with a tiny untrained crystal model on the real dataset."""
from __future__ import annotations

import math
import re
import sys

import pytest
from streamlit.testing.v1 import AppTest

from .fakes import ROOT

PAGE = ROOT / "pages" / "5_SmFe12_sites.py"
TIMEOUT = 120


@pytest.fixture
def crystal_model(monkeypatch, tmp_path):
    """An untrained size-consistent ScannModel shipped as 'smfe12_ef' (real Predictor, ThMn12 domain)."""
    import streamlit as st
    import torch

    import scann_core.predict as predict
    from scann_core.checkpoint import TargetInfo, save_checkpoint
    from scann_core.config import ModelConfig
    from scann_core.model import ScannModel

    torch.manual_seed(0)
    config = ModelConfig(elements=(13, 22, 26, 27, 29, 30, 31, 42, 62), n_blocks=1, dim=16, embed_dim=8, n_heads=2,
                         n_gaussians=8, cutoff=6.0, ga_mode="size_consistent", ga_normalize=False)
    card = {"name": "smfe12_ef", "kind": "crystal", "structure_type": "ThMn12", "preliminary": True,
            "max_train_atoms": 26, "test_mae": None}
    save_checkpoint(tmp_path / "smfe12_ef.pt", ScannModel(config).eval(),
                    TargetInfo("formation_energy_per_atom", "eV/atom", -0.08, 0.03), card)
    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp_path)
    monkeypatch.setitem(sys.modules, "scann_core.predict", predict)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _page() -> AppTest:
    return AppTest.from_file(str(PAGE), default_timeout=TIMEOUT).run()


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_two_pure_variants_get_a_prediction_and_a_shared_scale(crystal_model):
    at = _page()
    _no_exception(at)
    metrics = [m for m in at.metric if m.label == "Predicted E_f (meV/atom)"]
    assert len(metrics) == 2 and metrics[0].value == metrics[1].value and math.isfinite(float(metrics[0].value))
    assert len(at.get("iframe")) == 2
    assert any(c.label == "CHGNet E_f of SmFe12 (meV/atom)" for c in at.metric)


def test_co_on_an_8i_site(crystal_model):
    at = _page()
    at.selectbox(key="smfe_A_element").set_value("Co")
    at.multiselect(key="smfe_A_sites").set_value(["Fe 11 · 8i"])
    at.run()
    _no_exception(at)
    ratios = next(d.value for d in at.dataframe if "GA(X) / min GA(Fe)" in d.value.columns)
    assert list(ratios["element"]) == ["Co"] and list(ratios["Wyckoff"]) == ["8i"] and list(ratios["atom"]) == [11]
    assert ratios["GA(X) / min GA(Fe)"].iloc[0] > 0
    views = [frame.proto.srcdoc for frame in at.get("iframe")]
    assert len(re.findall(r"viewer_\w+\.addSphere", views[0])) == 1  # the substituted site is ringed
    assert not re.search(r"viewer_\w+\.addSphere", views[1])  # pure SmFe12: nothing to ring
    assert any(m.label == "CHGNet E_f of Co10 (meV/atom)" for m in at.metric)  # found in the dataset by symmetry
    star_names = [t.name for t in _map_traces(at)]
    assert "A: Co 8i" in star_names


def _map_traces(at: AppTest):
    import plotly.io

    charts = [c for c in at.get("plotly_chart") if "customdata" in c.proto.spec]
    assert charts, "no dataset map"
    return plotly.io.from_json(charts[0].proto.spec).data


def test_dataset_configuration_and_map_filters(crystal_model):
    at = _page()
    at.radio(key="smfe_B_source").set_value("From the dataset").run()
    at.selectbox(key="smfe_B_config").set_value("Ti18").run()
    _no_exception(at)
    assert any(m.label == "CHGNet E_f of Ti18 (meV/atom)" for m in at.metric)
    at.multiselect(key="smfe_map_sites").set_value(["8j"]).run()
    _no_exception(at)
    sites = {point[2] for trace in _map_traces(at) if trace.customdata is not None for point in trace.customdata}
    assert sites == {"8j"}


def test_a_strongly_relaxed_dataset_cell_gets_a_prediction(crystal_model):
    """Zn02_Zn03 was once refused as 'not a ThMn12-type structure' (tests/test_crystal_sites.py)."""
    at = _page()
    at.radio(key="smfe_B_source").set_value("From the dataset").run()
    at.selectbox(key="smfe_B_config").set_value("Zn02_Zn03").run()
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert len([m for m in at.metric if m.label == "Predicted E_f (meV/atom)"]) == 2


def test_page_without_the_model_says_so(monkeypatch, tmp_path):
    import scann_core.predict as predict

    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp_path)
    at = _page()
    _no_exception(at)
    assert any("smfe12_ef model is not installed" in w.value for w in at.warning)
