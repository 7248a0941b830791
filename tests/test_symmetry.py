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
    """The orbital reports average over equivalent atoms before ranking and refuse to rank a
    molecule whose atoms are all equivalent."""
    from scann_core.symmetry import class_averager as symmetrise

    assert symmetrise(load_gallery_structure("C60")) is None
    noisy = np.where(benzene.numbers == 6, 0.1, 0.05) + np.linspace(0, 1e-6, benzene.n_atoms)
    even = symmetrise(benzene)(noisy)
    assert len(np.unique(even)) == 2 and even[benzene.numbers == 6][0] == pytest.approx(noisy[benzene.numbers == 6].mean())
