"""The Attention vs attribution page: GA beside occlusion, integrated gradients and Shapley values.

A tiny untrained SCANN model is saved as the only shipped model 'qm9_homo' (real Predictor, real
attribution code, real gallery), so every number on the page is computed, in well under a second
per molecule.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from scann_core import app_support as sup
from scann_core.viz import colors_for
from scann_core.viz.attribution import common_range, curves_figure, method_bars_figure

from .fakes import ROOT

PAGE = ROOT / "pages" / "3_Attention_vs_attribution.py"
TIMEOUT = 90
METHODS = ["GA", "occlusion", "integrated gradients", "Shapley"]


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def tiny_model(monkeypatch, tmp_path):
    """Real gallery; a tiny untrained model as the only shipped model 'qm9_homo'; one torch thread."""
    import torch

    import scann_core.predict as predict
    from scann_core.checkpoint import TargetInfo, save_checkpoint
    from scann_core.config import ModelConfig
    from scann_core.model import ScannModel

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = ModelConfig(elements=(1, 6, 7, 8, 9), n_blocks=1, dim=16, embed_dim=8, n_heads=2, n_gaussians=8)
    card = {"name": "qm9_homo", "level_of_theory": "B3LYP/6-31G(2df,p)", "preliminary": True,
            "max_train_atoms": 29, "test_mae": 0.157}
    models = tmp_path / "models"
    models.mkdir()
    save_checkpoint(models / "qm9_homo.pt", ScannModel(config).eval(), TargetInfo("homo", "eV", -6.5, 0.6), card)
    monkeypatch.setattr(predict, "PRETRAINED_DIR", models)
    monkeypatch.setitem(sys.modules, "scann_core.predict", predict)
    sys.modules.pop("scann_core.gallery", None)  # the real gallery, not a stand-in left by another test
    _clear_caches()
    yield tmp_path
    _clear_caches()
    torch.set_num_threads(threads)


def _page(**state) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _chart(at: AppTest, key: str) -> dict:
    import json

    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if key in chart.proto.id or any(key in str(t.get("name", "")) for t in spec["data"]):
            return spec
    raise AssertionError(f"no chart {key}")


def _array(value) -> np.ndarray:
    """A plotly JSON array: a list, or plotly 6's typed array ``{"dtype": "f8", "bdata": base64}``."""
    import base64

    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=np.float64)


def _acetaldehyde(at: AppTest) -> AppTest:
    at.run()
    at.radio(key="attr_input").set_value("Gallery").run()
    return at.selectbox(key="attr_gallery").select("Acetaldehyde").run()


# ----------------------------------------------------------------------------- page


def test_acetaldehyde_shows_four_methods_curves_and_metrics(tiny_model):
    at = _acetaldehyde(_page())
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.subheader[0].value == "C2H4O · 7 atoms"
    text = _text(at)
    assert "exact Shapley values (all 2^7 = 128 coalitions)" in text
    assert "One colour scale for all four" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Shapley values"] == "exact"
    assert metrics["Prediction (homo)"].endswith(" meV")

    # per-atom table: every method, GA sums to 1, exact Shapley values add up to v(all) - v(empty)
    table = at.dataframe[0].value
    assert list(table["element"]) == ["C", "C", "O", "H", "H", "H", "H"]
    for label in ["occlusion (meV)", "integrated gradients (meV)", "Shapley (meV)"]:
        assert np.isfinite(table[label]).all()
    assert table["GA"].sum() == pytest.approx(1.0)
    assert table["N × GA"].mean() == pytest.approx(1.0)
    prediction = float(metrics["Prediction (homo)"].split()[0])
    mean = float(metrics["Training mean (no atoms)"].split()[0])
    assert table["Shapley (meV)"].sum() == pytest.approx(prediction - mean, abs=0.6)  # 4 significant digits

    # bars: four methods side by side on one locked colour range and one y range
    bars = _chart(at, "attr_bars")
    assert [t["name"] for t in bars["data"]] == METHODS
    common = [c for c in table.columns if c.endswith("common scale")]
    assert len(common) == 4
    for c in common:
        assert np.abs(table[c]).mean() == pytest.approx(1.0)
    lo, hi = float(table[common].min().min()), float(table[common].max().max())
    assert f"Locked range {lo:.3g} to {hi:.3g}" in text

    # curves: deletion and insertion for each method plus the random baseline
    curves = _chart(at, "areas: deletion")
    names = [t["name"].split(" (")[0] for t in curves["data"]]
    assert names == METHODS + ["random"] + METHODS + ["random"]
    assert all(len(_array(t["y"])) == 8 for t in curves["data"])  # n + 1 points
    ga = _array(curves["data"][0]["y"])
    assert ga[0] == pytest.approx(1.0) and ga[-1] == pytest.approx(0.0)  # normalised deletion curve

    # this structure's metrics beside the random orders; GA agrees perfectly with itself
    this = at.dataframe[1].value
    assert list(this["method"]) == METHODS
    assert this.loc[0, "Spearman vs GA"] == pytest.approx(1.0)
    assert this.loc[3, "Spearman vs Shapley"] == pytest.approx(1.0)
    assert "deletion area (lower = better): random" in this.columns
    # Cs acetaldehyde: the two out-of-plane methyl hydrogens are one class
    assert "averaged over its class of symmetry-equivalent atoms (6 classes for 7 atoms)" in text

    # the 3D view is coloured by the selected method on the same range
    assert at.get("iframe")
    at.radio(key="attr_view_method").set_value("Shapley").run()
    _no_exception(at)
    assert "| Shapley = " in at.get("iframe")[0].proto.srcdoc


def test_evaluation_metrics_from_the_committed_table(tiny_model, monkeypatch):
    committed = sup.attribution_results_dir() / "attribution_qm9_homo.csv"
    folder = tiny_model / "docs"
    folder.mkdir()
    monkeypatch.setattr(sup.attribution_view, "ATTRIBUTION_DOCS", folder)
    at = _acetaldehyde(_page())
    _no_exception(at)
    assert any("have not been computed" in i.value for i in at.info)

    summary = (pd.read_csv(committed, index_col=0) if committed.exists() else
               pd.DataFrame({"n_structures": [40] * 4, "deletion_area": [0.21, 0.3, 0.25, 0.2],
                             "deletion_area_sem": [0.01] * 4, "deletion_area_random": [0.4] * 4},
                            index=METHODS))
    summary.to_csv(folder / "attribution_qm9_homo.csv")
    _clear_caches()
    at = _acetaldehyde(_page())
    _no_exception(at)
    table = at.dataframe[2].value
    assert list(table["method"]) == METHODS
    column = "deletion area (lower = more faithful)"
    expected = [f"{m:.3f} ± {s:.3f}" for m, s in zip(summary["deletion_area"], summary["deletion_area_sem"])]
    assert list(table[column]) == expected
    assert list(table["deletion area: random"]) == [f"{r:.3f}" for r in summary["deletion_area_random"]]
    where = summary["evaluation_set"].iloc[0] if "evaluation_set" in summary else "not recorded"
    assert f"Evaluation set: {where}" in _text(at)
    assert any("The gallery metrics have not been computed" in i.value for i in at.info)

    summary.assign(evaluation_set="the 8 gallery structures").to_csv(folder / "attribution_qm9_homo_gallery.csv")
    _clear_caches()
    at = _acetaldehyde(_page())
    _no_exception(at)
    assert list(at.dataframe[3].value[column]) == expected
    assert "Evaluation set: the 8 gallery structures" in _text(at)
    assert not at.expander  # no per-atom values committed in this folder

    atoms = pd.DataFrame({"structure": ["a", "a", "a"], "atom": [1, 2, 3], "z": [1, 6, 8], "symmetry_class": -1,
                          "ga": [0.2, 0.3, 0.5], "occlusion": 1.0, "integrated_gradients": 1.0, "shapley": [0.1, 1, 2]})
    atoms.to_csv(folder / "attribution_qm9_homo_atoms.csv.gz", index=False)
    _clear_caches()
    at = _acetaldehyde(_page())
    _no_exception(at)
    assert len(at.expander) == 1 and "By element" in at.expander[0].label
    shares = at.expander[0].dataframe[0].value
    assert list(shares["element"]) == ["H", "C", "O"] and list(shares["GA"]) == [0.6, 0.9, 1.5]


def test_sampled_shapley_shows_the_sample_count(tiny_model):
    at = _page().run()
    at.selectbox(key="attr_perms").select(64).run()
    at.radio(key="attr_input").set_value("Gallery").run()
    at.selectbox(key="attr_gallery").select("Thymine").run()  # 15 atoms: above the exact limit
    _no_exception(at)
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Shapley values"] == "64 samples"
    text = _text(at)
    assert "sampled Shapley values (64 random atom orders" in text and "Largest standard error" in text
    assert "Shapley standard error (meV)" in at.dataframe[0].value.columns


def test_large_structure_waits_for_a_click(tiny_model):
    at = _page().run()
    at.radio(key="attr_input").set_value("Gallery").run()
    at.selectbox(key="attr_gallery").select("Buckminsterfullerene C60").run()
    _no_exception(at)
    assert at.subheader[0].value == "C60 · 60 atoms"
    assert any("sampled Shapley values (256 random atom orders" in i.value for i in at.info)
    assert at.button(key="attr_compute") is not None and not at.dataframe  # nothing computed yet


def test_structure_from_explore_is_used(tiny_model):
    molecule = sup.load_gallery("acetaldehyde")
    at = _page(explore_structure=molecule, explore_source="gallery: Acetaldehyde").run()
    _no_exception(at)
    assert at.radio(key="attr_input").value == "Structure loaded in Explore"
    assert at.subheader[0].value == "C2H4O · 7 atoms"
    assert "from Explore" in _text(at)


def test_bad_input_shows_an_error(tiny_model):
    at = _page().run()
    at.radio(key="attr_input").set_value("SMILES").run()
    at.text_input(key="attr_smiles").input("C1CC(").run()
    at.button(key="attr_smiles_go").click().run()
    _no_exception(at)  # one sentence; the previous structure (the first gallery entry) stays explained
    assert [e.value for e in at.error] == [
        "'C1CC(' is not a valid SMILES string (check brackets, ring closures and element symbols)."]

    # silicon is not among the model's elements: a one-sentence error, no exception, no tables
    # (an upload that parsed, put where the uploader would; AppTest cannot drive file_uploader)
    silane = b"5\nsilane\nSi 0 0 0\nH 0.86 0.86 0.86\nH -0.86 -0.86 0.86\nH -0.86 0.86 -0.86\nH 0.86 -0.86 -0.86\n"
    at.radio(key="attr_input").set_value("Upload a file").run()
    at.session_state["attr_structure"] = sup.parse_upload(silane, "silane.xyz")
    at.session_state["attr_error"] = None
    at.run()
    _no_exception(at)
    assert len(at.error) == 1 and "Si" in at.error[0].value, [e.value for e in at.error]
    assert not at.dataframe


# ----------------------------------------------------------------------------- pure figures


def test_bars_share_one_range():
    values = {"GA": np.array([1.5, 0.5]), "Shapley": np.array([-1.0, 3.0])}
    lo, hi = common_range(values)
    assert (lo, hi) == (-1.0, 3.0)
    fig = method_bars_figure(["C", "H"], values, vmin=lo, vmax=hi)
    assert [t.name for t in fig.data] == ["GA", "Shapley"]
    assert fig.data[1].marker.color[1] == colors_for([hi], lo, hi)[0]  # the top of the shared range
    ranges = {tuple(fig.layout[k].range) for k in fig.layout if k.startswith("yaxis")}
    assert len(ranges) == 1
    low, high = ranges.pop()
    assert low < -1.0 and high > 3.0
    with pytest.raises(ValueError):
        method_bars_figure(["C"], values, vmin=lo, vmax=hi)


def test_curves_are_normalised_with_random_dashed():
    fig = curves_figure({"GA": [2.0, 1.0, 0.0], "random": [2.0, 1.5, 0.0]}, {"GA": [0.0, 1.0, 2.0]},
                        full_value=2.0, empty_value=0.0, areas={"GA": (0.25, 0.75)})
    assert list(fig.data[0].y) == [1.0, 0.5, 0.0]
    assert fig.data[0].name == "GA (areas: deletion 0.25, insertion 0.75)"
    assert fig.data[1].line.dash == "dash"
    assert [t.showlegend for t in fig.data] == [True, True, False]
    same = curves_figure({"GA": [1.0, 1.0]}, {"GA": [1.0, 1.0]}, full_value=1.0, empty_value=1.0)
    assert list(same.data[0].y) == [1.0, 1.0]  # no normalisation when v(all) == v(empty)
