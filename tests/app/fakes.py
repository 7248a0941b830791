"""Stand-ins for the gallery and the predictor: deterministic, fast, no trained model needed.

Used by the AppTest fixtures (conftest.py) and by the browser test's server launcher
(fake_server.py); ``install(modules)`` puts them into ``sys.modules`` so that the pages'
lazy ``from scann_core.gallery import ...`` / ``from scann_core.predict import ...`` find them.
"""
from __future__ import annotations

import types
from pathlib import Path

import numpy as np

from scann_core.structure import Structure, StructureError

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
EXPLORE = ROOT / "pages" / "1_Explore.py"

FAKE_VALUE = -6.2345  # eV, what the fake HOMO model always predicts
FAKE_LUMO_VALUE = -0.4321  # eV, what the fake LUMO model always predicts
FAKE_WARNING = "this is a fake out-of-domain warning for the test."

METHANE = Structure([6, 1, 1, 1, 1], [[0, 0, 0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63],
                                     [-0.63, 0.63, -0.63], [0.63, -0.63, -0.63]], name="methane")
WATER = Structure([8, 1, 1], [[0, 0, 0.12], [0, 0.76, -0.47], [0, -0.76, -0.47]], name="water")
SILANE = Structure([14, 1, 1, 1, 1], METHANE.positions * 2.3, name="silane")
NACL_CIF = b"""data_NaCl
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   5.64
_cell_length_b   5.64
_cell_length_c   5.64
_cell_angle_alpha   90
_cell_angle_beta   90
_cell_angle_gamma   90
loop_
 _symmetry_equiv_pos_as_xyz
  'x, y, z'
loop_
 _atom_site_label
 _atom_site_type_symbol
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Na1  Na  0.0  0.0  0.0  1
  Cl1  Cl  0.5  0.5  0.5  1
"""


def fake_ga(structure: Structure) -> np.ndarray:
    """Deterministic GA: softmax of the atomic numbers / 8 (sums to 1, heavier atoms higher)."""
    z = structure.numbers / 8.0
    e = np.exp(z - z.max())
    return e / e.sum()


class FakePredictor:
    device = "cpu"

    def __init__(self, name: str) -> None:
        self.card = {"name": name, "target": "lumo" if "lumo" in name else "homo", "unit": "eV", "level_of_theory": "B3LYP/6-31G(2df,p)",
                     "preliminary": True, "elements": [1, 6, 7, 8, 9, 11, 17], "max_train_atoms": 29,
                     "ga_mode": "paper", "ga_normalize": True, "test_mae": 0.1,
                     "kind": "crystal" if "crystal" in name else "molecule"}

    @classmethod
    def load(cls, name, device=None):
        return cls(str(name))

    def predict(self, structure: Structure):
        unknown = sorted(set(structure.numbers.tolist()) - set(self.card["elements"]))
        if unknown:
            raise StructureError(f"{structure.name}: element(s) Z={unknown[0]} were not in this model's training data.")
        warnings = [FAKE_WARNING] if structure.is_periodic else []
        value = FAKE_LUMO_VALUE if self.card["target"] == "lumo" else FAKE_VALUE
        ga = fake_ga(structure)[::-1] if "seed1" in self.card["name"] else fake_ga(structure)  # a second seed
        return types.SimpleNamespace(value=value, unit="eV", ga=ga, warnings=warnings)


def fake_gallery_module() -> types.ModuleType:
    mod = types.ModuleType("scann_core.gallery")
    entries = [types.SimpleNamespace(key="methane", title="Methane", source="test", qm9_index=1, note=""),
               types.SimpleNamespace(key="water", title="Water", source="test", qm9_index=3, note=""),
               types.SimpleNamespace(key="silane", title="Silane", source="test", qm9_index=None, note="")]
    structures = {"methane": METHANE, "water": WATER, "silane": SILANE}
    mod.gallery_entries = lambda: list(entries)
    mod.load_gallery_structure = lambda key: structures[key]
    return mod


def fake_predict_module(names: list[str]) -> types.ModuleType:
    mod = types.ModuleType("scann_core.predict")
    mod.available_models = lambda: list(names)
    mod.Predictor = FakePredictor
    mod.PRETRAINED_DIR = ROOT / "tests" / "no_such_folder"  # no second seed unless a test points it elsewhere
    mod.second_seed_checkpoint = lambda name: Path(mod.PRETRAINED_DIR) / "seeds" / f"{name}_seed1.pt"
    return mod


def install(modules: dict, model_names: tuple[str, ...] = ("qm9_homo", "qm9_lumo", "fake_crystal")) -> None:
    """Put the fake gallery and predictor modules into ``modules`` (``sys.modules``)."""
    modules["scann_core.gallery"] = fake_gallery_module()
    modules["scann_core.predict"] = fake_predict_module(list(model_names))
