"""Cross-checks the Explore page shows under a QM9 prediction: the HOMO-LUMO gap that the two orbital
models give together, and the seed check, how much of one molecule's GA map a second training of the
same model (another seed, ``pretrained/seeds/<model>_seed1.pt``) shares, read against the test-set
noise floor that ``scann ga-seeds`` committed in ``docs/ga_seeds_<model>.csv``."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .session import cached_prediction, structure_key

if TYPE_CHECKING:  # pragma: no cover
    from scann_core.structure import Structure

SEED_FLOORS = Path(__file__).resolve().parents[2] / "docs"  # ga_seeds_<model>.csv, from `scann ga-seeds --out`
GAP_BASELINE = "gap_from_orbitals.json"  # in assets/data, from scripts/gap_from_orbital_models.py --out


@lru_cache(maxsize=1)
def _gap_baseline_mae() -> float | None:
    """The committed test MAE (eV) of LUMO minus HOMO model against QM9's gap, or None."""
    import json

    from scann_core.paths import ASSETS

    try:
        return float(json.loads((ASSETS / "data" / GAP_BASELINE).read_text())["mae_lumo_minus_homo"])
    except (OSError, ValueError, KeyError):
        return None


def orbital_gap_sentence(names: Sequence[str], structure: "Structure") -> str:
    """One sentence with the HOMO-LUMO gap that the shipped ``qm9_lumo`` and ``qm9_homo`` models give
    together (LUMO minus HOMO) and, when committed, that difference's MAE on the QM9 test set;
    '' for a crystal, when either model is missing, or when either prediction fails."""
    if structure.is_periodic or not {"qm9_homo", "qm9_lumo"} <= set(names):
        return ""
    key = structure_key(structure)
    try:
        homo, lumo = (cached_prediction(name, structure, key) for name in ("qm9_homo", "qm9_lumo"))
    except Exception:  # noqa: BLE001 -- the selected model's own prediction reports the problem
        return ""
    mae = _gap_baseline_mae()
    accuracy = f", off by {1000 * mae:.0f} meV on average over the QM9 test set" if mae is not None else ""
    return (f"HOMO-LUMO gap from the LUMO and HOMO models: **{lumo.value - homo.value:.4g} eV** "
            f"(LUMO minus HOMO{accuracy}; no GA map of its own).")


@dataclass(frozen=True)
class SeedCheck:
    """GA of the second seed on the loaded molecule and its agreement with the shown model's GA."""

    seed_model: str  # checkpoint path
    ga: np.ndarray  # (n_atoms,) the second seed's GA, sums to 1
    spearman: float  # all atoms, after averaging over symmetry classes (nan when undefined)
    spearman_heavy: float  # heavy atoms only (nan when fewer than three are left)
    sentence: str  # what the page shows


def seed_model_for(model_name: str) -> str | None:
    """The checkpoint of ``model_name`` trained from a second seed, or None when none is shipped."""
    from scann_core.predict import second_seed_checkpoint

    path = second_seed_checkpoint(model_name)
    return str(path) if path.exists() else None


@lru_cache(maxsize=16)
def _seed_floors(model_name: str) -> dict[str, float]:
    """``{'all': rho, 'heavy': rho}`` (whichever are committed) from ``docs/ga_seeds_<model>.csv``."""
    import pandas as pd

    from scann_core.predict import second_seed_checkpoint

    try:
        rows = pd.read_csv(SEED_FLOORS / f"ga_seeds_{model_name}.csv")
        rows = rows[rows["second"].str.endswith(second_seed_checkpoint(model_name).name)]
        return {str(atoms): float(rho) for atoms, rho in zip(rows["atoms"], rows["mean_spearman"])}
    except (OSError, ValueError, KeyError, AttributeError):
        return {}


def seed_floor(model_name: str, atoms: str = "all") -> float | None:
    """Mean per-molecule Spearman of GA between the shipped model and its second seed over the QM9
    test set (``atoms``: ``'all'`` or ``'heavy'``), or None when not committed."""
    return _seed_floors(model_name).get(atoms)


def seed_floor_phrase(model_name: str) -> str:
    """``'0.69 on average (heavy atoms 0.79)'`` for a model with a committed floor, else ''."""
    floor, heavy = seed_floor(model_name), seed_floor(model_name, "heavy")
    if floor is None:
        return ""
    return f"{floor:.2f} on average" + (f" (heavy atoms {heavy:.2f})" if heavy is not None else "")


def seed_check(model_name: str, structure: "Structure", ga: np.ndarray,
               classes: Sequence[np.ndarray] | None) -> SeedCheck | None:
    """Predict ``structure`` with the second seed of ``model_name`` and compare the two GA maps
    (symmetry-averaged ranks, as the noise floor is); None without a second seed or a prediction."""
    from scann_core.ga_stats import seed_agreement

    seed_model = seed_model_for(model_name)
    if seed_model is None:
        return None
    try:
        seed_ga = cached_prediction(seed_model, structure, structure_key(structure)).ga
    except Exception:  # noqa: BLE001 -- the shown model's own prediction reports problems
        return None
    heavy = np.asarray(structure.numbers) > 1
    rho_all, rho_heavy = (float(seed_agreement([ga], [seed_ga], [classes], atoms)[0]) for atoms in (None, [heavy]))
    return SeedCheck(seed_model, seed_ga, rho_all, rho_heavy, _sentence(model_name, rho_all, rho_heavy))


def _sentence(model_name: str, rho_all: float, rho_heavy: float) -> str:
    def number(value: float) -> str:
        return "undefined" if not np.isfinite(value) else f"{value:.2f}"

    floor = seed_floor_phrase(model_name)
    typical = f"; over the QM9 test set the two agree at {floor}" if floor else ""
    return (f"**Seed check:** the same model trained from another seed ranks this molecule's atoms by GA alike "
            f"at Spearman **{number(rho_all)}** (heavy atoms {number(rho_heavy)}){typical}. Where the two seeds' "
            "GA differ (column 'GA, seed 1' of the per-atom table), the map reflects the training run, not the molecule.")
