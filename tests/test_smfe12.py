"""SmFe12 substitution dataset: parent cell, symmetry, enumeration, formation energies, outputs."""
from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from math import comb

import numpy as np
import pytest

from scann_core.data import smfe12
from scann_core.data.smfe12 import (
    Configuration, all_configurations, build_structure, canonical_form, enumerate_configurations, fe_indices,
    fe_site_labels, formation_energy_per_atom, orbit_size, parent_cell, symmetry_operations)

from conftest import load_script, smfe12_structure


@pytest.fixture(scope="module")
def perms() -> np.ndarray:
    return symmetry_operations()


def test_parent_cell_matches_the_fixture():
    cell = parent_cell()
    reference = smfe12_structure()
    assert cell.n_atoms == 26
    assert cell.formula == "Fe24Sm2"
    np.testing.assert_allclose(cell.positions, reference.positions, atol=1e-9)
    np.testing.assert_allclose(cell.cell, np.diag([8.5, 8.5, 4.8]), atol=1e-9)


def test_parent_cell_space_group_and_wyckoff_sites():
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from scann_core.crystal import to_pymatgen

    analyzer = SpacegroupAnalyzer(to_pymatgen(parent_cell()), symprec=0.01)
    assert analyzer.get_space_group_number() == 139
    assert analyzer.get_space_group_symbol() == "I4/mmm"
    labels = fe_site_labels()
    assert len(labels) == 24 == len(fe_indices())
    assert Counter(labels) == {"8f": 8, "8i": 8, "8j": 8}


def test_32_operations_permute_the_fe_sites(perms):
    assert perms.shape == (32, 24)
    assert len({tuple(p) for p in perms}) == 32
    for perm in perms:
        assert sorted(perm.tolist()) == list(range(24))
    labels = np.array(fe_site_labels())
    for perm in perms:  # an operation keeps every site in its Wyckoff orbit
        assert (labels[perm] == labels).all()
    # a group: closed under composition, contains the identity
    group = {tuple(p) for p in perms}
    assert tuple(range(24)) in group
    for p in perms[::5]:
        for q in perms:
            assert tuple(p[q]) in group


def test_operations_match_the_geometry(perms):
    """Each permutation comes from an operation that maps the Fe positions onto each other."""
    cell = parent_cell()
    frac = (cell.positions @ np.linalg.inv(cell.cell))[fe_indices()]
    # pair distances are invariant under a symmetry operation
    def pair_distances(f):
        d = f[:, None] - f[None]
        d -= np.rint(d)
        return np.linalg.norm(d @ cell.cell, axis=2)
    reference = pair_distances(frac)
    for perm in perms:
        np.testing.assert_allclose(reference[np.ix_(perm, perm)], reference, atol=1e-6)


def test_a1_gives_three_classes_of_eight(perms):
    classes = enumerate_configurations(1, perms)
    assert [m for _, m in classes] == [8, 8, 8]
    labels = fe_site_labels()
    assert sorted(labels[sites[0]] for sites, _ in classes) == ["8f", "8i", "8j"]


@pytest.mark.parametrize("a", [1, 2, 3, 4])
def test_multiplicities_sum_to_binomial(perms, a):
    classes = enumerate_configurations(a, perms)
    assert sum(m for _, m in classes) == comb(24, a)
    for sites, m in classes:
        assert orbit_size(sites, perms) == m
        assert 32 % m == 0  # orbit-stabiliser: an orbit size divides the group order


def test_configuration_counts(perms):
    counts = {a: len(enumerate_configurations(a, perms)) for a in (1, 2, 3)}
    assert counts == {1: 3, 2: 25, 3: 107}
    assert 7 * sum(counts.values()) == 945


def test_canonical_forms_are_invariant(perms):
    rng = np.random.default_rng(1)
    for a in (2, 3):
        classes = enumerate_configurations(a, perms)
        for sites, _ in classes[:: max(1, len(classes) // 15)]:
            assert canonical_form(sites, perms) == sites
            for perm in perms:
                image = sorted(int(perm[s]) for s in sites)
                assert canonical_form(image, perms) == sites
    # labelled (mixed) configurations too
    for _ in range(10):
        sites = rng.choice(24, size=3, replace=False)
        elements = ["Co", "Co", "Al"]
        form = canonical_form(sites, perms, elements)
        for perm in perms[::3]:
            assert canonical_form([perm[s] for s in sites], perms, elements) == form


def test_all_configurations_plan():
    configs = all_configurations()
    assert len(configs) >= 2000
    ids = [c.config_id for c in configs]
    assert len(set(ids)) == len(ids)
    assert configs[0].kind == "parent" and configs[0].config_id == "SmFe12"
    kinds = Counter(c.kind for c in configs)
    assert kinds["enumerated"] == 945
    assert all(len(c.substituents) == 2 for c in configs if c.kind == "mixed")
    assert all(c.a == 4 for c in configs if c.kind == "sampled")
    assert [c.config_id for c in all_configurations()] == ids  # fixed seed: reproducible


def test_build_structure():
    config = Configuration((0, 16), ("Co", "Al"), 8, "mixed")
    structure = build_structure(config)
    assert structure.n_atoms == 26
    assert Counter(structure.symbols) == {"Sm": 2, "Fe": 22, "Co": 1, "Al": 1}
    assert config.wyckoff == ("8f", "8j")
    assert config.config_id == f"Co{fe_indices()[0]:02d}_Al{fe_indices()[16]:02d}"
    assert config.formula == "Sm2Fe22Co1Al1"


def test_formation_energy_sign_convention():
    references = {"A": -2.0, "B": {"energy_per_atom": -4.0}}
    # A2B2 0.4 eV below its elements: E_f = -0.1 eV/atom (negative = stable)
    assert formation_energy_per_atom(2 * -2.0 + 2 * -4.0 - 0.4, {"A": 2, "B": 2}, references) == pytest.approx(-0.1)
    assert formation_energy_per_atom(-12.0 + 0.8, ["A", "A", "B", "B"], references) == pytest.approx(0.2)
    assert formation_energy_per_atom(-2.0, {"A": 1}, references) == pytest.approx(0.0)
    with pytest.raises(KeyError):
        formation_energy_per_atom(-1.0, {"C": 1}, references)


def test_reference_structures_build():
    counts = {"Sm": 4, "Fe": 2, "Mo": 2, "Co": 2, "Al": 4, "Ti": 2, "Cu": 4, "Zn": 2, "Ga": 8}
    for element, n in counts.items():
        structure = smfe12.reference_structure(element)
        assert structure.n_atoms == n
        assert set(structure.symbols) == {element}
    assert smfe12.reference_structure("Sm", kind="Sm-type", params=(3.62, 26.2)).n_atoms == 9


def test_outputs_from_results_file(tmp_path):
    """The writer reads a results file (torn last line included) and fills in real counts."""
    import ase.io

    script = load_script("generate_smfe12")
    parent = parent_cell()
    configs = all_configurations()[:3]
    records = []
    for k, config in enumerate(configs):
        s = build_structure(config, parent)
        records.append({"config_id": config.config_id, "kind": config.kind, "a": config.a,
                        "fe_sites": list(config.fe_sites), "atom_indices": list(config.atom_indices),
                        "elements": list(config.elements), "sites": list(config.wyckoff),
                        "multiplicity": config.multiplicity, "energy": -211.0 - k, "converged": k != 2,
                        "fmax": 0.01 if k != 2 else 0.2, "seconds": 4.0, "numbers": s.numbers.tolist(),
                        "positions": s.positions.tolist(), "cell": s.cell.tolist(),
                        **script._settings(0.05, 1000)})
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"config_id": "torn')
    done = script.read_results(results, 0.05, 1000)
    assert set(done) == {c.config_id for c in configs}
    references = {el: {"state": "test", "energy_per_atom": -8.0, "n_atoms": 1, "converged": True, "fmax": 0.0,
                       "volume_per_atom": 10.0} for el in ("Sm", "Fe", "Mo", "Co")}
    data = tmp_path / "smfe12.extxyz.gz"
    written = script.write_dataset([done[c.config_id] for c in configs], references, data)
    assert written == 2
    frames = ase.io.read(io.StringIO(gzip.decompress(data.read_bytes()).decode()), index=":", format="extxyz")
    assert len(frames) == 2
    assert frames[1].info["sites"] == "8f" and frames[1].info["substituents"] == "Mo"
    assert frames[0].info["formation_energy_per_atom"] == pytest.approx((-211.0 + 26 * 8.0) / 26)
    sheet = tmp_path / "DATASHEET_SMFE12.md"
    script.write_datasheet(configs, [done[c.config_id] for c in configs], references, sheet, data, fmax=0.05,
                           steps=1000, n_written=written)
    text = sheet.read_text()
    assert "not DFT" in text and "converged to fmax <= 0.05 eV/A: 2" in text and "excluded" in text


def test_chgnet_single_point():
    pytest.importorskip("chgnet")
    import torch

    torch.set_num_threads(1)
    energy = smfe12.chgnet_energy(parent_cell())
    assert -8.5 < energy / 26 < -7.5
