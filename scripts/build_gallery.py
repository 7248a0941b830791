"""Build ``assets/gallery``: fullerenes, the paper's example molecules and QM9 test molecules.

Fullerene bond graphs come from the ``buckygen`` binary of the ``passagemath-buckygen`` wheel,
get a spectral 3D start and a GFN2-xTB relaxation; SMILES molecules are embedded with RDKit and
relaxed with GFN2-xTB; QM9 molecules keep their QM9 geometry. Offline and deterministic.

Run from the repository root: ``PYTHONPATH=. python scripts/build_gallery.py``.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from scann_core.data.fullerenes import FMAX, MEAN_BOND, RELAX_STEPS, centred, fullerene_adjacency, relax_cage
from scann_core.data.qm9 import qm9_frame, qm9_split, qm9_structure
from scann_core.gallery import GALLERY_DIR, INDEX_FILE, point_group
from scann_core.io import structure_from_smiles
from scann_core.structure import Structure
from scann_core.xtb import relax_xtb

# FMAX (0.01 eV/A, tight so the point groups come out clean) and MEAN_BOND (1.4 A, scale of the spectral
# start) are shared with the fullerene dataset (scann_core.data.fullerenes)
RELAXED = f"relaxed with GFN2-xTB (tblite, ASE BFGS, fmax {FMAX} eV/A)"

# key, title, faces (vertices of the dual) for buckygen, expected point group, note
FULLERENES = [
    ("C60", "Buckminsterfullerene C60", 32, "Ih", "The only isolated-pentagon (IPR) isomer of C60."),
    ("C70", "Fullerene C70", 37, "D5h", "The only IPR isomer of C70."),
    ("C72", "Fullerene C72", 38, "D6d",
     "The only IPR isomer of C72 (D6d); the paper's C72 was the non-IPR D6h isomer."),
]
FULLERENE_SPLIT_NOTE = (" Its cage is pinned to the test split of the fullerene dataset: the fullerene models "
                        "never trained on it.")

# key, title, SMILES, note
SMILES_MOLECULES = [
    ("dimethylbutadiene", "2,3-Dimethyl-1,3-butadiene", "CC(=C)C(C)=C",
     "One of the paper's example molecules; it is not in QM9."),
    ("methyl_acrylate", "Methyl acrylate", "C=CC(=O)OC", "One of the paper's example molecules; it is not in QM9."),
    ("dimethyl_fumarate", "Dimethyl fumarate", "COC(=O)/C=C/C(=O)OC",
     "One of the paper's example molecules; it has ten heavy atoms, so it is not in QM9."),
]
# key, title, SMILES used to find the QM9 row, note
QM9_MOLECULES = [
    ("thymine", "Thymine", "Cc1c[nH]c(=O)[nH]c1=O", "One of the paper's example molecules."),
    ("benzene", "Benzene", "c1ccccc1", "QM9 test-set molecule with an aromatic ring."),
    ("aminopropanenitrile", "2-Aminopropanenitrile", "CC(N)C#N", "QM9 test-set molecule with amine and nitrile N."),
    ("acetaldehyde", "Acetaldehyde", "CC=O", "QM9 test-set molecule with a C=O group."),
    ("hexafluoroethane", "Hexafluoroethane", "FC(F)(F)C(F)(F)F", "QM9 test-set molecule with fluorine."),
]
THYMINE_QM9_INDEX = 29238
# the order of the gallery menu: the paper's molecules (thymine, the pages' default, first), the cages, QM9
DISPLAY_ORDER = ["thymine", *(m[0] for m in SMILES_MOLECULES), *(f[0] for f in FULLERENES),
                 *(m[0] for m in QM9_MOLECULES if m[0] != "thymine")]


def build_fullerene(key: str, faces: int, expected: str) -> tuple[Structure, str]:
    """Relaxed fullerene and its point group (checked against ``expected``)."""
    adjacency = fullerene_adjacency(faces)
    began = time.perf_counter()
    relaxed = relax_cage(adjacency, key, fmax=FMAX, steps=RELAX_STEPS)
    group = point_group(relaxed)
    print(f"{key}: GFN2-xTB relaxation {time.perf_counter() - began:.1f} s, point group {group}")
    if group != expected:
        raise RuntimeError(f"{key} relaxed to point group {group}, expected {expected}")
    return relaxed, group


def canonical(smiles: str) -> str | None:
    """RDKit canonical SMILES without stereo (QM9's SMILES carry none)."""
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else Chem.MolToSmiles(mol, isomericSmiles=False)


def qm9_positions_of(smiles: str) -> list[int]:
    """Row positions in :func:`qm9_frame` whose SMILES is the same molecule as ``smiles``."""
    from rdkit import Chem

    frame = qm9_frame()
    n_atoms = Chem.AddHs(Chem.MolFromSmiles(smiles)).GetNumAtoms()
    target = canonical(smiles)
    candidates = np.flatnonzero(frame["N_atoms"].to_numpy() == n_atoms)
    return [int(k) for k in candidates if canonical(frame["SMILES"].iat[k]) == target]


def write_xyz(structure: Structure, path: Path, comment: str) -> None:
    """Plain XYZ with six decimals (negative zeros removed, so reruns give identical files)."""
    rows = [f"{s:<2s} {x:12.6f} {y:12.6f} {z:12.6f}"
            for s, (x, y, z) in zip(structure.symbols, np.round(structure.positions, 6) + 0.0)]
    path.write_text("\n".join([str(structure.n_atoms), comment, *rows]) + "\n", encoding="utf-8")


def entry(key: str, title: str, source: str, note: str, point_group: str | None = None,
          qm9_index: int | None = None) -> dict:
    return {"key": key, "title": title, "file": f"{key}.xyz", "source": source,
            "point_group": point_group, "qm9_index": qm9_index, "note": note}


def main() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"  # before tblite loads: one thread makes xTB bitwise reproducible
    GALLERY_DIR.mkdir(parents=True, exist_ok=True)
    entries = []
    for key, title, faces, expected, note in FULLERENES:
        structure, group = build_fullerene(key, faces, expected)
        write_xyz(structure, GALLERY_DIR / f"{key}.xyz", title)
        source = (f"Bond graph of the IPR isomer from buckygen (-I -d {faces}), spectral start from graph "
                  f"Laplacian eigenvectors 2-4 scaled to a {MEAN_BOND} A mean bond, {RELAXED}.")
        entries.append(entry(key, title, source, note + FULLERENE_SPLIT_NOTE, point_group=group))
    for key, title, smiles, note in SMILES_MOLECULES:
        if qm9_positions_of(smiles):
            raise RuntimeError(f"{title} is in QM9; take its QM9 geometry instead")
        structure = centred(relax_xtb(structure_from_smiles(smiles, relax=False, seed=0), fmax=FMAX))
        write_xyz(structure, GALLERY_DIR / f"{key}.xyz", title)
        source = f"RDKit ETKDG embedding (seed 0) of SMILES {smiles} with MMFF clean-up, {RELAXED}."
        entries.append(entry(key, title, source, note))
    split_of = {int(row): part for part, rows in qm9_split().items() for row in rows}
    for key, title, smiles, note in QM9_MOLECULES:
        (row,) = qm9_positions_of(smiles)
        record = qm9_frame().iloc[row]
        index = int(record["Index"])
        if key == "thymine" and index != THYMINE_QM9_INDEX:
            raise RuntimeError(f"thymine found at QM9 index {index}, expected {THYMINE_QM9_INDEX}")
        if key != "thymine" and split_of[row] != "test":
            raise RuntimeError(f"{title} (QM9 index {index}) is not in the committed test split")
        write_xyz(qm9_structure(record), GALLERY_DIR / f"{key}.xyz", title)
        source = (f"QM9 B3LYP/6-31G(2df,p) geometry of molecule {index} (SMILES {record['SMILES']}) "
                  "from the qm9pack CSV.")
        entries.append(entry(key, title, source, f"{note} It is in the {split_of[row]} split.",
                             qm9_index=index))
    entries.sort(key=lambda e: DISPLAY_ORDER.index(e["key"]))
    INDEX_FILE.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} entries to {INDEX_FILE}")


if __name__ == "__main__":
    main()
