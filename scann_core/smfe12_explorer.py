"""What the SmFe12 page works with, as plain functions: the dataset table, the Fe-site menu,
building a substituted variant, and locating it in the dataset."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ._elements import NUMBERS, SYMBOLS
from .paths import ASSETS
from .structure import Structure

__all__ = ["DATASET_PATH", "RATIOS_PATH", "dataset_frame", "dataset_structure", "host_cell", "parent_wyckoff",
           "fe_site_menu", "substitute", "substituted_atoms", "dataset_twin", "picked_config"]

DATASET_PATH = ASSETS / "data" / "smfe12.extxyz.gz"
RATIOS_PATH = ASSETS / "data" / "smfe12_site_ratios.csv"  # scripts/smfe12_site_check.py


def dataset_frame(path: Path = DATASET_PATH):
    """One row per structure: config_id, kind, substituents, a, sites, ef_label (meV/atom), split."""
    import pandas as pd

    from .data.labelled import read_labelled

    data = read_labelled(path)
    return pd.DataFrame({
        "config_id": data.ids,
        "kind": [str(i.get("kind", "")) for i in data.info],
        "substituents": [str(i.get("substituents", "none")) for i in data.info],
        "a": [int(i.get("a", 0)) for i in data.info],
        "sites": [str(i.get("sites", "none")) for i in data.info],
        "ef_label": 1000 * data.values("formation_energy_per_atom"),
        "split": data.parts,
    })


def dataset_structure(config_id: str, path: Path = DATASET_PATH) -> Structure:
    """The relaxed structure of one configuration of the dataset."""
    from .data.labelled import read_labelled

    data = read_labelled(path)
    try:
        return data.structures[data.ids.index(config_id)]
    except ValueError:
        raise KeyError(f"{config_id} is not in the SmFe12 dataset.") from None


@lru_cache(maxsize=1)
def host_cell() -> Structure:
    """The cell variants are built in: the CHGNet-relaxed SmFe12 of the dataset when it is there,
    else the ideal starting cell (a = 8.5 A, c = 4.8 A)."""
    from .data.smfe12 import parent_cell

    try:
        return dataset_structure("SmFe12")
    except (KeyError, FileNotFoundError):
        return parent_cell()


@lru_cache(maxsize=1)
def parent_wyckoff() -> tuple[str, ...]:
    """Wyckoff label of each of the 26 atoms of the parent cell (Sm 2a; Fe 8f, 8i, 8j)."""
    from .crystal import wyckoff_labels
    from .data.smfe12 import parent_cell

    return tuple(wyckoff_labels(parent_cell()))


def fe_site_menu() -> dict[str, int]:
    """``'Fe 11 · 8i'`` -> 0-based atom index, for the 24 Fe sites ordered by Wyckoff label."""
    from .data.smfe12 import fe_indices

    labels = parent_wyckoff()
    atoms = sorted(fe_indices(), key=lambda i: (labels[i], i))
    return {f"Fe {i + 1} · {labels[i]}": int(i) for i in atoms}


def substitute(element: str, atoms: list[int], host: Structure | None = None) -> Structure:
    """The host cell with ``element`` on the Fe atoms ``atoms`` (0-based); positions unrelaxed."""
    from .data.smfe12 import SUBSTITUENTS

    if element not in SUBSTITUENTS:
        raise ValueError(f"{element} is not one of the substituents the model knows ({', '.join(SUBSTITUENTS)}).")
    host = host_cell() if host is None else host
    numbers = host.numbers.copy()
    for atom in atoms:
        if numbers[atom] != NUMBERS["Fe"]:
            raise ValueError(f"Atom {atom + 1} is {SYMBOLS[numbers[atom]]}, not an Fe site.")
        numbers[atom] = NUMBERS[element]
    name = "SmFe12" if not atoms else "_".join(f"{element}{i:02d}" for i in sorted(atoms))
    return Structure(numbers, host.positions, host.cell, host.pbc, name)


def substituted_atoms(structure: Structure) -> list[int]:
    """0-based indices of the 26-atom cell's non-Sm, non-Fe atoms (the substituted Fe sites)."""
    return [int(i) for i in np.flatnonzero(~np.isin(structure.numbers, (NUMBERS["Fe"], NUMBERS["Sm"])))]


def dataset_twin(structure: Structure, ids: list[str]) -> str | None:
    """The dataset configuration symmetry-equivalent to a 26-atom variant, if the dataset has it."""
    from .data.smfe12 import configuration_of

    atoms = substituted_atoms(structure)
    config_id = configuration_of(atoms, [SYMBOLS[structure.numbers[i]] for i in atoms]).config_id
    return config_id if config_id in ids else None


def picked_config(chart_state) -> str | None:
    """The config_id of the first point selected on the dataset map (a plotly chart's selection
    state as Streamlit keeps it: ``{"selection": {"points": [{"customdata": [config_id, ...]}]}}``)."""
    try:
        points = chart_state["selection"]["points"]
    except (KeyError, TypeError):
        return None
    data = points[0].get("customdata") if points else None
    return str(data[0]) if data else None
