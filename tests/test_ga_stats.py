"""GA statistics: the per-group summary and the agreement between two models."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scann_core.ga_stats import atom_ga_rows, ga_summary, seed_agreement, seed_agreement_summary
from scann_core.structure import Structure


def test_summary_groups_elements_and_carbon_types():
    hcn = Structure([1, 6, 7], [[0, 0, -1.066], [0, 0, 0], [0, 0, 1.156]], name="HCN")
    rows = atom_ga_rows([hcn, hcn], [np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.5, 0.4])], "toy")
    assert len(rows) == 6 and rows["n_ga"].tolist() == pytest.approx([0.6, 0.9, 1.5, 0.3, 1.5, 1.2])
    summary = ga_summary(rows).set_index("group")
    assert summary.loc["C", "mean"] == pytest.approx(1.2) and summary.loc["C sp", "atoms"] == 2
    assert summary.loc["N", "mean"] == pytest.approx(1.35)
    assert summary.loc["H", "sem"] == pytest.approx(np.std([0.6, 0.3], ddof=1) / np.sqrt(2))
    assert set(summary.index) == {"H", "C", "N", "C sp"}
    assert isinstance(summary, pd.DataFrame)


def test_seed_agreement_per_structure():
    ga_a = [np.array([0.1, 0.2, 0.7]), np.array([0.5, 0.3, 0.2]), np.array([0.25, 0.25, 0.25, 0.25])]
    ga_b = [np.array([0.2, 0.3, 0.5]), np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.2, 0.3, 0.4])]
    rho = seed_agreement(ga_a, ga_b)
    assert rho[:2].tolist() == pytest.approx([1.0, -1.0]) and np.isnan(rho[2])  # constant GA: undefined
    summary = seed_agreement_summary(rho)
    assert summary["mean_spearman"] == pytest.approx(0.0) and summary["n_structures"] == 2
    assert summary["n_undefined"] == 1 and summary["sem"] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        seed_agreement(ga_a, ga_b[:2])
    # averaged over classes: atoms 0 and 1 equivalent, so only "class {0, 1} below atom 2" is ranked
    swapped = [np.array([0.2, 0.1, 0.7])], [np.array([0.1, 0.2, 0.7])]
    assert seed_agreement(*swapped)[0] == pytest.approx(0.5)
    assert seed_agreement(*swapped, [[np.array([0, 1]), np.array([2])]])[0] == pytest.approx(1.0)
    assert seed_agreement(*swapped, [None])[0] == pytest.approx(0.5)  # symmetry unknown: raw
    # only the atoms asked for: the hydrogens (atoms 1 and 3) disagree, the heavy atoms agree
    ga_a, ga_b = [np.array([0.4, 0.1, 0.3, 0.05, 0.15])], [np.array([0.3, 0.02, 0.25, 0.3, 0.13])]
    heavy = [np.array([True, False, True, False, True])]
    assert seed_agreement(ga_a, ga_b)[0] < 0.9 and seed_agreement(ga_a, ga_b, atoms=heavy)[0] == pytest.approx(1.0)
    assert np.isnan(seed_agreement(ga_a, ga_b, atoms=[np.array([True, True, False, False, False])])[0])
