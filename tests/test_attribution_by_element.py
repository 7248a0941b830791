"""Attributions by element and on heavy atoms only, from hand-built per-atom records."""
import numpy as np
import pandas as pd
import pytest

from scann_core.attribution import by_element_markdown, element_shares, subset_agreement
from scann_core.ranks import spearman


def _atoms(structure, z, ga, shapley, classes=None, **others):
    n = len(z)
    return pd.DataFrame({"structure": structure, "atom": np.arange(1, n + 1), "z": z,
                         "symmetry_class": classes if classes is not None else [-1] * n, "ga": ga,
                         "occlusion": others.get("occlusion", shapley), "integrated_gradients": others.get("ig", ga),
                         "shapley": shapley})


def test_element_shares_are_n_times_the_share_of_each_structure():
    atoms = pd.concat([_atoms("CH", [1, 6], [0.25, 0.75], [-1.0, 3.0]),
                       _atoms("H2O", [1, 1, 8], [0.2, 0.2, 0.6], [0.0, 0.0, 0.0])])
    shares = element_shares(atoms)
    assert list(shares.index) == ["H", "C", "O"] and list(shares["atoms"]) == [3, 1, 1]
    # GA: CH gives H 2 x 0.25, C 2 x 0.75; H2O gives H 3 x 0.2 twice, O 3 x 0.6
    assert shares.loc["H", "GA"] == pytest.approx((0.5 + 0.6 + 0.6) / 3)
    assert shares.loc["C", "GA"] == pytest.approx(1.5) and shares.loc["O", "GA"] == pytest.approx(1.8)
    # Shapley uses |values|; H2O's are all zero, so only CH counts
    assert shares.loc["H", "Shapley"] == pytest.approx(2 * 0.25) and shares.loc["C", "Shapley"] == pytest.approx(1.5)
    assert np.isnan(shares.loc["O", "Shapley"])


def test_uniform_scores_give_one_for_every_element():
    atoms = _atoms("mix", [1, 6, 7, 8], [0.25] * 4, [2.0, -2.0, 2.0, -2.0])
    assert np.allclose(element_shares(atoms)[["GA", "Shapley"]], 1.0)


def test_subset_agreement_drops_hydrogens_after_class_averaging():
    ga = [0.05, 0.1, 0.2, 0.3, 0.35]
    # the two hydrogens would dominate an all-atom ranking; class 2 holds two atoms whose Shapley
    # values differ by noise that the class mean removes
    shapley = [5.0, 4.0, 0.1, 0.3, 0.3]
    molecule = _atoms("m", [1, 1, 6, 8, 8], ga, shapley, classes=[0, 1, 2, 3, 4])
    table = subset_agreement(molecule, {6, 8})
    assert table.loc["GA", "spearman_shapley"] == pytest.approx(spearman([0.2, 0.3, 0.35], [0.1, 0.3, 0.3]))
    assert table.loc["Shapley", "spearman_ga"] == table.loc["GA", "spearman_shapley"]
    assert spearman(ga, shapley) < 0 < table.loc["GA", "spearman_shapley"]

    symmetric = _atoms("s", [1, 6, 6, 8], [0.1, 0.2, 0.4, 0.3], [1.0, 0.1, 0.5, 0.9], classes=[0, 1, 1, 2])
    assert subset_agreement(symmetric, {6, 8}).empty  # two heavy classes left: no ranking to compare
    both = subset_agreement(pd.concat([molecule, symmetric]), {6, 8})
    assert both.loc["GA", "n_structures"] == 1


def test_crystal_without_hydrogen_ranks_its_most_common_element():
    ga, shapley = [0.1, 0.2, 0.15, 0.3, 0.25], [2.0, 1.0, 3.0, 0.5, 4.0]
    cell = _atoms("cell", [26, 26, 26, 62, 22], ga, shapley)
    iron = subset_agreement(cell, {26})
    assert iron.loc["GA", "spearman_shapley"] == pytest.approx(-0.5)  # ranks (1, 3, 2) against (2, 1, 3)
    text = by_element_markdown(cell)
    assert "## Importance by element" in text and "Across the 3 elements" in text
    assert "## Fe atoms only" in text and "Heavy atoms only" not in text
    fe_section = text.split("## Fe atoms only")[1]
    assert "| GA | 1.000 | -0.500 |" in fe_section  # one structure: no standard error


def test_markdown_for_molecules_and_single_element_cages():
    molecule = _atoms("m", [1, 1, 6, 8, 8], [0.05, 0.1, 0.2, 0.3, 0.35], [5.0, 4.0, 0.1, 0.3, 0.3])
    text = by_element_markdown(molecule)
    assert "| H | 2 | 0.38 |" in text  # 5 x 0.075 on average
    assert "## Heavy atoms only" in text and "over the 1 structures with at least three classes left" in text
    cage = _atoms("C60", [6] * 4, [0.25] * 4, [1.0] * 4, classes=[0] * 4)
    assert by_element_markdown(cage) == ""
