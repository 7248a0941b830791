"""Symmetry-equivalent atoms and the per-class spread of a per-atom score."""
from __future__ import annotations

import numpy as np
import pytest

from scann_core.gallery import load_gallery_structure
from scann_core.symmetry import class_means, class_spread, equivalent_atoms


def test_fullerene_classes():
    group, classes = equivalent_atoms(load_gallery_structure("C70"))
    assert group == "D5h" and sorted(len(c) for c in classes) == [10, 10, 10, 20, 20]
    assert sorted(np.concatenate(classes).tolist()) == list(range(70))
    group, classes = equivalent_atoms(load_gallery_structure("C60"))
    assert group == "Ih" and len(classes) == 1


def test_class_spread(benzene):
    group, classes = equivalent_atoms(benzene)
    assert group == "D6h" and [len(c) for c in classes] == [6, 6]
    equal = np.where(benzene.numbers == 6, 0.1, 0.05)
    assert class_spread(equal, classes) == pytest.approx({"within": 0.0, "overall": 0.05 / 0.075,
                                                          "between": 0.05 / 0.075})
    broken = equal.copy()
    broken[0] = 0.12  # one carbon differs from its five equivalents
    assert class_spread(broken, classes)["within"] == pytest.approx(0.02 / broken.mean())


def test_class_means_symmetrise_a_score(benzene):
    _, classes = equivalent_atoms(benzene)
    noisy = np.where(benzene.numbers == 6, 0.1, 0.05) + np.linspace(0, 1e-6, benzene.n_atoms)
    even = class_means(noisy, classes)
    for c in classes:
        assert np.ptp(even[c]) == 0 and even[c][0] == pytest.approx(noisy[c].mean())


def test_class_averager_symmetrises_scores_and_refuses_c60(benzene):
    """The orbital and attribution reports average over equivalent atoms before ranking and refuse to
    rank a molecule whose atoms are all equivalent."""
    from scann_core.symmetry import class_averager, symmetry_classes

    assert class_averager(symmetry_classes(load_gallery_structure("C60"))) is None
    noisy = np.where(benzene.numbers == 6, 0.1, 0.05) + np.linspace(0, 1e-6, benzene.n_atoms)
    even = class_averager(symmetry_classes(benzene))(noisy)
    carbon = benzene.numbers == 6
    assert len(np.unique(even)) == 2 and even[carbon][0] == pytest.approx(noisy[carbon].mean())
    assert np.array_equal(class_averager(None)(noisy), noisy)  # unknown symmetry: raw scores


def test_crystal_classes_are_the_space_group_orbits():
    """A periodic structure gets the classes of its cell's space group, in its own atom order."""
    from scann_core.structure import Structure

    a = 5.64
    fractional = np.array([[0, 0, 0], [.5, .5, .5], [0, .5, .5], [.5, 0, 0], [.5, 0, .5], [0, .5, 0], [.5, .5, 0],
                           [0, 0, .5]])
    rock_salt = Structure(np.array([11, 17] * 4), fractional * a, np.eye(3) * a, (True, True, True), "NaCl")
    group, classes = equivalent_atoms(rock_salt)
    assert group == "Fm-3m" and [c.tolist() for c in classes] == [[0, 2, 4, 6], [1, 3, 5, 7]]
    shifted = Structure(rock_salt.numbers, rock_salt.positions + np.array([0.3, 0, 0]) * (np.arange(8) == 2)[:, None],
                        rock_salt.cell, rock_salt.pbc, "NaCl with one Na moved")
    assert len(equivalent_atoms(shifted)[1]) > 2
