"""The example structures shipped in ``assets/gallery`` (built by ``scripts/build_gallery.py``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .io import load_structure
from .structure import Structure, StructureError

__all__ = ["GALLERY_DIR", "GalleryEntry", "gallery_entries", "gallery_entry", "gallery_in_domain",
           "load_gallery_structure", "point_group"]

GALLERY_DIR = Path(__file__).resolve().parent.parent / "assets" / "gallery"
INDEX_FILE = GALLERY_DIR / "gallery.json"


@dataclass(frozen=True)
class GalleryEntry:
    """One gallery structure as recorded in ``gallery.json``.

    Attributes:
        key: short identifier (also the file stem).
        title: name for people.
        file: file name inside :data:`GALLERY_DIR`.
        source: one sentence on how the geometry was made.
        point_group: Schoenflies symbol, recorded for the fullerenes.
        qm9_index: 1-based QM9 ``Index`` when the geometry comes from QM9.
        note: remarks for the user.
    """

    key: str
    title: str
    file: str
    source: str
    point_group: str | None = None
    qm9_index: int | None = None
    note: str = ""

    @property
    def path(self) -> Path:
        return GALLERY_DIR / self.file


def gallery_entries() -> list[GalleryEntry]:
    """All gallery entries in the order of ``gallery.json``."""
    with INDEX_FILE.open(encoding="utf-8") as handle:
        return [GalleryEntry(**item) for item in json.load(handle)]


def gallery_entry(key: str) -> GalleryEntry:
    """The gallery entry ``key``.

    Raises:
        KeyError: if there is no entry with that key.
    """
    for entry in gallery_entries():
        if entry.key == key:
            return entry
    raise KeyError(f"no gallery entry '{key}'")


def load_gallery_structure(key: str) -> Structure:
    """The structure of the gallery entry ``key`` (KeyError if there is none)."""
    return load_structure(gallery_entry(key).path)


def gallery_in_domain(predictor) -> tuple[list[Structure], str]:
    """The gallery structures a model speaks about without an out-of-domain warning, and a sentence
    naming them (an evaluation set of issue #7; ``predictor`` is a :class:`~scann_core.predict.Predictor`)."""
    chosen = []
    for entry in gallery_entries():
        structure = load_structure(entry.path)
        try:
            if not predictor.check(structure):
                chosen.append(structure)
        except StructureError:
            continue
    names = ", ".join(structure.name for structure in chosen)
    return chosen, f"the {len(chosen)} gallery structures inside the model's domain ({names})"


def point_group(structure: Structure, tolerance: float = 0.1) -> str:
    """Schoenflies point group of a molecule from pymatgen's PointGroupAnalyzer."""
    from pymatgen.core import Molecule
    from pymatgen.symmetry.analyzer import PointGroupAnalyzer

    molecule = Molecule(structure.numbers.tolist(), structure.positions)
    return PointGroupAnalyzer(molecule, tolerance=tolerance).sch_symbol
