"""Tiny named fixtures built in code, and one tolerance table."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from scann_core.structure import Structure

TOL = {"float64": 1e-9, "solid_angle": 1e-6}


def load_script(name: str):
    """``scripts/<name>.py`` imported as a module (the scripts are no package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def smfe12_structure() -> Structure:
    """ThMn12-type SmFe12 (I4/mmm; Sm 2a, Fe 8f, 8i, 8j), 26-atom conventional cell."""
    from pymatgen.core import Lattice
    from pymatgen.core import Structure as PymatgenStructure

    from scann_core.crystal import from_pymatgen

    crystal = PymatgenStructure.from_spacegroup("I4/mmm", Lattice.tetragonal(8.5, 4.8), ["Sm", "Fe", "Fe", "Fe"],
                                                [[0, 0, 0], [0.25, 0.25, 0.25], [0.36, 0, 0], [0.27, 0.5, 0]])
    return from_pymatgen(crystal, "SmFe12")


def graphene_sheet(vacuum: float, repeats: int = 4, pbc=(True, True, True)) -> Structure:
    a = 2.46
    cell = np.array([[a, 0, 0], [a / 2, a * np.sqrt(3) / 2, 0], [0, 0, vacuum]])
    fractional = [[i + f[0], j + f[1], 0.5] for i in range(repeats) for j in range(repeats)
                  for f in ((0, 0), (1 / 3, 1 / 3))]
    return Structure([6] * len(fractional), np.array(fractional) @ cell, cell * [[repeats], [repeats], [1]], pbc,
                     f"graphene_{vacuum:g}")


def tiny_sheet_model():
    """An untrained one-block carbon model with the size-consistent GA (seeded), and its target."""
    import torch

    from scann_core.checkpoint import TargetInfo
    from scann_core.config import ModelConfig
    from scann_core.model import ScannModel

    torch.manual_seed(0)
    config = ModelConfig(elements=(6,), n_blocks=1, dim=16, n_heads=2, cutoff=6.0, ga_mode="size_consistent",
                         ga_normalize=False)
    return ScannModel(config).eval(), TargetInfo("deformation_energy_ev", "eV", 0.05, 0.02)


def write_pt_graphene_dataset(path):
    """Four sheets in the Pt/graphene generator's format, each with one carbon raised by 0.3 A under
    a Pt atom (atoms 10, 20 in train; 30, 40 in test), with their references; returns ``path``."""
    from scann_core.data import pt_graphene as pg
    from scann_core.data.jobs import write_extxyz_gz
    from scann_core.io import structure_to_ase
    from scann_core.references import deformation as dref

    flat = pg.graphene_sheet()
    frames = []
    for k, (atom, split) in enumerate(((10, "train"), (20, "train"), (30, "test"), (40, "test"))):
        positions = flat.positions.copy()
        positions[atom, 2] += 0.3
        sheet = pg.carbon_sheet(flat.with_positions(positions))
        atoms = structure_to_ase(sheet)
        for key, values in dref.carbon_references(sheet, flat, site_energies=False).items():
            atoms.new_array(key, values)
        site_energy = np.zeros(sheet.n_atoms)
        site_energy[atom] = 0.05
        atoms.new_array("site_energy", site_energy)
        atoms.info.update({"config_id": f"Pt1-top-T300-s{k}-0", "cluster": "Pt1-top", "n_pt": 1,
                           "temperature": 300.0, "seed": k, "snapshot": 0, "time_fs": 100.0,
                           "deformation_energy_ev": 0.05, "split": split,
                           "pt_positions": positions[atom] + [0, 0, 2.0], "pt_side": "+z"})
        frames.append(atoms)
    write_extxyz_gz(frames, path)
    return path


@pytest.fixture
def ch4() -> Structure:
    from scann_core.data.qm9 import qm9_frame, qm9_structure

    return qm9_structure(qm9_frame().iloc[0])


@pytest.fixture
def benzene() -> Structure:
    angles = np.arange(6) * np.pi / 3
    ring = np.stack([np.cos(angles), np.sin(angles), np.zeros(6)], axis=1)
    return Structure([6] * 6 + [1] * 6, np.concatenate([1.39 * ring, 2.47 * ring]), name="benzene")


@pytest.fixture
def smfe12() -> Structure:
    return smfe12_structure()


@pytest.fixture
def bcc_fe() -> Structure:
    return Structure([26, 26], [[0, 0, 0], [1.435, 1.435, 1.435]], np.eye(3) * 2.87, (True, True, True), "bcc Fe")


@pytest.fixture
def nacl() -> Structure:
    from pymatgen.core import Lattice
    from pymatgen.core import Structure as PymatgenStructure

    from scann_core.crystal import from_pymatgen

    crystal = PymatgenStructure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    return from_pymatgen(crystal, "NaCl")
