"""Labelled structure sets in (gzipped) extended XYZ: the project's generated datasets.

Each frame is one structure; its header holds a ``config_id`` and the labels (for example
``formation_energy_per_atom`` in ``assets/data/smfe12.extxyz.gz``). The split is fixed per
structure, not per file. A generator that must keep groups together (all frames of a fullerene
cage, all snapshots of a trajectory) writes each frame's part in a ``split`` header; otherwise a
structure's part (train 80 %, validation 10 %, test 10 %) follows from a hash of its
``config_id``, so a dataset that grows keeps every earlier assignment.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..structure import Structure

__all__ = ["LabelledSet", "read_labelled", "split_of", "labelled_graphs", "labelled_data_splits"]

SPLIT_BUCKETS = {"train": range(0, 8), "val": range(8, 9), "test": range(9, 10)}  # of hash mod 10


@dataclass
class LabelledSet:
    """Structures with their header info and extra per-atom columns.

    Attributes:
        structures: one :class:`Structure` per frame, named by ``config_id``.
        info: one dict of header values per frame (the energy key included).
        arrays: one dict per frame of the per-atom columns other than species and positions,
            e.g. the Pt/graphene references ``curvature`` (n_atoms,); empty dicts when there are none.
    """

    structures: list[Structure]
    info: list[dict]
    arrays: list[dict[str, np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.arrays:
            self.arrays = [{} for _ in self.structures]

    def __len__(self) -> int:
        return len(self.structures)

    @property
    def ids(self) -> list[str]:
        return [s.name for s in self.structures]

    def values(self, key: str) -> np.ndarray:
        """(n,) float values of one header key."""
        missing = [s.name for s, i in zip(self.structures, self.info) if key not in i]
        if missing:
            raise KeyError(f"{len(missing)} structures (e.g. {missing[0]}) have no {key!r} label.")
        return np.array([float(i[key]) for i in self.info])

    @property
    def parts(self) -> list[str]:
        """'train', 'val' or 'test' per structure: the frames' own ``split`` headers when every frame
        has one, else :func:`split_of` each ``config_id``."""
        if self.info and all(i.get("split") in SPLIT_BUCKETS for i in self.info):
            return [str(i["split"]) for i in self.info]
        return [split_of(name) for name in self.ids]

    def splits(self, bounds: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        """Positions of the train / val / test structures; with ``bounds``, only those whose header
        values are at most these (a structure without the key is left out)."""
        keep = np.ones(len(self), dtype=bool)
        for key, limit in (bounds or {}).items():
            keep &= np.array([float(i.get(key, np.inf)) <= limit for i in self.info], dtype=bool)
        parts = np.array(self.parts)
        return {name: np.flatnonzero((parts == name) & keep) for name in SPLIT_BUCKETS}


COLUMN_TYPES = {"R": float, "I": int, "S": str, "L": lambda text: text in ("T", "True")}


def _columns(properties: str) -> list[tuple[str, str, int]] | None:
    """(name, type letter, width) of each per-atom column of an extxyz ``Properties`` value, or
    None unless it starts with ``species:S:1:pos:R:3`` and uses known types only."""
    fields = properties.split(":")
    columns = [(fields[k], fields[k + 1], int(fields[k + 2])) for k in range(0, len(fields) - 2, 3)]
    if len(fields) % 3 or columns[:2] != [("species", "S", 1), ("pos", "R", 3)] \
            or any(kind not in COLUMN_TYPES for _, kind, _ in columns):
        return None
    return columns


def _parse_frames(text: str) -> LabelledSet | None:
    """Every frame of an extended XYZ text, parsed directly (ASE's reader takes about 25 ms per
    frame); None for anything this parser does not handle (ASE reads it then)."""
    from ase.io.extxyz import key_val_str_to_dict

    from .._elements import NUMBERS

    lines = text.splitlines()
    structures, info, arrays, k = [], [], [], 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        n = int(lines[k])
        header = key_val_str_to_dict(lines[k + 1])
        columns = _columns(str(header.pop("Properties", "")))
        if columns is None:
            return None
        rows = [line.split() for line in lines[k + 2:k + 2 + n]]
        extra, start = {}, 1
        for name, kind, width in columns[1:]:
            values = [[COLUMN_TYPES[kind](x) for x in row[start:start + width]] for row in rows]
            extra[name] = np.array(values).reshape(n, width) if width > 1 else np.array(values).reshape(n)
            start += width
        positions = extra.pop("pos")
        pbc = tuple(bool(b) for b in header.pop("pbc", (False, False, False)))
        lattice = header.pop("Lattice", None)
        cell = np.asarray(lattice, dtype=np.float64).T if lattice is not None else np.zeros((3, 3))
        name = str(header.get("config_id", f"frame_{len(structures)}"))
        structures.append(Structure([NUMBERS[row[0]] for row in rows], positions, cell, pbc, name))
        info.append(header)
        arrays.append(extra)
        k += n + 2
    return LabelledSet(structures, info, arrays)


@lru_cache(maxsize=4)
def _read_cached(path: str, mtime: float) -> LabelledSet:
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as handle:
        parsed = _parse_frames(handle.read())
    return _read_with_ase(path) if parsed is None else parsed


def _read_with_ase(path: str) -> LabelledSet:
    import ase.io

    from ..io import structure_from_ase

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = ase.io.read(path, index=":", format="extxyz")
    structures, info, arrays = [], [], []
    for k, atoms in enumerate(frames):
        header = dict(atoms.info)
        if atoms.calc is not None and "energy" in atoms.calc.results:
            header["energy"] = float(atoms.calc.results["energy"])
        structures.append(structure_from_ase(atoms, str(header.get("config_id", f"frame_{k}"))))
        info.append(header)
        arrays.append({key: value for key, value in atoms.arrays.items() if key not in ("numbers", "positions")})
    return LabelledSet(structures, info, arrays)


def read_labelled(path: str | Path) -> LabelledSet:
    """Every frame of an extended XYZ file (``.gz`` allowed); cached while the file is unchanged."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no dataset file at {path}.")
    return _read_cached(str(path.resolve()), path.stat().st_mtime)


def split_of(config_id: str) -> str:
    """'train', 'val' or 'test' for one structure (from the SHA-1 of its id, so it never changes)."""
    bucket = int(hashlib.sha1(config_id.encode()).hexdigest(), 16) % 10
    return next(name for name, buckets in SPLIT_BUCKETS.items() if bucket in buckets)


def labelled_graphs(config, path: str | Path, *, workers: int = 2, progress=None):
    """Every structure of a dataset file featurised under ``config``'s neighbour rule, in file order
    with nan targets; cached by file content and preprocessing parameters."""
    from ..dataset import GraphSet, featurization_key, featurize
    from ..paths import cache_dir

    path = Path(path)
    digest = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    cache = cache_dir("features") / f"{path.name.split('.')[0]}_{featurization_key(config, digest)}.npz"
    if cache.exists():
        return GraphSet.load(cache)
    data = read_labelled(path)
    graphs = featurize(data.structures, np.full(len(data), np.nan), config, workers=workers, progress=progress)
    graphs.save(cache)
    return graphs


def labelled_data_splits(config, path: str | Path, target: str, *, unit: str, limit: int | None = None,
                         bounds: dict[str, float] | None = None, workers: int = 2, progress=None):
    """Train/val/test :class:`GraphSet` of one label of a dataset file (``limit``: the first
    structures of each part only; ``bounds``: see :meth:`LabelledSet.splits`)."""
    from ..train import DataSplits

    data = read_labelled(path)
    graphs = labelled_graphs(config, path, workers=workers, progress=progress).with_targets(data.values(target))
    parts = {name: idx[:limit] for name, idx in data.splits(bounds).items()}
    return DataSplits(**{name: graphs.subset(idx) for name, idx in parts.items()}, unit=unit)
