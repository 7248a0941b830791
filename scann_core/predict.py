"""Inference: load a shipped or saved model and predict a property with per-atom GA."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .checkpoint import TargetInfo, load_checkpoint
from .graph import Graph, build_graph, collate, element_lookup
from .model import ScannModel
from .structure import Structure, StructureError, validate_structure
from .structure_types import fits_structure_type
from .train import pick_device

__all__ = ["Predictor", "Prediction", "available_models", "write_prediction", "PRETRAINED_DIR",
           "second_seed_checkpoint"]

PRETRAINED_DIR = Path(__file__).with_name("pretrained")
SIZE_WARNING_FACTOR = 1.5  # warn above this many times the largest training structure
SIZE_MAE_FACTOR = 2.0  # warn where the test MAE at a structure's size exceeds the overall one this many times


def second_seed_checkpoint(name: str) -> Path:
    """Where the shipped model ``name`` trained again from a second seed lives (it may not exist)."""
    return PRETRAINED_DIR / "seeds" / f"{name}_seed1.pt"


def available_models() -> list[str]:
    """Names of the models shipped in the package (``Predictor.load(name)`` opens them)."""
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt"))


@dataclass
class Prediction:
    """One structure's prediction.

    Attributes:
        value: predicted property in ``unit``.
        unit: unit of ``value``.
        ga: (n_atoms,) global attention, sums to 1.
        structure: the structure predicted (GA is in its atom order).
        warnings: notes for a person on how far to trust it (out of domain, large test error at this size).
    """

    value: float
    unit: str
    ga: np.ndarray
    structure: Structure
    warnings: list[str] = field(default_factory=list)


class Predictor:
    """A trained SCANN model with its target scaling, card and device."""

    def __init__(self, model: ScannModel, target: TargetInfo, card: dict, device: torch.device) -> None:
        self.model, self.target, self.device = model, target, device
        self.card = {
            "target": target.name, "unit": target.unit, "elements": list(model.config.elements),
            "ga_mode": model.config.ga_mode, "ga_normalize": model.config.ga_normalize,
            "preliminary": True, "level_of_theory": "unknown", "max_train_atoms": None,
            "test_mae": None, "kind": "molecule", **card,
        }

    @classmethod
    def load(cls, name_or_path: str | Path, device: str | None = None) -> "Predictor":
        """Open a shipped model by name (see :func:`available_models`) or a checkpoint path."""
        path = Path(name_or_path)
        if not path.suffix:
            path = PRETRAINED_DIR / f"{name_or_path}.pt"
            if not path.exists():
                raise FileNotFoundError(f"no shipped model named {name_or_path!r}; available: "
                                        f"{', '.join(available_models()) or 'none'}.")
        device_ = pick_device(device)
        model, target, card = load_checkpoint(path, device_)
        card.setdefault("name", path.stem)
        return cls(model, target, card, device_)

    def check(self, structure: Structure) -> list[str]:
        """Raise :class:`StructureError` for input the model cannot speak about (unknown elements,
        a crystal for a molecule model or the reverse); return out-of-domain warnings."""
        validate_structure(structure, allowed_numbers=set(self.model.config.elements))
        if structure.is_periodic != (self.card["kind"] == "crystal"):
            kind = "a crystal" if structure.is_periodic else "a molecule"
            raise StructureError(f"{structure.name} is {kind}, but {self.card['name']} was trained on "
                                 f"{self.card['kind']}s only, so it gives no number for it.")
        if fits_structure_type(self.card, structure) is False:
            raise StructureError(f"{structure.name} is not a {self.card['structure_type']}-type structure, the only "
                                 f"kind of structure {self.card['name']} was trained on, so it gives no number for it.")
        largest = self.card.get("max_train_atoms")
        exact_for_supercells = structure.is_periodic and self.model.config.ga_mode == "size_consistent"
        if largest and structure.n_atoms > SIZE_WARNING_FACTOR * largest and not exact_for_supercells:
            return [f"{structure.n_atoms} atoms is far more than the largest training structure "
                    f"({largest} atoms): this prediction is an extrapolation."]
        return []

    def _accuracy_at_this_size(self, structure: Structure) -> str | None:
        """A warning when the card's test MAE for structures with this many heavy atoms is more
        than ``SIZE_MAE_FACTOR`` times the overall one, or was never measured."""
        by_size, overall = self.card.get("test_mae_by_heavy_atoms"), self.card.get("test_mae")
        if not by_size or not overall:
            return None
        heavy = int(np.count_nonzero(np.asarray(structure.numbers) > 1))
        group, unit = by_size.get(str(heavy)), self.card["unit"]
        atoms = f"{heavy} heavy atom{'' if heavy == 1 else 's'}"
        if group is None:
            sizes = sorted(map(int, by_size))
            return (f"No test structure has {atoms} (the test set has {sizes[0]} to {sizes[-1]}), "
                    f"so this model's accuracy at this size was never measured.")
        if group["mae"] > SIZE_MAE_FACTOR * overall:
            bias = group.get("mean_error")  # absent on cards exported before it was recorded
            direction = "" if bias is None else (f"; on average its predictions there are {abs(bias):.2g} {unit} "
                                                 f"too {'high' if bias > 0 else 'low'}")
            return (f"On the {group['n']} test structures with {atoms} this model's MAE is "
                    f"{group['mae']:.3g} {unit}, {group['mae'] / overall:.1f} times its overall test MAE "
                    f"({overall:.3g} {unit}){direction}.")
        return None

    @property
    def dataset(self) -> str:
        """The training dataset ('qm9' or a dataset file), from the card."""
        return str(self.card.get("train_config", {}).get("dataset", "qm9"))

    def model_input(self, structure: Structure) -> tuple[Graph, list[str]]:
        """Checked graph of ``structure`` in its own cell and atom order, and the warnings (out of
        domain, cell-dependent GA, a test error at this size well above the model's overall one).

        Crystal models use the size-consistent GA, so the prediction does not depend on the
        cell chosen (primitive, conventional or a supercell) and GA stays in the user's order.
        """
        warnings = self.check(structure)
        if structure.is_periodic and self.model.config.ga_mode == "paper":
            warnings.append("With the paper's GA formula the prediction and GA depend on the cell chosen: "
                            "compare crystals in the same cell.")
        if size_note := self._accuracy_at_this_size(structure):
            warnings.append(size_note)
        return build_graph(structure, self.model.config), warnings

    @torch.no_grad()
    def predict(self, structure: Structure) -> Prediction:
        """Prediction and per-atom GA for one structure."""
        graph, warnings = self.model_input(structure)
        batch = collate([graph], element_lookup(self.model.config.elements)).to(self.device)
        output = self.model(batch)
        value = float(output.prediction[0]) * self.target.std + self.target.mean
        return Prediction(value, self.target.unit, output.ga.double().cpu().numpy(), structure, warnings)


def write_prediction(prediction: Prediction, stem: Path, *, target: str) -> None:
    """Write ``stem.extxyz`` (per-atom ``ga`` column, readable by ASE and OVITO) and ``stem.csv``."""
    import pandas as pd

    from .io import write_extxyz

    structure = prediction.structure
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_extxyz(structure, stem.with_suffix(".extxyz"), per_atom={"ga": prediction.ga},
                 info={target: prediction.value, "unit": prediction.unit})
    pd.DataFrame({"index": np.arange(1, structure.n_atoms + 1), "element": structure.symbols,
                  "ga": prediction.ga, "n_times_ga": prediction.ga * structure.n_atoms}).to_csv(
        stem.with_suffix(".csv"), index=False)
