"""Pure helpers of scann_core.app_support (no Streamlit script run needed)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from scann_core import app_support as sup
from scann_core.structure import Structure, StructureError

from .fakes import METHANE, NACL_CIF


def test_user_message_is_one_sentence_without_traceback():
    assert sup.user_message(StructureError("x.xyz: line 3 is broken.")) == "x.xyz: line 3 is broken."
    msg = sup.user_message(KeyError("no gallery entry 'foo'"))
    assert msg.startswith("Could not process this input:") and msg.endswith(".")
    assert "\n" not in sup.user_message(ValueError("first line\nTraceback (most recent call last):\n..."))
    assert len(sup.user_message(RuntimeError("x" * 1000))) < 260
    assert sup.user_message(RuntimeError()) == "Could not process this input (RuntimeError)."


def test_try_call():
    assert sup.try_call(int, "12") == (12, None)
    value, error = sup.try_call(int, "twelve")
    assert value is None and "twelve" in error


def test_models_for_offers_models_of_the_structure_type_first(monkeypatch, benzene):
    import types

    from scann_core.gallery import load_gallery_structure

    cards = {"qm9_homo": {"kind": "molecule"}, "fullerene_homo": {"kind": "molecule", "structure_type": "fullerene"},
             "smfe12_ef": {"kind": "crystal", "structure_type": "ThMn12"}}
    monkeypatch.setattr(sup.session, "load_predictor", lambda name: types.SimpleNamespace(card=cards[name]))
    names = ["qm9_homo", "fullerene_homo", "smfe12_ef"]
    assert sup.models_for(names, load_gallery_structure("C70")) == ["fullerene_homo", "qm9_homo"]
    assert sup.models_for(names, benzene) == ["qm9_homo", "fullerene_homo"]  # the cage model last


def test_models_for_opens_homo_first_whatever_the_names_sort_to(monkeypatch, benzene):
    import types

    monkeypatch.setattr(sup.session, "load_predictor", lambda name: types.SimpleNamespace(card={"kind": "molecule"}))
    names = ["qm9_alpha", "qm9_cv", "qm9_gap", "qm9_homo", "qm9_lumo", "mystery"]  # available_models() sorts by name
    assert sup.models_for(names, benzene) == ["qm9_homo", "qm9_lumo", "qm9_gap", "qm9_alpha", "qm9_cv", "mystery"]


def test_model_options_labels():
    opts = sup.model_options(["qm9_homo", "qm9_lumo", "scann-qm9-gap-v2", "qm9_alpha", "qm9_cv",
                              "demo_qm9_homo", "mystery"])
    assert opts["HOMO"] == "qm9_homo" and opts["LUMO"] == "qm9_lumo"
    assert opts["HOMO-LUMO gap"] == "scann-qm9-gap-v2"
    assert opts["HOMO (demo_qm9_homo)"] == "demo_qm9_homo"
    assert opts["mystery"] == "mystery"
    assert list(opts.values())[:2] == ["qm9_homo", "qm9_lumo"]


def test_reference_kind_follows_the_predicted_orbital():
    assert sup.reference_kind_for("homo") == "HOMO" and sup.reference_kind_for("lumo_ev") == "LUMO"
    assert sup.reference_kind_for("gap") is None and sup.reference_kind_for("formation_energy_per_atom") is None
    assert sup.reference_kind_for("deformation") is None  # not an orbital a model predicts


def test_missing_qm9_properties_in_the_issue_order():
    assert sup.missing_qm9_properties(["qm9_homo", "fullerene_lumo", "smfe12_ef"]) == [
        "LUMO", "HOMO-LUMO gap", "alpha (isotropic polarisability)", "Cv (heat capacity at 298 K)"]
    assert sup.missing_qm9_properties(["qm9_homo", "qm9_lumo", "qm9_gap", "qm9_alpha", "qm9_cv"]) == []


def test_device_label_and_file_stem():
    assert sup.device_label("cuda:0") == "GPU (cuda:0)"
    assert sup.device_label("cpu") == "CPU"
    assert sup.file_stem("Cc1c[nH]c(=O)[nH]c1=O") == "Cc1c_nH_c_O_nH_c1_O"
    assert sup.file_stem("../../etc/passwd") == "etc_passwd"
    assert sup.file_stem("") == "structure"


def test_atom_table_and_csv():
    ga = np.array([0.4, 0.15, 0.15, 0.15, 0.15])
    df = sup.atom_table(METHANE, ga, ga * 5, "N × GA")
    assert list(df["atom"]) == [1, 2, 3, 4, 5] and list(df["element"]) == ["C", "H", "H", "H", "H"]
    np.testing.assert_allclose(df["N × GA"], ga * 5)
    back = pd.read_csv(io.BytesIO(sup.table_csv(df)))
    np.testing.assert_allclose(back["GA"], ga)
    assert "GA" in sup.atom_table(METHANE, ga, ga, "GA").columns
    with pytest.raises(ValueError):
        sup.atom_table(METHANE, ga[:2])


def test_extxyz_download_reads_back_with_ga():
    import ase.io

    ga = np.array([0.4, 0.15, 0.15, 0.15, 0.15])
    data = sup.extxyz_bytes(METHANE, {"ga": ga}, {"homo": -6.5, "unit": "eV"})
    atoms = ase.io.read(io.StringIO(data.decode()), format="extxyz")
    np.testing.assert_allclose(atoms.arrays["ga"], ga)
    np.testing.assert_allclose(atoms.positions, METHANE.positions)
    assert atoms.info["homo"] == pytest.approx(-6.5) and atoms.info["unit"] == "eV"


def test_structure_key_changes_with_geometry():
    from scann_core.io import load_structure

    nacl = load_structure(NACL_CIF, name="nacl.cif")
    assert sup.structure_key(METHANE) == sup.structure_key(Structure(METHANE.numbers, METHANE.positions.copy()))
    assert sup.structure_key(METHANE) != sup.structure_key(METHANE.with_positions(METHANE.positions + 0.01))
    assert sup.structure_key(nacl) != sup.structure_key(Structure(nacl.numbers, nacl.positions))


def test_weights_note_flags_tables_of_other_weights(tmp_path):
    (tmp_path / "qm9_homo.json").write_text('{"name": "qm9_homo", "epochs": 13}')
    assert sup.weights_note("qm9_homo", 13, directory=tmp_path) == ""
    assert "epoch-2 weights" in sup.weights_note("qm9_homo", 2, directory=tmp_path)
    assert "does not record" in sup.weights_note("qm9_homo", None, directory=tmp_path)
    assert "does not record" in sup.weights_note("qm9_homo", float("nan"), directory=tmp_path)
    assert sup.weights_note("other_model", 2, directory=tmp_path) == ""  # no card: nothing to compare with


def test_typical_agreement_reads_the_models_row(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("model,model_epochs,level,sample,basis,molecules,mean_spearman,sem_spearman,mean_top3_overlap,"
                    "random_top3_overlap\nqm9_homo,67,homo,QM9,6-31G,30,0.5663,0.0401,0.5556,0.1707\n")
    text = sup.typical_agreement("qm9_homo", path)
    assert "30 random QM9 test molecules" in text and "HOMO weight averages Spearman 0.57 ± 0.04" in text
    assert "B3LYP/6-31G" in text
    assert sup.typical_agreement("qm9_lumo", path) == ""
    assert sup.typical_agreement("qm9_homo", tmp_path / "missing.csv") == ""


def test_evaluation_metrics_per_set_and_a_warning_for_wild_curves(tmp_path):
    def table(area: float) -> pd.DataFrame:
        return pd.DataFrame({"deletion_area": [area, 0.1], "deletion_area_sem": [0.01, 0.01],
                             "deletion_area_random": [0.4, 0.4], "evaluation_set": ["three cages"] * 2},
                            index=["GA", "Shapley"])

    table(0.2).assign(rank_statistics="symmetry-averaged", seed_spearman=0.61, seed_topk=0.7).to_csv(
        tmp_path / "attribution_m.csv")
    table(-36.0).to_csv(tmp_path / "attribution_m_gallery.csv")
    held_out, note = sup.evaluation_metrics("m", tmp_path)
    assert list(held_out["method"]) == ["GA", "Shapley"] and "predicts wildly" not in note
    assert "average each score over symmetry-equivalent atoms" in note
    assert "noise floor: two trainings from different seeds agree at Spearman 0.610, top-k overlap 0.700" in note
    gallery, note = sup.evaluation_metrics("m", tmp_path, evaluation_set="gallery")
    assert gallery.iloc[0, 1] == "-36.000 ± 0.010" and "predicts wildly" in note
    assert "symmetry-equivalent" not in note and "noise floor" not in note  # an older table, ranked raw
    missing, why = sup.evaluation_metrics("other", tmp_path, evaluation_set="gallery")
    assert missing is None and "gallery metrics have not been computed" in why


def test_evaluation_element_shares_from_the_per_atom_file(tmp_path):
    atoms = pd.DataFrame({"structure": ["a", "a", "b", "b", "b"], "atom": [1, 2, 1, 2, 3], "z": [1, 6, 1, 1, 8],
                          "symmetry_class": -1, "ga": [0.25, 0.75, 0.2, 0.2, 0.6],
                          "occlusion": [1.0, 1.0, 1.0, 1.0, 2.0], "integrated_gradients": [0.0, 1.0, 1.0, 1.0, 1.0],
                          "shapley": [-1.0, 3.0, 0.5, 0.5, -1.0]})
    atoms.to_csv(tmp_path / "attribution_m_gallery_atoms.csv.gz", index=False)
    shares = sup.evaluation_element_shares("m", tmp_path, evaluation_set="gallery")
    assert list(shares["element"]) == ["H", "C", "O"] and list(shares["atoms"]) == [3, 1, 1]
    assert list(shares["GA"]) == [0.57, 1.5, 1.8]  # N x GA: H (0.5 + 0.6 + 0.6) / 3
    assert sup.evaluation_element_shares("m", tmp_path) is None  # no held-out file
    atoms.assign(z=6).to_csv(tmp_path / "attribution_m_atoms.csv.gz", index=False)
    assert sup.evaluation_element_shares("m", tmp_path) is None  # a single element: nothing to compare
    (tmp_path / "attribution_m_atoms.csv.gz").write_bytes(b"not gzip")
    assert sup.evaluation_element_shares("m", tmp_path) is None


def test_symmetry_caption_for_each_case(benzene):
    from types import SimpleNamespace

    def caption(classes: int) -> str:
        return sup.symmetry_caption(SimpleNamespace(metrics=pd.DataFrame({"symmetry_classes": [classes] * 4}),
                                                    structure=benzene))

    assert "(2 classes for 12 atoms)" in caption(2)
    assert "no ranking to compare" in caption(1)
    assert "rank the raw per-atom scores" in caption(12)
