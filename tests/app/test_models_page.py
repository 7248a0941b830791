"""The Models page and its card table (model_card_rows): cards read from JSON, MAEs in meV."""
from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from scann_core import app_support as sup

from .fakes import ROOT

MODELS = ROOT / "pages" / "2_Models.py"
SHIPPED = ROOT / "scann_core" / "pretrained"
TIMEOUT = 60

CARD = {  # the shape of scann_core.cards.export_model's card, with round numbers
    "name": "qm9_homo", "target": "homo", "unit": "eV", "kind": "molecule", "epochs": 1, "train_hours": 0.48,
    "val_mae": 0.1592, "test_mae": 0.1574, "mean_predictor_test_mae": 0.4318, "paper_scann_plus_mae": 0.032,
    "paper_scann_mae": 0.041, "preliminary": True, "level_of_theory": "B3LYP/6-31G(2df,p) (QM9 labels)",
    "dataset": "QM9 (qm9pack 1.0.3), 130,831 molecules", "split": "random permutation, seed 0",
    "cpu": "Intel(R) Xeon(R) Processor",
    "test_mae_by_heavy_atoms": {"9": {"n": 9083, "mae": 0.0376, "mean_error": -0.0012},
                                "3": {"n": 2, "mae": 0.0553}, "x": {"n": 1}},  # 3: a card from before mean_error
}


@pytest.fixture
def card_dir(tmp_path, monkeypatch):
    """A model folder with qm9_homo (card + parity plot) and a model 'mystery' that has no card."""
    import scann_core.predict as predict

    (tmp_path / "qm9_homo.json").write_text(json.dumps(CARD))
    (tmp_path / "qm9_homo.pt").write_bytes(b"")
    shutil.copy(SHIPPED / "qm9_homo_parity.png", tmp_path / "qm9_homo_parity.png")
    (tmp_path / "mystery.pt").write_bytes(b"")
    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp_path)
    return tmp_path


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_model_card_rows_convert_orbital_energies_to_mev(card_dir):
    rows = {r["name"]: r for r in sup.model_card_rows()}
    assert set(rows) == {"qm9_homo", "mystery"}
    homo = rows["qm9_homo"]
    assert homo["unit"] == "meV" and homo["card_unit"] == "eV" and homo["property"] == "HOMO"
    assert homo["test_mae"] == pytest.approx(157.4)
    assert homo["val_mae"] == pytest.approx(159.2)
    assert homo["mean_predictor_mae"] == pytest.approx(431.8)
    assert homo["paper_scann_plus_mae"] == pytest.approx(32) and homo["paper_scann_mae"] == pytest.approx(41)
    assert homo["preliminary"] is True and homo["epochs"] == 1 and homo["problem"] is None
    assert homo["parity_png"].endswith("qm9_homo_parity.png")
    mystery = rows["mystery"]
    assert mystery["problem"] and "no card" in mystery["problem"].lower()
    assert mystery["test_mae"] is None and mystery["parity_png"] is None
    table = sup.mae_table(homo)
    assert list(table["MAE (meV)"]) == ["159.2", "157.4", "32.0", "41.0", "431.8"]
    assert homo["mae_by_heavy_atoms"] == [(3, 2, pytest.approx(55.3), None),
                                          (9, 9083, pytest.approx(37.6), pytest.approx(-1.2))]  # "x" dropped
    sizes = sup.size_table(homo)
    assert list(sizes["heavy atoms"]) == [3, 9] and list(sizes["MAE (meV)"]) == ["55.3", "37.6"]
    assert list(sizes["mean error (meV)"]) == ["n/a", "-1.2"]
    assert mystery["mae_by_heavy_atoms"] == [] and sup.size_table(mystery).empty


def test_display_unit_shows_energies_in_millielectronvolts_and_keeps_other_units():
    assert sup.display_unit({"target": "lumo", "unit": "eV"}) == ("meV", 1000.0)
    assert sup.display_unit({"target": "formation_energy_per_atom", "unit": "eV/atom"}) == ("meV/atom", 1000.0)
    assert sup.display_unit({"target": "alpha", "unit": "bohr^3"}) == ("bohr^3", 1.0)
    assert sup.display_unit({"target": "cv", "unit": "cal/mol K"}) == ("cal/mol K", 1.0)
    assert sup.format_number(None) == "n/a" and sup.format_number(float("nan")) == "n/a"


def test_small_errors_keep_their_significant_figures():
    """Polarisability (0.115 bohr^3) and heat capacity (0.041 cal/mol K) must not show as 0.1 or 0."""
    assert sup.format_number(157.387) == "157.4" and sup.format_number(32.0) == "32.0"
    assert sup.format_number(32.0, 0) == "32" and sup.format_number(1057.6, 0) == "1058"
    assert sup.format_number(0.115) == "0.115" and sup.format_number(0.115, 0) == "0.115"
    assert sup.format_number(0.041) == "0.041" and sup.format_number(0.041, 0) == "0.041"
    assert sup.format_number(1.0724) == "1.07" and sup.format_number(6.3) == "6.3"
    assert sup.format_number(-0.0123456) == "-0.0123" and sup.format_number(0.0) == "0.0"


def test_models_page_shows_card_badge_and_parity_plot(card_dir):
    at = AppTest.from_file(str(MODELS), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Models"
    text = _text(at)
    assert "qm9_homo · HOMO" in text
    assert "preliminary model" in text  # the badge
    assert "B3LYP/6-31G(2df,p)" in text and "random permutation, seed 0" in text
    assert "1 epoch(s), 0.48 h on Intel(R) Xeon(R) Processor" in text
    floor, heavy = sup.seed_floor("qm9_homo"), sup.seed_floor("qm9_homo", "heavy")  # docs/ga_seeds_qm9_homo.csv
    assert f"by GA alike at Spearman {floor:.2f} on average (heavy atoms {heavy:.2f})" in text
    assert text.count("GA noise floor") == 1  # 'mystery' has no second seed
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test MAE"] == "157.4 meV"
    assert metrics["Paper SCANN+ / SCANN (meV)"] == "32 / 41"
    assert metrics["Mean predictor"] == "431.8 meV"
    images = at.get("image")  # the parity plot (mystery has none)
    assert len(images) == 1 and images[0].captions == ["qm9_homo: test-set parity plot"]
    assert "No parity plot shipped" in text
    assert any("no card" in w.value.lower() for w in at.warning)
    [sizes] = [d.value for d in at.dataframe if "heavy atoms" in d.value.columns]  # mystery has no table
    assert list(sizes["test structures"]) == [2, 9083] and "Test MAE by number of heavy" in text
    assert list(sizes["mean error (meV)"]) == ["n/a", "-1.2"]


def test_models_page_on_the_shipped_models():
    """Whatever the shipped cards say now (training may have moved on), the page shows them: the
    qm9_homo test MAE, and one "preliminary" badge per preliminary model."""
    card = json.loads((SHIPPED / "qm9_homo.json").read_text())
    cards = [json.loads(p.read_text()) for p in sorted(SHIPPED.glob("*.json"))]
    at = AppTest.from_file(str(MODELS), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "qm9_homo" in _text(at)
    assert f"{card['test_mae'] * 1000:.1f} meV" in [m.value for m in at.metric]
    assert _text(at).count("preliminary model") == sum(bool(c.get("preliminary")) for c in cards)


def test_models_page_without_models(tmp_path, monkeypatch):
    import scann_core.predict as predict

    monkeypatch.setattr(predict, "PRETRAINED_DIR", tmp_path)
    at = AppTest.from_file(str(MODELS), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No trained model" in i.value for i in at.info)


def test_finished_models_are_listed_before_preliminary_ones(card_dir):
    finished = dict(CARD, name="qm9_lumo", target="lumo", preliminary=False)
    (card_dir / "qm9_lumo.json").write_text(json.dumps(finished))
    (card_dir / "qm9_lumo.pt").write_bytes(b"")
    assert [r["name"] for r in sup.model_card_rows()] == ["qm9_lumo", "mystery", "qm9_homo"]
