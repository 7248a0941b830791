"""AppTest smoke + content tests for app.py and the Explore page (no browser, fake back end)."""
from __future__ import annotations

import re

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from scann_core import app_support as sup

from .fakes import APP, EXPLORE, FAKE_LUMO_VALUE, FAKE_VALUE, FAKE_WARNING, METHANE, NACL_CIF, WATER, fake_ga

TIMEOUT = 60


def _explore() -> AppTest:
    at = AppTest.from_file(str(EXPLORE), default_timeout=TIMEOUT)
    return at.run()


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.title] + [h.value for h in at.subheader]
    return "\n".join(str(p) for p in parts)


def _viewer_html(at: AppTest) -> str:
    frames = at.get("iframe")
    assert frames, "no 3D viewer iframe on the page"
    return frames[0].proto.srcdoc


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


# ----------------------------------------------------------------------------- home


def test_home_explains_ga(fake_backend):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert at.title[0].value == "SCANN Studio"
    text = _text(at)
    assert "sum to 1 over the atoms" in text
    assert "4.1" in text and "e^√2" in text
    assert "local environment" in text
    row = sup.orbital_agreement_row("qm9_homo")  # the committed QM9-sample summary
    assert f"on {int(row['molecules'])} random QM9 test molecules" in text
    assert f"averages {row['mean_spearman']:.2f} (1 would be the same order" in text
    lumo = sup.orbital_agreement_row("qm9_lumo")
    assert f"For the LUMO model and the B3LYP LUMO the same number is {lumo['mean_spearman']:.2f}." in text


def test_home_links_every_page(fake_backend):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    links = {link.proto.page for link in at.get("page_link")}  # url paths: file stems less "N_"
    files = {re.sub(r"^\d+_", "", p.stem) for p in (APP.parent / "pages").glob("*.py")
             if not p.name.startswith("_")}
    assert "Explore" in files and links == files
    labels = [link.proto.label for link in at.get("page_link")]
    assert "Explore a structure" in labels


def test_home_navigates_to_explore(fake_backend):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/1_Explore.py").run()
    _no_exception(at)
    assert at.title[0].value == "Explore a structure"


def test_home_example_opens_thymine_with_its_prediction():
    """Real gallery and shipped models: one click from home gives thymine's GA map beside its HOMO, and
    choosing the LUMO property puts the LUMO model's GA beside the DFT LUMO."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _no_exception(at)
    at.button(key="home_example").click().run()
    _no_exception(at)
    assert at.title[0].value == "Explore a structure"
    text = _text(at)
    assert "C5H6N2O2 · 15 atoms" in text
    assert "eV" in " ".join(m.value for m in at.metric)
    assert any(c.value.startswith("For comparison: over 30 random QM9 test molecules") for c in at.caption)
    missing = sup.missing_qm9_properties(sup.list_models()[0])
    not_shipped = [c.value for c in at.sidebar.caption if c.value.startswith("Not shipped yet")]
    assert len(not_shipped) == (1 if missing else 0) and all(label in not_shipped[0] for label in missing)
    assert "Spearman rho (GA vs HOMO weight) = **" in text  # thymine's shipped B3LYP reference beside GA
    # the third click: the LUMO model's GA beside the DFT LUMO
    at.selectbox(key="explore_property").select("LUMO").run()
    _no_exception(at)
    assert at.metric[0].label == "Predicted LUMO" and at.radio(key="explore_ref_kind").value == "LUMO"
    text = _text(at)
    assert "`qm9_lumo`" in text and "Spearman rho (GA vs LUMO weight) = **" in text


# ----------------------------------------------------------------------------- explore: happy path


def test_gallery_molecule_shows_prediction_and_ga(fake_backend):
    at = _explore()
    _no_exception(at)
    at.selectbox(key="explore_gallery").select("Water").run()
    _no_exception(at)
    assert at.subheader[0].value.startswith("H2O")
    metric = at.metric[0]
    assert metric.label == "Predicted HOMO"
    assert metric.value == f"{FAKE_VALUE:.4g} eV"
    text = _text(at)
    assert "B3LYP/6-31G(2df,p)" in text and "CPU" in text and "qm9_homo" in text
    assert "test MAE 100.0 meV" in text  # the card's 0.1 eV, in the unit the Models page uses
    assert "preliminary" in text  # the badge
    # per-atom table: one row per atom, GA sums to 1 and equals the model's output
    table = at.dataframe[0].value
    assert list(table["element"]) == ["O", "H", "H"]
    np.testing.assert_allclose(table["GA"], fake_ga(WATER))
    # the viewer colours atoms and labels them with element, 1-based index and GA
    html = _viewer_html(at)
    assert '"O 1 | GA = ' in html and "addModel" in html and "setHoverable" in html
    assert len(at.get("download_button")) == 2


def test_choosing_lumo_shows_the_lumo_reference_until_the_user_picks_another(fake_backend):
    at = _explore()
    assert at.radio(key="explore_ref_kind").value == "HOMO"
    at.selectbox(key="explore_property").select("LUMO").run()
    _no_exception(at)
    assert at.metric[0].label == "Predicted LUMO" and at.radio(key="explore_ref_kind").value == "LUMO"
    at.radio(key="explore_ref_kind").set_value("Deformation density").run()
    at.selectbox(key="explore_gallery").select("Water").run()  # a new molecule keeps the user's choice
    assert at.radio(key="explore_ref_kind").value == "Deformation density"
    at.selectbox(key="explore_property").select("HOMO").run()
    _no_exception(at)
    assert at.radio(key="explore_ref_kind").value == "HOMO"


def test_orbital_models_also_give_the_gap_with_its_test_error(fake_backend):
    import json

    from scann_core.app_support.cross_checks import GAP_BASELINE
    from scann_core.paths import ASSETS

    at = _explore()
    at.selectbox(key="explore_gallery").select("Water").run()
    _no_exception(at)
    gap = f"**{FAKE_LUMO_VALUE - FAKE_VALUE:.4g} eV**"
    mae = json.loads((ASSETS / "data" / GAP_BASELINE).read_text())["mae_lumo_minus_homo"]
    captions = [c.value for c in at.caption if "HOMO-LUMO gap from the LUMO and HOMO models" in c.value]
    assert len(captions) == 1 and gap in captions[0] and f"off by {1000 * mae:.0f} meV" in captions[0]
    at.selectbox(key="explore_property").select("LUMO").run()  # the same number whichever orbital is shown
    assert any(gap in c.value for c in at.caption)


def test_seed_check_compares_ga_with_the_second_seed(fake_backend, monkeypatch, tmp_path):
    import sys

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "qm9_homo_seed1.pt").write_bytes(b"")  # the fake predictor never reads it
    monkeypatch.setattr(sys.modules["scann_core.predict"], "PRETRAINED_DIR", tmp_path)
    at = _explore()
    at.selectbox(key="explore_gallery").select("Water").run()
    _no_exception(at)
    # the fake second seed reverses GA: the O atom drops below the two (equivalent) hydrogens
    seed = [c.value for c in at.caption if c.value.startswith("**Seed check:**")]
    assert len(seed) == 1 and "Spearman **-1.00** (heavy atoms undefined)" in seed[0]
    floor, heavy = sup.seed_floor("qm9_homo"), sup.seed_floor("qm9_homo", "heavy")
    assert f"agree at {floor:.2f} on average (heavy atoms {heavy:.2f})" in seed[0]
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["GA, seed 1"], fake_ga(WATER)[::-1])
    at.selectbox(key="explore_property").select("LUMO").run()  # no second LUMO seed in this folder
    assert not any(c.value.startswith("**Seed check:**") for c in at.caption)
    assert "GA, seed 1" not in at.dataframe[0].value.columns


def test_committed_seed_floors():
    """docs/ga_seeds_*.csv, from `scann ga-seeds`: the numbers the seed check quotes."""
    assert sup.seed_floor("qm9_homo") == pytest.approx(0.69, abs=0.01)
    assert sup.seed_floor("qm9_lumo", "heavy") == pytest.approx(0.25, abs=0.01)
    assert sup.seed_floor("smfe12_ef") is None


def test_scale_ratio_and_n_times(fake_backend):
    at = _explore()
    at.radio(key="explore_scale").set_value("N × GA (mean 1)").run()
    _no_exception(at)
    table = at.dataframe[0].value
    assert "N × GA" in table.columns
    assert table["N × GA"].mean() == pytest.approx(1.0)
    at.radio(key="explore_scale").set_value("ratio to atom #").run()
    at.number_input(key="explore_ref_atom").set_value(2).run()
    _no_exception(at)
    table = at.dataframe[0].value
    col = "GA / GA(atom 2)"
    assert table[col][1] == pytest.approx(1.0)
    np.testing.assert_allclose(table[col], fake_ga(METHANE) / fake_ga(METHANE)[1])


def test_locked_range_is_used_and_bad_range_reported(fake_backend):
    at = _explore()
    at.toggle(key="explore_lock").set_value(True).run()
    fake = fake_ga(METHANE)  # locking starts from the automatic range
    assert at.number_input(key="explore_vmin").value == pytest.approx(round(fake.min(), 4))
    assert at.number_input(key="explore_vmax").value == pytest.approx(round(fake.max(), 4))
    at.number_input(key="explore_vmin").set_value(0.1).run()
    at.number_input(key="explore_vmax").set_value(0.3).run()
    _no_exception(at)
    assert not at.error
    colorbar = at.get("plotly_chart")[0].proto.spec
    assert '"zmin":0.1' in colorbar and '"zmax":0.3' in colorbar
    at.number_input(key="explore_vmin").set_value(0.5).run()  # minimum above maximum
    _no_exception(at)
    assert any("minimum < maximum" in e.value for e in at.error)


def test_smiles_builds_a_molecule(fake_backend):
    at = _explore()
    at.radio(key="explore_input").set_value("SMILES").run()
    at.text_input(key="explore_smiles").input("CO").run()
    at.button(key="explore_smiles_go").click().run()
    _no_exception(at)
    assert not at.error
    assert at.subheader[0].value.startswith("CH4O")
    assert at.metric[0].value == f"{FAKE_VALUE:.4g} eV"
    at.radio(key="explore_input").set_value("Gallery").run()  # back to the gallery's choice
    assert at.subheader[0].value.startswith("CH4 ")


def test_crystal_upload_shows_unit_cell_and_warning(fake_backend):
    at = _explore()
    at.radio(key="explore_input").set_value("Upload a file").run()
    at.file_uploader(key="explore_upload").upload("nacl.cif", NACL_CIF).run()
    _no_exception(at)
    assert not at.error
    assert at.subheader[0].value.startswith("ClNa")
    assert any(FAKE_WARNING in w.value for w in at.warning)
    assert at.selectbox(key="explore_property").options == ["fake_crystal"]  # crystal models only
    assert not any("HOMO-LUMO gap from" in c.value for c in at.caption)  # QM9 orbital models: molecules only
    html = _viewer_html(at)
    assert "addUnitCell" in html and '"doAssembly": false' in html
    at.selectbox(key="explore_supercell").select("2×2×2").run()
    _no_exception(at)
    assert "replicateUnitCell(2,2,2)" in _viewer_html(at)


def _upload_crystal(structure, name: str) -> AppTest:
    from scann_core.crystal import to_pymatgen

    at = _explore()
    at.radio(key="explore_input").set_value("Upload a file").run()
    at.file_uploader(key="explore_upload").upload(name, to_pymatgen(structure).to(fmt="cif").encode()).run()
    _no_exception(at)
    return at


def test_crystals_go_to_the_real_crystal_model():
    """Real backend: a crystal is offered only the crystal models, those of its own structure type first;
    SmFe12 gets a formation energy and its Wyckoff sites, a graphene sheet the sheet model, diamond a
    one-sentence refusal (no model was trained on its kind) and still its sites."""
    from scann_core.data import pt_graphene as pg
    from scann_core.data.smfe12 import parent_cell
    from scann_core.structure import Structure

    at = _upload_crystal(parent_cell(), "smfe12.cif")
    # the carbon-sheet model is offered last: it refuses anything but a graphene sheet
    assert at.selectbox(key="explore_property").options == ["formation energy", "sheet deformation energy"]
    assert at.metric[0].label == "Predicted formation energy" and "eV/atom" in at.metric[0].value
    table = next(d.value for d in at.dataframe if "Wyckoff" in d.value.columns)
    assert len(table) == 26 and sorted(set(table["Wyckoff"])) == ["2a", "8f", "8i", "8j"]
    at = _upload_crystal(pg.carbon_sheet(pg.graphene_sheet()), "graphene.cif")
    assert at.selectbox(key="explore_property").options == ["sheet deformation energy", "formation energy"]
    assert at.metric[0].label == "Predicted sheet deformation energy" and not at.error
    diamond = Structure([6, 6], [[0, 0, 0], [0.89, 0.89, 0.89]], [[0, 1.78, 1.78], [1.78, 0, 1.78], [1.78, 1.78, 0]],
                        (True, True, True), "diamond")
    at = _upload_crystal(diamond, "diamond.cif")
    assert len(at.error) == 1 and "diamond" in at.error[0].value and "Traceback" not in at.error[0].value
    assert len(set(at.dataframe[0].value["Wyckoff"])) == 1  # both carbons share one site


# ----------------------------------------------------------------------------- explore: bad input


def test_garbled_upload_shows_error_and_keeps_structure(fake_backend):
    at = _explore()
    assert at.subheader[0].value.startswith("CH4")
    at.radio(key="explore_input").set_value("Upload a file").run()
    at.file_uploader(key="explore_upload").upload("junk.xyz", b"3\nnot a molecule\nX 1 2\n@@@\x00\x01").run()
    _no_exception(at)
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("junk.xyz:") and "Traceback" not in message
    assert at.subheader[0].value.startswith("CH4")  # the previous structure is kept
    assert at.metric[0].value == f"{FAKE_VALUE:.4g} eV"


def test_unsupported_extension_and_invalid_smiles(fake_backend):
    at = _explore()
    at.radio(key="explore_input").set_value("Upload a file").run()
    at.file_uploader(key="explore_upload").upload("notes.docx", b"hello").run()
    _no_exception(at)
    assert "not supported" in at.error[0].value
    at.radio(key="explore_input").set_value("SMILES").run()
    at.text_input(key="explore_smiles").input("C1CC(").run()
    at.button(key="explore_smiles_go").click().run()
    _no_exception(at)
    assert "not a valid SMILES" in at.error[0].value
    assert at.subheader[0].value.startswith("CH4")


def test_element_the_model_never_saw(fake_backend):
    at = _explore()
    at.selectbox(key="explore_gallery").select("Silane").run()
    _no_exception(at)
    assert any("not in this model's training data" in e.value for e in at.error)
    assert not at.metric
    assert "not coloured" in _text(at)
    _viewer_html(at)  # the structure is still shown


def test_broken_gallery_is_a_warning_not_a_crash(fake_backend, monkeypatch):
    import sys

    def broken():
        raise FileNotFoundError("[Errno 2] No such file or directory: 'gallery.json'")

    monkeypatch.setattr(sys.modules["scann_core.gallery"], "gallery_entries", broken)
    at = _explore()
    _no_exception(at)
    assert any("gallery is not available" in w.value for w in at.warning)
    assert at.radio(key="explore_input").options == ["SMILES", "Upload a file"]
    assert "Choose a gallery molecule" in at.info[0].value


def test_no_model_installed(no_models):
    at = _explore()
    _no_exception(at)
    assert any("No trained molecule model" in w.value for w in at.warning)
    assert not at.metric
    _viewer_html(at)


def test_real_backend_if_available():
    """The shipped gallery and models, when both exist (skipped while they are being built)."""
    from scann_core import app_support as sup

    st.cache_data.clear()
    st.cache_resource.clear()
    if not sup.list_models()[0] or not sup.list_gallery()[0]:
        pytest.skip("no shipped model or gallery entry yet")
    at = _explore()
    _no_exception(at)
    assert at.metric, [e.value for e in at.error]
    assert at.metric[0].label.startswith("Predicted ")
    card_unit = at.metric[0].value.split()[-1]
    assert card_unit
    assert abs(at.dataframe[0].value["GA"].sum() - 1.0) < 1e-6
    if at.selectbox(key="explore_property").value == "HOMO" and sup.seed_model_for("qm9_homo"):
        assert any(c.value.startswith("**Seed check:**") for c in at.caption)  # the shipped second seed
        seed_ga = at.dataframe[0].value["GA, seed 1"]
        assert abs(seed_ga.sum() - 1.0) < 1e-6 and not np.allclose(seed_ga, at.dataframe[0].value["GA"])


def test_tiny_real_model_end_to_end(tiny_real_model):
    """The real Predictor and model code behind the page (untrained weights, so values are arbitrary)."""
    at = _explore()
    _no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.metric[0].label == "Predicted HOMO" and at.metric[0].value.endswith(" eV")
    assert "preliminary" not in _text(at)  # this card says it is not
    ga = at.dataframe[0].value["GA"].to_numpy()
    assert ga.shape == (5,) and abs(ga.sum() - 1) < 1e-6 and (ga > 0).all()
    # methane's four hydrogens are equivalent: equal GA (a physics check through the whole app)
    np.testing.assert_allclose(ga[1:], ga[1], rtol=1e-5)
    at.selectbox(key="explore_gallery").select("Silane").run()  # Si is not in the model's elements
    _no_exception(at)
    assert any("Si" in e.value and "training data" in e.value for e in at.error)
