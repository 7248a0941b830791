"""The Pt-on-graphene page under AppTest: hand-built sheets and a tiny untrained model."""
from __future__ import annotations

import re
import sys

import pytest
from streamlit.testing.v1 import AppTest

from conftest import tiny_sheet_model, write_pt_graphene_dataset
from scann_core import deformation_explorer as dx

from .fakes import ROOT

PAGE = ROOT / "pages" / "6_Pt_on_graphene.py"
TIMEOUT = 120


@pytest.fixture
def sheets(monkeypatch, tmp_path):
    """The page reads four hand-built snapshots (dataset path patched) and has no summary file."""
    import streamlit as st

    monkeypatch.setattr(dx, "DATASET_PATH", write_pt_graphene_dataset(tmp_path / "pt_graphene.extxyz.gz"))
    monkeypatch.setattr(dx, "SUMMARY_PATH", tmp_path / "summary.csv")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def sheet_model(monkeypatch, sheets):
    """An untrained carbon model shipped as 'pt_graphene_deformation' (real Predictor)."""
    import scann_core.predict as predict
    from scann_core.checkpoint import save_checkpoint

    save_checkpoint(tmp := sheets / "pt_graphene_deformation.pt", *tiny_sheet_model(),
                    {"name": "pt_graphene_deformation", "kind": "crystal", "preliminary": True, "test_mae": 0.3,
                     "mean_predictor_test_mae": 0.2})
    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp.parent)
    monkeypatch.setitem(sys.modules, "scann_core.predict", predict)


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _spheres(html: str) -> int:
    return len(re.findall(r"viewer_\w+\.addSphere", html))


def test_page_shows_ga_beside_each_reference(sheet_model):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert at.selectbox(key="ptg_snapshot").options == ["Pt1-top-T300-s2-0", "Pt1-top-T300-s3-0"]  # test split
    labels = {m.label: m.value for m in at.metric}
    assert labels["CHGNet deformation energy"] == "50 meV" and labels["Predicted"].endswith("meV")
    views = [frame.proto.srcdoc for frame in at.get("iframe")]
    assert len(views) == 2 and all(_spheres(v) == 1 for v in views)  # the Pt atom is marked in both
    agreement = at.dataframe[0].value
    assert list(agreement["what"]) == [label for label, _ in dx.REFERENCES.values()]
    assert agreement["spearman"].between(-1, 1).all()
    assert any("not been computed" in i.value for i in at.info)  # no test-set summary yet

    at.selectbox(key="ptg_reference").set_value("curvature").run()
    _no_exception(at)
    assert any(m.value.startswith("**local curvature") for m in at.markdown)
    reference_view = at.get("iframe")[1].proto.srcdoc
    assert "local curvature (+ convex towards Pt) = " in reference_view  # hover labels name the reference


def test_page_without_model_shows_the_references(sheets, monkeypatch):
    import scann_core.predict as predict

    monkeypatch.setattr(predict, "PRETRAINED_DIR", sheets / "no_models")
    monkeypatch.setitem(sys.modules, "scann_core.predict", predict)
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert any("not installed" in w.value for w in at.warning)
    assert len(at.get("iframe")) == 1  # the reference view only


def test_page_without_dataset_says_so(monkeypatch, tmp_path):
    import streamlit as st

    monkeypatch.setattr(dx, "DATASET_PATH", tmp_path / "missing.extxyz.gz")
    st.cache_data.clear()
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert any("not available" in w.value for w in at.warning)


def test_page_shows_the_test_set_summary_the_check_script_wrote(sheet_model, sheets):
    """The summary table comes from scripts/pt_graphene_check.py run on the same snapshots."""
    from conftest import load_script

    assert load_script("pt_graphene_check").main(
        ["--dataset", str(dx.DATASET_PATH), "--summary", str(dx.SUMMARY_PATH), "--out", str(sheets / "check.md")]) == 0
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert any(s.value == "Over all test snapshots" for s in at.subheader)
    summary = at.dataframe[1].value
    assert list(summary["what"]) == [label for label, _ in dx.REFERENCES.values()]
    assert (summary["snapshots"] == 2).all() and summary["spearman"].between(-1, 1).all()
