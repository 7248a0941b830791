"""Quantum-chemistry references to compare global attention with (see :mod:`.orbitals`).

Nothing here imports PySCF at import time; :mod:`.orbitals` imports it inside the
functions that need it.
"""
from .orbitals import (
    CUBE_KINDS,
    DEFAULT_METHOD,
    SHIPPED_DIR,
    OrbitalReference,
    OrbitalReferenceError,
    cached_reference,
    check_reference_input,
    compact_cube,
    compute_orbital_reference,
    find_reference,
    load_reference,
    lowdin_level_weights,
    parse_cube_header,
    reference_key,
    save_reference,
    shipped_reference,
)

__all__ = [
    "CUBE_KINDS",
    "DEFAULT_METHOD",
    "SHIPPED_DIR",
    "OrbitalReference",
    "OrbitalReferenceError",
    "cached_reference",
    "check_reference_input",
    "compact_cube",
    "compute_orbital_reference",
    "find_reference",
    "load_reference",
    "lowdin_level_weights",
    "parse_cube_header",
    "reference_key",
    "save_reference",
    "shipped_reference",
]
