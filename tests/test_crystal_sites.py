"""Crystals end to end: periodic invariances on real SmFe12 cells, the crystal model's domain, the
site ratio GA(X) / min GA(Fe), the labelled-dataset split and the SmFe12 variant builder."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from scann_core.checkpoint import TargetInfo
from scann_core.config import ModelConfig
from scann_core.crystal import from_pymatgen, supercell, to_pymatgen
from scann_core.model import ScannModel
from scann_core.predict import Predictor
from scann_core.site_ratios import ga_ratio, group_separation, site_ga_table, wyckoff_summary
from scann_core.structure import Structure, StructureError

ELEMENTS = (13, 22, 26, 27, 29, 30, 31, 42, 62)


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    torch.manual_seed(0)
    config = ModelConfig(elements=ELEMENTS, n_blocks=2, dim=32, n_heads=4, cutoff=6.0, ga_mode="size_consistent",
                         ga_normalize=False)
    model = ScannModel(config).double().eval()
    card = {"name": "tiny_smfe12", "kind": "crystal", "structure_type": "ThMn12", "max_train_atoms": 26}
    return Predictor(model, TargetInfo("formation_energy_per_atom", "eV/atom", -0.08, 0.03), card,
                     torch.device("cpu"))


@pytest.fixture(scope="module")
def co_cell() -> Structure:
    """A CHGNet-relaxed dataset cell: Co on atom 11 (an 8i site)."""
    from scann_core.smfe12_explorer import dataset_structure

    return dataset_structure("Co10")


@torch.no_grad()
def _predict(predictor: Predictor, structure: Structure):
    """(prediction, GA) in float64 through the predictor's own checks and featurisation."""
    from scann_core.graph import collate, element_lookup

    graph, _ = predictor.model_input(structure)
    batch = collate([graph], element_lookup(predictor.model.config.elements)).to("cpu", torch.float64)
    out = predictor.model(batch)
    return float(out.prediction[0]), out.ga.numpy()


# ----------------------------------------------------------------------------- periodic invariances


def test_rotation_and_origin_shift_leave_prediction_and_ga_unchanged(predictor, co_cell):
    value, ga = _predict(predictor, co_cell)
    rotation = Rotation.from_euler("zyx", [31, -47, 12], degrees=True).as_matrix()
    shift = np.array([1.3, -0.7, 2.2])
    moved = Structure(co_cell.numbers, co_cell.positions @ rotation.T + shift, co_cell.cell @ rotation.T,
                      co_cell.pbc, "moved")
    moved_value, moved_ga = _predict(predictor, moved)
    assert moved_value == pytest.approx(value, abs=1e-9)
    assert np.allclose(moved_ga, ga, atol=1e-12)


def test_supercell_of_a_relaxed_cell(predictor, co_cell):
    value, ga = _predict(predictor, co_cell)
    big_value, big_ga = _predict(predictor, supercell(co_cell, (1, 2, 2)))
    assert big_value == pytest.approx(value, abs=1e-9)
    assert np.allclose(big_ga, np.tile(ga / 4, 4), atol=1e-12)
    assert predictor.check(supercell(co_cell, (2, 2, 2))) == []  # exact, so no extrapolation warning


def test_primitive_and_conventional_cells_agree_without_canonicalisation(predictor):
    from scann_core.smfe12_explorer import host_cell

    conventional = host_cell()
    primitive = from_pymatgen(to_pymatgen(conventional).get_primitive_structure(tolerance=0.05), "primitive")
    assert primitive.n_atoms == 13
    value, ga = _predict(predictor, conventional)
    primitive_value, primitive_ga = _predict(predictor, primitive)
    assert primitive_value == pytest.approx(value, abs=1e-6)
    # N x GA per site is cell independent: each primitive value appears twice in the conventional cell
    assert np.allclose(np.sort(np.repeat(primitive_ga * 13, 2)), np.sort(ga * 26), atol=1e-5)


# ----------------------------------------------------------------------------- domain of the crystal model


def test_thmn12_recogniser():
    from scann_core.data.smfe12 import is_thmn12_type, parent_cell
    from scann_core.smfe12_explorer import substitute

    parent = parent_cell()
    primitive = from_pymatgen(to_pymatgen(parent).get_primitive_structure(), "primitive")
    assert all(is_thmn12_type(s) for s in (parent, primitive, supercell(parent, (1, 1, 2)), substitute("Ti", [10, 20])))
    bcc = Structure([26, 26], [[0, 0, 0], [1.43, 1.43, 1.43]], np.eye(3) * 2.86, (True,) * 3, "bcc Fe")
    assert not is_thmn12_type(bcc)
    assert not is_thmn12_type(Structure(parent.numbers, parent.positions, np.zeros((3, 3)), (False,) * 3, "cluster"))
    swapped = parent.numbers.copy()
    swapped[[0, 2]] = swapped[[2, 0]]  # one Sm onto an Fe site: same composition, another structure
    assert not is_thmn12_type(Structure(swapped, parent.positions, parent.cell, parent.pbc, "Sm on 8i"))


def test_every_held_out_dataset_cell_is_recognised():
    """Relaxed cells with two or three X atoms distort; the recogniser once refused 168 of the 2,031
    (its primitive-cell reduction failed on them), so the model refused its own test structures."""
    from scann_core.data.smfe12 import is_thmn12_type
    from scann_core.data.sources import split_structures
    from scann_core.smfe12_explorer import DATASET_PATH

    test = split_structures(str(DATASET_PATH), "test")
    assert len(test) == 195
    assert [s.name for s in test if not is_thmn12_type(s)] == []


def test_crystal_model_refuses_other_structure_types_in_one_sentence(predictor):
    bcc = Structure([26, 26], [[0, 0, 0], [1.43, 1.43, 1.43]], np.eye(3) * 2.86, (True,) * 3, "bcc Fe")
    with pytest.raises(StructureError, match=r"^bcc Fe is not a ThMn12-type structure, .* gives no number for it\.$"):
        predictor.predict(bcc)
    water = Structure([8, 1, 1], [[0, 0, 0.12], [0, 0.76, -0.47], [0, -0.76, -0.47]], name="water")
    with pytest.raises(StructureError, match="(unknown|not|trained on crystals only)"):
        predictor.predict(water)


# ----------------------------------------------------------------------------- the site ratio


def test_ratio_uses_the_smallest_fe_ga_only():
    numbers = np.array([62, 26, 26, 27])
    ga = np.array([0.4, 0.3, 0.2, 0.1])  # the substituent has the smallest GA of all
    assert ga_ratio(ga, numbers, [3]) == pytest.approx([0.5])  # 0.1 / 0.2, not 0.1 / 0.1
    assert ga_ratio(ga, numbers, [1, 3]) == pytest.approx([1.5, 0.5])
    with pytest.raises(ValueError, match="no Fe atom"):
        ga_ratio(ga, np.array([62, 27, 27, 27]), [1])


def test_site_tables():
    table = site_ga_table(["Sm", "Fe", "Fe", "Co"], np.array([62, 26, 26, 27]), np.array([0.4, 0.3, 0.2, 0.1]),
                          ["2a", "8i", "8i", "8i"])
    assert table["N × GA"].tolist() == pytest.approx([1.6, 1.2, 0.8, 0.4])
    summary = wyckoff_summary(table).set_index(["Wyckoff", "element"])
    assert summary.loc[("8i", "Fe"), "atoms"] == 2 and summary.loc[("8i", "Fe"), "mean"] == pytest.approx(1.0)


def test_group_separation_on_built_cases():
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"substituent": ["Al"] * 20 + ["Cu"] * 20, "site": ["8i"] * 40,
                         "ratio": np.r_[1.5 + rng.random(20) * 0.1, 1.0 + rng.random(20) * 0.1],
                         "ef_label": np.r_[-100 - rng.random(20), -50 - rng.random(20)]})
    clean = group_separation(rows, ["Al"], ["Cu"]).set_index("site")
    assert clean.loc["8i", "auc_ratio"] == 1.0 and clean.loc["8i", "auc_energy"] == 1.0
    assert clean.loc["8i", "auc_both_cv"] == 1.0
    rows["ratio"] = rng.random(40)  # no information in the ratio
    noisy = group_separation(rows, ["Al"], ["Cu"]).set_index("site")
    assert 0.2 < noisy.loc["8i", "auc_ratio"] < 0.8


# ----------------------------------------------------------------------------- dataset split and builder


def test_split_is_per_structure_and_stable():
    from scann_core.data.labelled import LabelledSet, read_labelled, split_of

    data = read_labelled("assets/data/smfe12.extxyz.gz")
    ids, parts = data.ids, data.splits()
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(len(ids)))
    assert 0.7 < len(parts["train"]) / len(ids) < 0.9 and len(parts["test"]) > 0.05 * len(ids)
    assert split_of("Co10") == split_of("Co10")
    reversed_set = LabelledSet(data.structures[::-1], data.info[::-1])
    assert reversed_set.splits()["test"].size == parts["test"].size  # order does not matter
    assert [data.parts[k] for k in parts["val"]] == ["val"] * len(parts["val"])


def test_split_header_keeps_groups_together(ch4):
    from scann_core.data.labelled import LabelledSet

    frames = [ch4.with_positions(ch4.positions + 0.01 * k) for k in range(6)]
    grouped = LabelledSet(frames, [{"split": part} for part in ("train", "train", "test", "test", "val", "val")])
    assert grouped.splits()["test"].tolist() == [2, 3] and grouped.splits()["val"].tolist() == [4, 5]
    partial = LabelledSet(frames, [{"split": "test"}] + [{}] * 5)  # not every frame says: hash the ids instead
    assert len(partial.parts) == 6 and set(partial.parts) <= {"train", "val", "test"}


def test_builder_and_dataset_twin():
    from scann_core.smfe12_explorer import dataset_twin, fe_site_menu, substitute, substituted_atoms

    menu = fe_site_menu()
    assert len(menu) == 24 and sum(label.endswith("8i") for label in menu) == 8
    eights = [atom for label, atom in menu.items() if label.endswith("8i")]
    twins = {dataset_twin(substitute("Co", [atom]), ["Co10"]) for atom in eights}
    assert twins == {"Co10"}  # every 8i site is equivalent to atom 11
    variant = substitute("Ga", [eights[0], eights[3]])
    assert substituted_atoms(variant) == sorted([eights[0], eights[3]])
    with pytest.raises(ValueError, match="not one of the substituents"):
        substitute("Xe", [eights[0]])
    with pytest.raises(ValueError, match="not an Fe site"):
        substitute("Co", [0])


def test_a_point_picked_on_the_map_names_its_configuration():
    from scann_core.smfe12_explorer import picked_config

    assert picked_config({"selection": {"points": [{"customdata": ["Co10", 11, "8i", 1]}], "box": []}}) == "Co10"
    assert picked_config({"selection": {"points": []}}) is None
    assert picked_config(None) is None and picked_config({}) is None


def test_fast_reader_equals_ase_with_extra_columns(tmp_path):
    import ase.io
    from ase import Atoms

    from scann_core.data.jobs import write_extxyz_gz
    from scann_core.data.labelled import _read_with_ase, read_labelled

    frames = [Atoms("SmFe2", positions=[[0, 0, 0], [1.5, 0.2, 0.1], [0.3, 1.7, 2.2]], cell=[[4, 0, 0], [0.5, 4, 0], [0, 0, 5]],
                    pbc=True, info={"config_id": f"c{k}", "ef": -0.01 * k, "sites": "8i,8j", "atom_indices": "2,3"})
              for k in range(3)]
    write_extxyz_gz(frames, tmp_path / "set.extxyz.gz")
    fast, slow = read_labelled(tmp_path / "set.extxyz.gz"), _read_with_ase(str(tmp_path / "set.extxyz.gz"))
    assert fast.ids == slow.ids == ["c0", "c1", "c2"]
    for a, b in zip(fast.structures, slow.structures):
        assert np.allclose(a.positions, b.positions) and np.allclose(a.cell, b.cell) and a.pbc == b.pbc
    assert fast.values("ef").tolist() == pytest.approx([0.0, -0.01, -0.02])
    assert fast.arrays == [{}, {}, {}]
    frames[0].new_array("curvature", np.array([0.1, -0.2, 0.3]))
    frames[0].new_array("displacement", np.arange(9.0).reshape(3, 3))
    frames[0].new_array("tag", np.array([1, 2, 3]))
    ase.io.write(tmp_path / "extra.extxyz", frames[:1], format="extxyz")
    fast, slow = read_labelled(tmp_path / "extra.extxyz"), _read_with_ase(str(tmp_path / "extra.extxyz"))
    assert np.allclose(fast.structures[0].cell, frames[0].cell.array)
    assert set(fast.arrays[0]) == set(slow.arrays[0]) == {"curvature", "displacement", "tag"}
    for key in ("curvature", "displacement", "tag"):
        np.testing.assert_array_equal(fast.arrays[0][key], slow.arrays[0][key])
    assert fast.arrays[0]["tag"].dtype.kind == "i" and fast.arrays[0]["displacement"].shape == (3, 3)
