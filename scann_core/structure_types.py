"""Structure types a model can be restricted to, and how to recognise each.

A model card's ``structure_type`` names the one kind of structure the model was trained on
(SmFe12 variants are ThMn12-type crystals; the fullerene models saw carbon cages only, the
Pt/graphene model carbon sheets only). The predictor refuses other structures, and the app
offers the models trained on a structure's own type first.
"""
from __future__ import annotations

from importlib import import_module

from .structure import Structure

__all__ = ["STRUCTURE_TYPES", "fits_structure_type"]

# card ``structure_type`` -> (module, function) of the test a structure must pass
STRUCTURE_TYPES = {"ThMn12": ("scann_core.data.smfe12", "is_thmn12_type"),
                   "fullerene": ("scann_core.data.fullerenes", "is_fullerene"),
                   "graphene sheet": ("scann_core.data.pt_graphene", "is_graphene_sheet")}


def fits_structure_type(card: dict, structure: Structure) -> bool | None:
    """Whether ``structure`` is of the structure type a model was trained on (its card's
    ``structure_type``); None for a model without one (the QM9 models)."""
    structure_type = card.get("structure_type")
    if structure_type not in STRUCTURE_TYPES:
        return None
    module, function = STRUCTURE_TYPES[structure_type]
    return bool(getattr(import_module(module), function)(structure))
