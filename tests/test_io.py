"""Reading every supported format, SMILES input and the error messages for bad input."""
from __future__ import annotations

import itertools
import re

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from rdkit import Chem
from rdkit.Chem import AllChem

from scann_core.io import load_structure, structure_from_smiles, structure_to_ase, write_extxyz
from scann_core.structure import Structure, StructureError

WATER = Structure([8, 1, 1], [[0.0, 0.0, 0.119], [0.0, 0.763, -0.477], [0.0, -0.763, -0.477]], name="water")
WATER_XYZ = "3\nwater\nO 0.0 0.0 0.119\nH 0.0 0.763 -0.477\nH 0.0 -0.763 -0.477\n"


def one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", message)


def nacl_atoms():
    return bulk("NaCl", "rocksalt", a=5.64)


def shortest_distance(structure: Structure) -> float:
    """Shortest distance between atoms 0 and 1 over neighbouring periodic images."""
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3))) @ structure.cell
    return float(np.linalg.norm(structure.positions[1] - structure.positions[0] + shifts, axis=1).min())


def ethanol_molblock() -> str:
    mol = Chem.AddHs(Chem.MolFromSmiles("CCO"))
    AllChem.EmbedMolecule(mol, randomSeed=1)
    return Chem.MolToMolBlock(mol)


def assert_same_molecule(structure: Structure, numbers, positions, atol: float) -> None:
    assert not structure.is_periodic
    np.testing.assert_array_equal(structure.numbers, numbers)
    np.testing.assert_allclose(structure.positions, positions, atol=atol)


def test_xyz(tmp_path):
    (tmp_path / "water.xyz").write_text(WATER_XYZ)
    structure = load_structure(tmp_path / "water.xyz")
    assert structure.name == "water"
    assert_same_molecule(structure, WATER.numbers, WATER.positions, 1e-9)


def test_bytes_upload_needs_name_or_format():
    by_name = load_structure(WATER_XYZ.encode(), name="upload.xyz")
    by_format = load_structure(WATER_XYZ.encode(), fmt="xyz")
    np.testing.assert_allclose(by_name.positions, by_format.positions)
    with pytest.raises(StructureError, match="upload"):
        load_structure(WATER_XYZ.encode())


def test_extxyz_keeps_cell_and_extra_columns(tmp_path):
    crystal = Structure([11, 17], nacl_atoms().positions, nacl_atoms().cell.array, (True, True, True), "nacl")
    path = tmp_path / "nacl.extxyz"
    write_extxyz(crystal, path, per_atom={"ga": np.array([0.25, 0.75])}, info={"model": "scann"})
    loaded = load_structure(path)
    assert loaded.pbc == (True, True, True)
    np.testing.assert_allclose(loaded.cell, crystal.cell)
    np.testing.assert_allclose(loaded.positions, crystal.positions)
    atoms = ase.io.read(path)
    np.testing.assert_allclose(atoms.arrays["ga"], [0.25, 0.75])
    assert atoms.info["model"] == "scann"


def test_extxyz_molecule(tmp_path):
    path = tmp_path / "water.xyz"
    write_extxyz(WATER, path)
    assert_same_molecule(load_structure(path), WATER.numbers, WATER.positions, 1e-9)


@pytest.mark.parametrize("file_name", ["ethanol.mol", "ethanol.sdf"])
def test_mol_and_sdf_keep_hydrogens(tmp_path, file_name):
    block = ethanol_molblock()
    suffix = "> <energy>\n1.0\n\n$$$$\n" if file_name.endswith(".sdf") else ""
    (tmp_path / file_name).write_text(block + suffix)
    mol = Chem.MolFromMolBlock(block, removeHs=False)
    expected_numbers = [atom.GetAtomicNum() for atom in mol.GetAtoms()]
    structure = load_structure(tmp_path / file_name)
    assert structure.formula == "C2H6O"
    assert_same_molecule(structure, expected_numbers, mol.GetConformer().GetPositions(), 1e-4)


def test_pdb_molecule(tmp_path):
    ase.io.write(tmp_path / "water.pdb", structure_to_ase(WATER), format="proteindatabank")
    assert_same_molecule(load_structure(tmp_path / "water.pdb"), WATER.numbers, WATER.positions, 1e-3)


@pytest.mark.parametrize("file_name,fmt", [("nacl.cif", "cif"), ("POSCAR", "vasp"), ("CONTCAR", "vasp"),
                                           ("nacl.vasp", "vasp"), ("nacl.pdb", "proteindatabank")])
def test_periodic_formats(tmp_path, file_name, fmt):
    ase.io.write(tmp_path / file_name, nacl_atoms(), format=fmt)
    crystal = load_structure(tmp_path / file_name)
    assert crystal.pbc == (True, True, True)
    assert sorted(crystal.numbers) == [11, 17]
    assert abs(abs(np.linalg.det(crystal.cell)) - nacl_atoms().get_volume()) < 1e-2
    assert shortest_distance(crystal) == pytest.approx(2.82, abs=1e-3)


def test_smiles_gives_relaxed_ethanol():
    structure = structure_from_smiles("CCO")
    assert structure.formula == "C2H6O"
    carbons = structure.positions[structure.numbers == 6]
    assert 1.45 < np.linalg.norm(carbons[0] - carbons[1]) < 1.56
    unrelaxed = [structure_from_smiles("CCO", relax=False).positions for _ in range(2)]
    np.testing.assert_array_equal(*unrelaxed)


def test_invalid_smiles():
    with pytest.raises(StructureError) as caught:
        structure_from_smiles("C1CC(")
    assert "'C1CC(' is not a valid SMILES string" in str(caught.value)
    assert one_sentence(str(caught.value))


NACL_POSCAR = """NaCl
1.0
0.0 2.82 2.82
2.82 0.0 2.82
2.82 2.82 0.0
Na Xx
1 1
Cartesian
0.0 0.0 0.0
2.82 0.0 0.0
"""

BAD_INPUTS = {
    "garbled.xyz": (bytes(range(256)) * 4, "binary"),
    "garbled.cif": (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
    "truncated.xyz": (("10\ntruncated\n" + "H 0 0 0\n" * 7).encode(), "10 atoms but only 7"),
    "empty.xyz": (b"", "empty"),
    "blank.sdf": (b"\n  \n", "empty"),
    "unknown.xyz": (b"4\n\nO 0 0 0\nH 0.96 0 0\nXx -0.24 0.93 0\nH 3 3 3\n", "line 5 has the unknown element symbol 'Xx'"),
    "unknown_poscar.vasp": (NACL_POSCAR.encode(), "line 6 has the unknown element symbol 'Xx'"),
    "nan.xyz": (b"3\n\nO 0 0 0\nH nan 0 0\nH -0.24 0.93 0\n", "line 4 (atom 2)"),
    "close.xyz": (b"2\n\nH 0 0 0\nH 0.3 0 0\n", "0.30 A apart"),
    "words.xyz": (b"hello world\nthis is not a structure\n", "line 1"),
    "words.cif": (b"hello world\nthis is not a structure\n", "CIF"),
    "words.pdb": (b"hello world\nthis is not a structure\n", "ATOM"),
    "words.sdf": (b"hello world\nthis is not a structure\nat all\nreally\n", "line 4"),
    "POSCAR": (b"hello world\nthis is not a structure\n", "too short"),
    "water.docx": (WATER_XYZ.encode(), "'.docx' is not supported"),
}


@pytest.mark.parametrize("file_name", sorted(BAD_INPUTS))
def test_bad_file_raises_one_sentence_naming_the_file(tmp_path, file_name):
    data, fragment = BAD_INPUTS[file_name]
    (tmp_path / file_name).write_bytes(data)
    with pytest.raises(StructureError) as caught:
        load_structure(tmp_path / file_name)
    message = str(caught.value)
    assert message.startswith(f"{file_name}: ")
    assert fragment in message
    assert one_sentence(message)


def test_unknown_element_in_mol_names_line(tmp_path):
    lines = ethanol_molblock().splitlines()
    lines[4] = lines[4][:31] + "Xx " + lines[4][34:]
    (tmp_path / "bad.mol").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureError, match=r"bad\.mol: line 5 has the unknown element symbol 'Xx'"):
        load_structure(tmp_path / "bad.mol")


@pytest.mark.parametrize("file_name,fmt", [("nacl.cif", "cif"), ("nacl.pdb", "proteindatabank")])
def test_unknown_element_in_cif_and_pdb_names_line(tmp_path, file_name, fmt):
    ase.io.write(tmp_path / file_name, nacl_atoms(), format=fmt)
    text = (tmp_path / file_name).read_text()
    (tmp_path / file_name).write_text(re.sub(r"\bCl\b", "Xx", text, flags=re.IGNORECASE))
    with pytest.raises(StructureError, match=rf"{file_name}: line \d+ has the unknown element symbol 'Xx'"):
        load_structure(tmp_path / file_name)


def test_nan_in_extxyz_names_atom(tmp_path):
    path = tmp_path / "nan.extxyz"
    positions = WATER.positions.copy()
    positions[1, 2] = np.nan
    write_extxyz(WATER.with_positions(positions), path)
    with pytest.raises(StructureError, match=r"nan\.extxyz: line 4 \(atom 2\) has a missing or non-finite"):
        load_structure(path)


def test_too_many_atoms_and_missing_file(tmp_path):
    (tmp_path / "water.xyz").write_text(WATER_XYZ)
    with pytest.raises(StructureError, match=r"water\.xyz: 3 atoms is more than the limit of 2 atoms"):
        load_structure(tmp_path / "water.xyz", max_atoms=2)
    with pytest.raises(StructureError, match=r"missing\.xyz: the file does not exist"):
        load_structure(tmp_path / "missing.xyz")
