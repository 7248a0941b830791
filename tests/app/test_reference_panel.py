"""AppTest of the Explore page's B3LYP reference panel (shipped cubes, and one on-demand run)."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from .fakes import EXPLORE, fake_predict_module

pytest.importorskip("pyscf")

TIMEOUT = 120


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def real_gallery(monkeypatch, tmp_path):
    """The shipped gallery and orbital cubes, the fake HOMO model, an empty orbital cache, 1 thread."""
    from pyscf import lib

    monkeypatch.setitem(sys.modules, "scann_core.predict", fake_predict_module(["qm9_homo"]))
    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    threads = lib.num_threads()
    lib.num_threads(1)
    _clear_caches()
    yield
    _clear_caches()
    lib.num_threads(threads)


@pytest.fixture
def fake_gallery_backend(fake_backend, monkeypatch, tmp_path):
    from pyscf import lib

    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    threads = lib.num_threads()
    lib.num_threads(1)
    yield
    lib.num_threads(threads)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _gallery_title(key: str) -> str:
    from scann_core.gallery import gallery_entry

    return gallery_entry(key).title


def test_gallery_molecule_shows_shipped_reference(real_gallery):
    at = AppTest.from_file(str(EXPLORE), default_timeout=TIMEOUT).run()
    _no_exception(at)
    at.selectbox(key="explore_gallery").select(_gallery_title("thymine")).run()
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    text = _text(at)
    # the sidecar: method, basis, SCF energy, orbital energies
    assert "B3LYP with density fitting" in text and "6-31G(2df,p)" in text
    assert "SCF energy" in text and " Ha" in text and "**HOMO** -" in text and "**LUMO** " in text
    assert "Spearman rho (GA vs HOMO weight) = **" in text and "top-3 overlap **" in text
    frames = at.get("iframe")
    assert len(frames) == 2  # GA view and the orbital view beside it
    assert "addVolumetricData(cube" in frames[1].proto.srcdoc
    table = at.dataframe[0].value
    assert {"HOMO weight", "LUMO weight"} <= set(table.columns)
    assert table["HOMO weight"].sum() == pytest.approx(1.0)
    assert any(b.proto.label == "HOMO cube file" for b in at.get("download_button"))
    scatter = [c for c in at.get("plotly_chart") if "Spearman rho" in c.proto.spec]
    assert scatter

    at.radio(key="explore_ref_kind").set_value("LUMO").run()
    _no_exception(at)
    assert "Spearman rho (GA vs LUMO weight)" in _text(at)
    at.radio(key="explore_ref_kind").set_value("Deformation density").run()
    _no_exception(at)
    assert "electrons gained on bonding" in _text(at)
    assert "Deformation density" in at.get("iframe")[1].proto.srcdoc


def test_c60_shows_its_shipped_b3lyp_631g_reference(real_gallery):
    at = AppTest.from_file(str(EXPLORE), default_timeout=TIMEOUT).run()
    at.selectbox(key="explore_gallery").select(_gallery_title("C60")).run()
    _no_exception(at)
    text = _text(at)
    assert "**basis** 6-31G (540 functions)" in text
    assert "Spearman rho (GA vs HOMO weight)" in text
    assert "Point group Ih: every atom is symmetry-equivalent" in text
    table = at.dataframe[0].value
    # the fivefold HOMO summed over its level: every atom carries the same weight
    assert table["HOMO weight"].to_numpy() == pytest.approx(np.full(60, 1 / 60), rel=1e-3)
    assert "addVolumetricData(cube" in at.get("iframe")[1].proto.srcdoc


def test_fullerene_without_a_shipped_cube_says_how_to_make_it(real_gallery, monkeypatch, tmp_path):
    from scann_core.references import orbitals

    monkeypatch.setattr(orbitals, "SHIPPED_DIR", tmp_path / "no_cubes")
    at = AppTest.from_file(str(EXPLORE), default_timeout=TIMEOUT).run()
    at.selectbox(key="explore_gallery").select(_gallery_title("C60")).run()
    _no_exception(at)
    text = _text(at)
    assert "not yet available" in text and "--fullerenes" in text
    assert "60 atoms is more than the limit of 30" in text
    assert not [b for b in at.button if b.key == "explore_ref_go"]


def test_compute_button_runs_in_the_background_then_is_cached(fake_gallery_backend, tmp_path):
    from scann_core import app_support as sup

    at = AppTest.from_file(str(EXPLORE), default_timeout=TIMEOUT).run()
    at.selectbox(key="explore_gallery").select("Water").run()
    at.selectbox(key="explore_ref_basis").select("STO-3G (fast, rough)").run()
    _no_exception(at)
    assert "No B3LYP/STO-3G reference for this geometry yet" in _text(at)
    assert len(at.get("iframe")) == 1
    at.button(key="explore_ref_go").click().run()
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    water = at.session_state["explore_structure"]
    job = sup.reference_jobs().get(water, "STO-3G")
    assert job is not None
    if job.future.done():  # finished before the page ran again: nothing left to show as running
        assert job.state == "done"
    else:
        assert "running in the background" in _text(at)
        assert not [b for b in at.button if b.key == "explore_ref_go"]  # no second start
    job.future.result(timeout=TIMEOUT)
    at.run()
    _no_exception(at)
    assert "SCF energy" in _text(at) and "STO-3G" in _text(at) and len(at.get("iframe")) == 2
    assert list((tmp_path / "orbitals").glob("*/reference.json"))

    _clear_caches()  # a new server: the job registry is gone, the disk cache is not
    at2 = AppTest.from_file(str(EXPLORE), default_timeout=TIMEOUT)
    at2.run()
    at2.selectbox(key="explore_gallery").select("Water").run()
    at2.selectbox(key="explore_ref_basis").select("STO-3G (fast, rough)").run()
    _no_exception(at2)
    assert "SCF energy" in _text(at2)
    assert not [b for b in at2.button if b.key == "explore_ref_go"]
    weights = at2.dataframe[0].value["HOMO weight"].to_numpy()
    assert weights[0] > 0.9 and np.isclose(weights.sum(), 1.0)


# ----------------------------------------------------------------------------- pure helpers


def test_top_overlap_and_comparison_line():
    from scann_core import app_support as sup

    ga = [0.4, 0.1, 0.3, 0.2]
    w = [0.5, 0.3, 0.1, 0.1]
    common, top_g, top_w = sup.top_overlap(ga, w, 3)
    assert top_g == [0, 2, 3] and top_w == [0, 1, 2] and common == 2
    line = sup.reference_comparison(["O", "C", "N", "H"], ga, w, "HOMO")
    assert "Spearman rho (GA vs HOMO weight) = **" in line and "**2/3**" in line and "GA: O1, N3, H4" in line
    # symmetry-equivalent atoms: noise below the symmetry does not rank them
    noisy_ga, noisy_w = [0.3, 0.3001, 0.2, 0.1999], [0.1, 0.1001, 0.4, 0.4001]
    classes = [np.array([0, 1]), np.array([2, 3])]
    assert "= **-1.00**" in sup.reference_comparison(["C"] * 4, noisy_ga, noisy_w, "HOMO", classes=classes)
    assert "= **-0.80**" in sup.reference_comparison(["C"] * 4, noisy_ga, noisy_w, "HOMO")
    uniform = sup.reference_comparison(["C"] * 4, noisy_ga, noisy_w, "HOMO", classes=[np.arange(4)])
    assert "**undefined**: every atom is symmetry-equivalent" in uniform


def test_symmetry_note_reports_spread_inside_and_between_classes():
    from scann_core import app_support as sup

    classes = [np.array([0, 1]), np.array([2, 3])]
    note = sup.symmetry_note([0.3, 0.3003, 0.2, 0.2], "C2v", classes)  # mean 0.250075
    assert note.startswith("Point group C2v: 2 classes") and "at most 0.12 % inside" in note and "40.0 % between" in note
    assert "every atom is symmetry-equivalent" in sup.symmetry_note([0.25] * 4, "Td", [np.arange(4)])


def test_reference_summary_names_degenerate_levels():
    from scann_core import app_support as sup

    record = {"xc": "b3lyp", "density_fit": True, "basis": "sto-3g", "n_basis": 9, "scf_energy_ha": -40.039124,
              "homo_ev": -9.1, "lumo_ev": 2.0, "homo_degeneracy": 3, "lumo_degeneracy": 1, "seconds": 2.5,
              "pyscf_version": "2.14.0"}
    text = sup.reference_summary(record)
    assert "B3LYP with density fitting" in text and "sto-3g (9 functions)" in text
    assert "-40.039124 Ha" in text and "**HOMO** -9.100 eV (3-fold degenerate)" in text and "gap 11.100 eV" in text
    assert "computed in 2 s" in text and "resumed" not in text
    assert "the SCF resumed from a checkpoint" in sup.reference_summary({**record, "resumed_from_checkpoint": True})
