"""Reading structures from files, uploads and SMILES; writing extended XYZ.

This is the only module that uses the ase, pymatgen and RDKit readers (imported lazily).
Every failure becomes a :class:`StructureError` whose message is one sentence that names
the file and, where known, the line or atom.
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import replace
from pathlib import Path, PurePath

import numpy as np

from ._elements import NUMBERS
from .structure import DEFAULT_MAX_ATOMS, Structure, StructureError, validate_structure

__all__ = ["FORMATS", "load_structure", "structure_from_ase", "structure_from_smiles", "structure_to_ase",
           "write_extxyz"]

# file extension (or ``fmt`` argument) -> reader key
FORMATS: dict[str, str] = {
    "xyz": "xyz", "extxyz": "xyz", "sdf": "mol", "mol": "mol", "pdb": "pdb", "cif": "cif",
    "vasp": "poscar", "poscar": "poscar", "contcar": "poscar",
}
_SUPPORTED = "xyz, extxyz, sdf, mol, pdb, cif, POSCAR/CONTCAR or vasp"
_PARSE_ERRORS = (ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError,
                 ArithmeticError, OSError, RuntimeError, StopIteration)


def load_structure(source: str | Path | bytes, *, fmt: str | None = None, name: str | None = None,
                   max_atoms: int = DEFAULT_MAX_ATOMS) -> Structure:
    """Read and validate one structure (the first frame or record of the file).

    Args:
        source: a file path, or the bytes of an upload.
        fmt: the format (a key of :data:`FORMATS`); by default taken from ``name``'s extension
            (file names starting with POSCAR or CONTCAR need none).
        name: the file name used for the format and in messages; defaults to the path's name,
            or "upload" for bytes.
        max_atoms: the largest accepted number of atoms.

    Returns:
        The structure, named after the file's stem. Molecules (xyz, sdf, mol, pdb without a
        CRYST1 cell) have no periodicity; cif and POSCAR are periodic; extxyz keeps its
        Lattice and pbc.

    Raises:
        StructureError: for any unreadable, inconsistent or physically broken input.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, data = name or "upload", bytes(source)
        reader = _READERS[_format_of(label, fmt)]
    else:
        path = Path(source)
        label = name or path.name
        reader = _READERS[_format_of(label, fmt)]
        data = _read_bytes(path, label)
    text = _decode(data, label)
    if not text.strip():
        raise StructureError(f"{label}: the file is empty.")
    structure = validate_structure(reader(text, label), max_atoms=max_atoms)
    return replace(structure, name=PurePath(label).stem or label)


def structure_from_smiles(smiles: str, *, relax: bool = True, seed: int = 0) -> Structure:
    """Build a 3D molecule from SMILES: RDKit hydrogens, seeded ETKDG embedding, MMFF
    (UFF as fallback) clean-up and, if ``relax``, a GFN2-xTB relaxation.

    Raises:
        StructureError: for an invalid SMILES string or a molecule that cannot be embedded.
    """
    from rdkit import Chem, rdBase
    from rdkit.Chem import AllChem

    shown = smiles if len(smiles) <= 60 else smiles[:57] + "..."
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles) if smiles.strip() else None
    if mol is None or mol.GetNumAtoms() == 0:
        raise StructureError(f"'{shown}' is not a valid SMILES string (check brackets, ring "
                             "closures and element symbols).")
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    with rdBase.BlockLogs():
        status = AllChem.EmbedMolecule(mol, params)
        if status != 0:
            params.useRandomCoords = True
            status = AllChem.EmbedMolecule(mol, params)
        if status != 0:
            raise StructureError(f"'{shown}': RDKit could not build 3D coordinates for this molecule.")
        if AllChem.MMFFHasAllMoleculeParams(mol):
            AllChem.MMFFOptimizeMolecule(mol, maxIters=500)
        else:
            AllChem.UFFOptimizeMolecule(mol, maxIters=500)
    numbers = [atom.GetAtomicNum() for atom in mol.GetAtoms()]
    structure = validate_structure(Structure(numbers, mol.GetConformer().GetPositions(), name=smiles))
    if relax:
        from .xtb import relax_xtb

        structure = relax_xtb(structure, charge=Chem.GetFormalCharge(mol))
    return structure


def structure_to_ase(structure: Structure):
    """The structure as an ``ase.Atoms`` object."""
    from ase import Atoms

    return Atoms(numbers=structure.numbers, positions=structure.positions, cell=structure.cell,
                 pbc=structure.pbc)


def write_extxyz(structure: Structure, path: str | Path, per_atom: dict[str, np.ndarray] | None = None,
                 info: dict | None = None) -> None:
    """Write an extended XYZ file with extra per-atom columns (e.g. ``ga``) and header info.

    Raises:
        ValueError: if a per-atom array does not have one row per atom.
    """
    import ase.io

    atoms = structure_to_ase(structure)
    for key, values in (per_atom or {}).items():
        values = np.asarray(values)
        if len(values) != structure.n_atoms:
            raise ValueError(f"per-atom array '{key}' has {len(values)} rows for {structure.n_atoms} atoms.")
        atoms.new_array(key, values)
    atoms.info.update(info or {})
    ase.io.write(str(path), atoms, format="extxyz")


# ----------------------------------------------------------------------------- input handling

def _format_of(label: str, fmt: str | None) -> str:
    if fmt is not None:
        key = fmt.lower().lstrip(".")
        if key not in FORMATS:
            raise StructureError(f"{label}: the format '{fmt}' is not supported (use {_SUPPORTED}).")
        return FORMATS[key]
    path = PurePath(label)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return FORMATS[suffix]
    if path.name.upper().startswith(("POSCAR", "CONTCAR")):
        return "poscar"
    what = f"'.{suffix}'" if suffix else "of a file without an extension"
    raise StructureError(f"{label}: the file format {what} is not supported (use {_SUPPORTED}).")


def _read_bytes(path: Path, label: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise StructureError(f"{label}: the file does not exist.") from err
    except OSError as err:
        raise StructureError(f"{label}: the file could not be opened ({err.strerror or 'read error'}).") from err


def _decode(data: bytes, label: str) -> str:
    binary = StructureError(f"{label}: the file is not a text structure file (it looks binary or garbled).")
    if b"\x00" in data:
        raise binary
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls:
        raise binary
    return text


def _quote(line: str, limit: int = 40) -> str:
    line = line.strip()
    return f"'{line}'" if len(line) <= limit else f"'{line[:limit - 3]}...'"


def _element_ok(symbol: str) -> bool:
    return symbol.capitalize() in NUMBERS


def _unknown_element(label: str, lineno: int, symbol: str) -> StructureError:
    return StructureError(f"{label}: line {lineno} has the unknown element symbol '{symbol}'.")


def _coordinates(label: str, lineno: int, atom: int, fields: list[str]) -> None:
    """Check that ``fields`` are three finite numbers."""
    try:
        values = [float(x) for x in fields]
    except ValueError as err:
        raise StructureError(f"{label}: line {lineno} (atom {atom}) has a coordinate that is not a number.") from err
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise StructureError(f"{label}: line {lineno} (atom {atom}) has a missing or non-finite "
                             "(NaN or infinite) coordinate.")


def structure_from_ase(atoms, label: str) -> Structure:
    """An ``ase.Atoms`` object as a :class:`Structure` named ``label`` (no validation)."""
    pbc = tuple(bool(p) for p in atoms.pbc)
    cell = atoms.cell.array if any(pbc) else np.zeros((3, 3))
    return Structure(atoms.numbers, atoms.positions, cell, pbc, label)


def _ase_read(text: str, label: str, fmt: str, what: str):
    import ase.io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ase.io.read(io.StringIO(text), format=fmt, index=0)
    except _PARSE_ERRORS as err:
        raise StructureError(f"{label}: the file could not be read as {what}.") from err


# ----------------------------------------------------------------------------- xyz / extxyz

def _read_xyz(text: str, label: str) -> Structure:
    lines = text.splitlines()
    header = lines[0].split()
    try:
        n_atoms = int(header[0]) if len(header) == 1 else -1
    except ValueError:
        n_atoms = -1
    if n_atoms < 1:
        raise StructureError(f"{label}: line 1 should hold the number of atoms but reads {_quote(lines[0])}.")
    atom_lines = lines[2:2 + n_atoms]
    if len(atom_lines) < n_atoms or not all(line.strip() for line in atom_lines):
        found = next((k for k, line in enumerate(atom_lines) if not line.strip()), len(atom_lines))
        raise StructureError(f"{label}: the header says {n_atoms} atoms but only {found} atom lines "
                             "follow (the file looks truncated).")
    comment = lines[1].lower() if len(lines) > 1 else ""
    standard_columns = "properties=" not in comment or "properties=species:s:1:pos:r:3" in comment
    for k, line in enumerate(atom_lines if standard_columns else ()):
        fields = line.split()
        if len(fields) < 4:
            raise StructureError(f"{label}: line {k + 3} should read 'symbol x y z' but reads {_quote(line)}.")
        if not _element_ok(fields[0]):
            raise _unknown_element(label, k + 3, fields[0])
        _coordinates(label, k + 3, k + 1, fields[1:4])
    following = lines[2 + n_atoms] if len(lines) > 2 + n_atoms else ""
    if _looks_like_atom(following):
        raise StructureError(f"{label}: the header says {n_atoms} atoms but line {n_atoms + 3} holds "
                             "another atom.")
    extended = "lattice=" in comment or "properties=" in comment
    frame = [lines[0], lines[1] if extended else "", *atom_lines]  # plain XYZ: free-text comment
    atoms = _ase_read("\n".join(frame) + "\n", label, "extxyz", "an XYZ file")
    return structure_from_ase(atoms, label)


def _looks_like_atom(line: str) -> bool:
    fields = line.split()
    if len(fields) < 4 or not _element_ok(fields[0]):
        return False
    try:
        [float(x) for x in fields[1:4]]
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------------------- sdf / mol

def _read_mol(text: str, label: str) -> Structure:
    from rdkit import Chem, rdBase

    lines = text.splitlines()
    if len(lines) < 4:
        raise StructureError(f"{label}: the file is too short to be a MOL/SDF record (it needs a "
                             "header and a counts line).")
    if "V3000" not in lines[3]:
        _check_v2000(lines, label)
    with rdBase.BlockLogs():
        mol = Chem.MolFromMolBlock(text, sanitize=False, removeHs=False)
    if mol is None or mol.GetNumConformers() == 0:
        raise StructureError(f"{label}: the file could not be read as a MOL/SDF record.")
    conformer = mol.GetConformer()
    positions = conformer.GetPositions()
    if not conformer.Is3D() and mol.GetNumAtoms() > 2:
        raise StructureError(f"{label}: the file has 2D drawing coordinates, not a 3D geometry.")
    return Structure([atom.GetAtomicNum() for atom in mol.GetAtoms()], positions, name=label)


def _check_v2000(lines: list[str], label: str) -> None:
    try:
        n_atoms = int(lines[3][:3])
    except ValueError as err:
        raise StructureError(f"{label}: line 4 should be the MOL counts line but reads {_quote(lines[3])}.") from err
    atom_lines = lines[4:4 + n_atoms]
    if len(atom_lines) < n_atoms:
        raise StructureError(f"{label}: the counts line says {n_atoms} atoms but only {len(atom_lines)} "
                             "atom lines follow (the file looks truncated).")
    for k, line in enumerate(atom_lines):
        fields = line.split()
        if len(fields) < 4:
            raise StructureError(f"{label}: line {k + 5} should be an atom line but reads {_quote(line)}.")
        if not _element_ok(fields[3]):
            raise _unknown_element(label, k + 5, fields[3])
        _coordinates(label, k + 5, k + 1, fields[:3])


# ----------------------------------------------------------------------------- pdb

def _read_pdb(text: str, label: str) -> Structure:
    lines = text.splitlines()
    records = [(k + 1, line) for k, line in enumerate(lines) if line.startswith(("ATOM  ", "HETATM"))]
    if not records:
        raise StructureError(f"{label}: the file has no ATOM or HETATM records.")
    for atom, (lineno, line) in enumerate(records, start=1):
        element = line[76:78].strip()
        if element and not _element_ok(element):
            raise _unknown_element(label, lineno, element)
        _coordinates(label, lineno, atom, [line[30:38], line[38:46], line[46:54]])
    atoms = _ase_read(text, label, "proteindatabank", "a PDB file")
    structure = structure_from_ase(atoms, label)
    if structure.is_periodic and np.linalg.norm(structure.cell, axis=1).max() <= 1.0:
        return replace(structure, cell=np.zeros((3, 3)), pbc=(False, False, False))  # CRYST1 placeholder
    return structure


# ----------------------------------------------------------------------------- POSCAR

def _read_poscar(text: str, label: str) -> Structure:
    lines = text.splitlines()
    if len(lines) < 8:
        raise StructureError(f"{label}: the file is too short to be a POSCAR (it needs a comment, a scale, "
                             "three cell vectors, atom counts and coordinates).")
    if lines[5].split() and all(_is_word(x) for x in lines[5].split()):
        for symbol in lines[5].split():
            if not _element_ok(symbol.split("_")[0].split("/")[0]):
                raise _unknown_element(label, 6, symbol)
        counts_line = 7
    else:
        counts_line = 6
    try:
        n_atoms = sum(int(x) for x in lines[counts_line - 1].split())
    except (IndexError, ValueError) as err:
        raise StructureError(f"{label}: line {counts_line} should hold the POSCAR atom counts.") from err
    mode = lines[counts_line].strip()[:1].lower() if len(lines) > counts_line else ""
    first = counts_line + (2 if mode == "s" else 1)
    coordinate_lines = [line for line in lines[first:first + n_atoms] if line.strip()]
    if len(coordinate_lines) < n_atoms:
        raise StructureError(f"{label}: the counts on line {counts_line} give {n_atoms} atoms but only "
                             f"{len(coordinate_lines)} coordinate lines follow (the file looks truncated).")
    for k, line in enumerate(coordinate_lines):
        _coordinates(label, first + k + 1, k + 1, line.split()[:3])
    return structure_from_ase(_ase_read(text, label, "vasp", "a POSCAR file"), label)


def _is_word(token: str) -> bool:
    return token.isalpha() or "/" in token or "_" in token


# ----------------------------------------------------------------------------- cif

def _read_cif(text: str, label: str) -> Structure:
    from pymatgen.io.cif import CifParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            crystal = CifParser.from_str(text).parse_structures(primitive=False)[0]
    except _PARSE_ERRORS as err:
        raise StructureError(f"{label}: no crystal structure could be read from this CIF file.") from err
    if not crystal.is_ordered:
        raise StructureError(f"{label}: the structure has partially occupied sites, which are not supported.")
    symbols = [site.specie.symbol for site in crystal]
    bad = next((s for s in symbols if s not in NUMBERS), None)
    if bad is not None:
        lineno = next((k + 1 for k, line in enumerate(text.splitlines()) if bad in line.split()), None)
        where = f"line {lineno}" if lineno else "the atom list"
        raise StructureError(f"{label}: {where} has the unknown element symbol '{bad}'.")
    return Structure([NUMBERS[s] for s in symbols], crystal.cart_coords, crystal.lattice.matrix,
                     (True, True, True), label)


_READERS = {"xyz": _read_xyz, "mol": _read_mol, "pdb": _read_pdb, "poscar": _read_poscar, "cif": _read_cif}
