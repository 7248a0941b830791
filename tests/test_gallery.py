"""The committed gallery: every entry loads, fullerenes are sound, QM9 geometries match."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from scann_core.data.qm9 import qm9_frame, qm9_split, qm9_structure
from scann_core.gallery import gallery_entries, gallery_in_domain, load_gallery_structure, point_group
from scann_core.predict import Predictor

ENTRIES = {entry.key: entry for entry in gallery_entries()}
FULLERENES = {"C60": (60, "Ih"), "C70": (70, "D5h"), "C72": (72, "D6d")}


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_every_entry_loads(key):
    entry = ENTRIES[key]
    structure = load_gallery_structure(key)
    assert entry.path.is_file() and entry.title and entry.source
    assert structure.n_atoms > 0 and not structure.is_periodic


@pytest.mark.parametrize("key", sorted(FULLERENES))
def test_fullerenes(key):
    n_atoms, group = FULLERENES[key]
    structure = load_gallery_structure(key)
    assert structure.n_atoms == n_atoms and set(structure.numbers) == {6}
    distances = cdist(structure.positions, structure.positions)
    np.fill_diagonal(distances, np.inf)
    assert ((distances < 1.6).sum(axis=1) == 3).all()
    assert ENTRIES[key].point_group == group
    assert point_group(structure) == group


def test_qm9_entries_match_qm9():
    frame = qm9_frame()
    test_indices = set(frame["Index"].iloc[qm9_split()["test"]])
    assert ENTRIES["thymine"].qm9_index == 29238
    with_qm9 = [entry for entry in ENTRIES.values() if entry.qm9_index is not None]
    assert sum(entry.qm9_index in test_indices for entry in with_qm9) >= 4
    for entry in with_qm9:
        reference = qm9_structure(frame[frame["Index"] == entry.qm9_index].iloc[0])
        structure = load_gallery_structure(entry.key)
        np.testing.assert_array_equal(structure.numbers, reference.numbers)
        np.testing.assert_allclose(structure.positions, reference.positions, atol=1e-5)


def test_unknown_key():
    with pytest.raises(KeyError):
        load_gallery_structure("no-such-molecule")


def test_the_menu_opens_on_thymine_then_the_other_paper_molecules():
    """Pages open on the gallery's first entry: the paper's thymine, not a 60-atom cage."""
    keys = [e.key for e in gallery_entries()]
    assert keys[:4] == ["thymine", "dimethylbutadiene", "methyl_acrylate", "dimethyl_fumarate"]


@pytest.mark.parametrize("model, expected", [("qm9_homo", 8), ("fullerene_homo", 3), ("smfe12_ef", 0)])
def test_gallery_in_domain_follows_the_model(model, expected):
    structures, sentence = gallery_in_domain(Predictor.load(model, device="cpu"))
    names = {structure.name for structure in structures}
    assert len(structures) == expected and sentence.startswith(f"the {expected} gallery structures")
    assert ("C60" in names) == (model == "fullerene_homo")
    assert "thymine" in names or model != "qm9_homo"
