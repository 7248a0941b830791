"""Atom roles from connectivity: hybridisation and the paper's vocabulary (C=C, carbonyl, ester, methyl)."""
from __future__ import annotations

from collections import Counter

from scann_core.chem_roles import atom_roles, carbon_hybridisation
from scann_core.gallery import load_gallery_structure
from scann_core.structure import Structure


def test_carbon_hybridisation_of_small_molecules():
    ethane = Structure([6, 6, 1, 1, 1, 1, 1, 1],
                       [[0, 0, 0.765], [0, 0, -0.765], [1.02, 0, 1.16], [-0.51, 0.88, 1.16], [-0.51, -0.88, 1.16],
                        [-1.02, 0, -1.16], [0.51, -0.88, -1.16], [0.51, 0.88, -1.16]], name="ethane")
    ethylene = Structure([6, 6, 1, 1, 1, 1], [[0, 0, 0.665], [0, 0, -0.665], [0, 0.92, 1.23], [0, -0.92, 1.23],
                                              [0, 0.92, -1.23], [0, -0.92, -1.23]], name="ethylene")
    hcn = Structure([1, 6, 7], [[0, 0, -1.066], [0, 0, 0], [0, 0, 1.156]], name="HCN")
    assert carbon_hybridisation(ethane) == ["sp3", "sp3"] + [""] * 6
    assert carbon_hybridisation(ethylene) == ["sp2", "sp2"] + [""] * 4
    assert carbon_hybridisation(hcn) == ["", "sp", ""]


def test_roles_of_the_papers_ester_molecules():
    acrylate = load_gallery_structure("methyl_acrylate")  # CH2=CH-C(=O)-O-CH3
    roles = atom_roles(acrylate)
    assert Counter(roles) == {"H": 6, "C=C": 2, "carbonyl C": 1, "carbonyl O": 1, "ester O": 1, "methyl C": 1}
    carbonyl_o = roles.index("carbonyl O")
    assert acrylate.symbols[carbonyl_o] == "O"
    fumarate = atom_roles(load_gallery_structure("dimethyl_fumarate"))  # MeO-C(=O)-CH=CH-C(=O)-OMe
    assert Counter(fumarate) == {"H": 8, "C=C": 2, "carbonyl C": 2, "carbonyl O": 2, "ester O": 2, "methyl C": 2}
    butadiene = atom_roles(load_gallery_structure("dimethylbutadiene"))  # CH2=C(CH3)-C(CH3)=CH2
    assert Counter(butadiene) == {"H": 10, "C=C": 4, "methyl C": 2}


def test_roles_of_thymine_alcohols_and_nitriles():
    thymine = Counter(atom_roles(load_gallery_structure("thymine")))
    assert thymine == {"H": 6, "carbonyl C": 2, "carbonyl O": 2, "N": 2, "C=C": 2, "methyl C": 1}
    methanol = Structure([6, 8, 1, 1, 1, 1], [[0, 0, 0], [1.42, 0, 0], [-0.36, 1.03, 0], [-0.36, -0.51, 0.89],
                                              [-0.36, -0.51, -0.89], [1.74, 0.9, 0]], name="methanol")
    assert atom_roles(methanol) == ["methyl C", "hydroxyl O", "H", "H", "H", "H"]
    nitrile = atom_roles(load_gallery_structure("aminopropanenitrile"))  # CH3-CH(NH2)-C#N
    assert Counter(nitrile) == {"H": 6, "methyl C": 1, "sp3 C": 1, "sp C": 1, "N": 2}


def test_paper_molecules_check_on_the_shipped_models(tmp_path):
    """scripts/paper_molecules_check.py: per-role tables that add up (N x GA and N x orbital weight
    average 1 over the atoms), equal GA on symmetry-equivalent atoms, verdicts that match their numbers."""
    import re

    import pytest
    from conftest import load_script

    from scann_core.predict import available_models

    if "qm9_lumo" not in available_models():
        pytest.skip("the LUMO model is not shipped")
    out = tmp_path / "report.md"
    assert load_script("paper_molecules_check").main(["--out", str(out)]) == 0
    text = out.read_text()
    for section in text.split("\n## ")[1:]:
        for table in section.split("\n**")[1:]:
            rows = [line.split("|")[1:-1] for line in table.splitlines() if re.match(r"\| [a-zA-Z=]", line)]
            atoms = [int(r[1]) for r in rows[1:]]  # rows[0] is the header
            for column in (2, 3):
                total = sum(n * float(r[column]) for n, r in zip(atoms, rows[1:]))
                assert total == pytest.approx(sum(atoms), abs=0.05 * len(atoms))
    claims = text.split("claims about its LUMO model:")[1]
    assert "equivalent atoms get equal GA: **holds**" in claims
    order = re.search(r"C=C ([\d.]+), carbonyl O ([\d.]+), carbonyl C ([\d.]+), ester O ([\d.]+), methyl C ([\d.]+)",
                      claims)
    cc, co, cc_o, eo, me = map(float, order.groups())
    expected = cc > max(co, cc_o) and min(co, cc_o) > eo > me
    assert ("ester O > methyl C: **holds**" in claims) == expected
