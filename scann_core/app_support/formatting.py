"""Pure helpers of the pages: one-sentence messages, labels, tables and download bytes.

Nothing here imports Streamlit, so all of it is tested without a script run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from scann_core.structure import Structure

# Accepted upload extensions (file_uploader `type=`); POSCAR/CONTCAR have no extension,
# so the uploader accepts any file and load_structure decides.
UPLOAD_TYPES = ["xyz", "extxyz", "sdf", "mol", "pdb", "cif", "vasp", "poscar"]

# Model-name suffix -> how the property is called in the UI.
PROPERTY_LABELS = {
    "homo": "HOMO",
    "lumo": "LUMO",
    "gap": "HOMO-LUMO gap",
    "alpha": "alpha (isotropic polarisability)",
    "cv": "Cv (heat capacity at 298 K)",
    "ef": "formation energy",
    "deformation": "sheet deformation energy",
}


def user_message(exc: BaseException) -> str:
    """One sentence for a person, never a stack trace.

    A :class:`~scann_core.structure.StructureError` already carries that sentence; any other
    exception is summarised by its first line, cut to 200 characters.
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    try:
        from scann_core.structure import StructureError
    except ImportError:  # pragma: no cover
        StructureError = ValueError  # noqa: N806
    if isinstance(exc, StructureError) and text:
        return text
    if not text:
        return f"Could not process this input ({type(exc).__name__})."
    if len(text) > 200:
        text = text[:197].rstrip() + "..."
    if not text.endswith((".", "!", "?")):
        text += "."
    return f"Could not process this input: {text}"


def try_call(fn, *args, **kwargs) -> tuple[Any, str | None]:
    """``(fn(*args), None)``, or ``(None, user_message(exc))`` when it raises."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 -- every failure becomes a one-sentence message
        return None, user_message(exc)


def device_label(device: str) -> str:
    """``'cuda:0'`` -> ``'GPU (cuda:0)'``, ``'cpu'`` -> ``'CPU'``."""
    device = str(device)
    return f"GPU ({device})" if device.startswith("cuda") else device.upper()


def missing_qm9_properties(names: Sequence[str]) -> list[str]:
    """Labels of the five QM9 targets (HOMO, LUMO, gap, alpha, Cv) without a shipped ``qm9_<target>``
    model among ``names``, in that order."""
    return [PROPERTY_LABELS[t] for t in ("homo", "lumo", "gap", "alpha", "cv") if f"qm9_{t}" not in names]


def _name_words(name: str) -> list[str]:
    """The lower-case ``_``/``-`` separated words of a model name."""
    import re

    return re.split(r"[_\-]", str(name).lower())


def _property_key(name: str) -> str | None:
    """The first word of a model name that is a key of :data:`PROPERTY_LABELS`, or None."""
    return next((w for w in _name_words(name) if w in PROPERTY_LABELS), None)


def property_rank(name: str) -> int:
    """Position of a model name's property in :data:`PROPERTY_LABELS` (HOMO first, then LUMO, gap,
    alpha, Cv, ...); names without a known property last."""
    key = _property_key(name)
    return list(PROPERTY_LABELS).index(key) if key is not None else len(PROPERTY_LABELS)


def model_options(names: Sequence[str]) -> dict[str, str]:
    """Map UI property labels to model names, in the order of ``names``.

    The label comes from the first ``_``/``-`` separated word of the name that is a known
    property: ``'qm9_homo'`` -> ``'HOMO'``, ``'scann_qm9_gap_v2'`` -> ``'HOMO-LUMO gap'``.
    Other names are shown as they are; demo models and a second model for the same
    property add the name: ``'demo_qm9_homo'`` -> ``'HOMO (demo_qm9_homo)'``.
    """
    out: dict[str, str] = {}
    for name in map(str, names):
        key = _property_key(name)
        label = PROPERTY_LABELS[key] if key is not None else name
        if label in out or (label != name and _name_words(name)[0] in ("demo", "tiny", "test")):
            label = f"{label} ({name})"
        out[label] = name
    return out


def gallery_options(entries: Sequence[Any]) -> dict[str, str]:
    """Map gallery titles (shown in the select box) to entry keys."""
    out: dict[str, str] = {}
    for e in entries:
        title = str(getattr(e, "title", None) or e.key)
        if title in out:
            title = f"{title} ({e.key})"
        out[title] = e.key
    return out


def atom_table(structure: "Structure", ga: np.ndarray, scaled: np.ndarray | None = None,
               scale_label: str | None = None) -> "pd.DataFrame":
    """Per-atom table: 1-based index, element, x/y/z (A), GA and optionally a scaled GA column."""
    import pandas as pd

    ga = np.asarray(ga, dtype=np.float64).reshape(-1)
    if ga.size != structure.n_atoms:
        raise ValueError(f"Got {ga.size} GA values for {structure.n_atoms} atoms.")
    pos = np.asarray(structure.positions)
    df = pd.DataFrame({
        "atom": np.arange(1, structure.n_atoms + 1),
        "element": structure.symbols,
        "x (A)": pos[:, 0], "y (A)": pos[:, 1], "z (A)": pos[:, 2],
        "GA": ga,
    })
    if scaled is not None and scale_label and scale_label != "GA":
        df[scale_label] = np.asarray(scaled, dtype=np.float64).reshape(-1)
    return df


def site_table(structure: "Structure") -> "pd.DataFrame":
    """Per-site table of a 3D crystal: 1-based index, element, Wyckoff label (spglib)."""
    import pandas as pd

    from scann_core.crystal import wyckoff_labels

    return pd.DataFrame({"atom": np.arange(1, structure.n_atoms + 1), "element": structure.symbols,
                         "Wyckoff": wyckoff_labels(structure)})


def table_csv(df: "pd.DataFrame") -> bytes:
    """The table as UTF-8 CSV bytes without the pandas index."""
    return df.to_csv(index=False).encode("utf-8")


def extxyz_bytes(structure: "Structure", per_atom: dict[str, Sequence[float]],
                 info: dict[str, Any] | None = None) -> bytes:
    """Extended XYZ bytes of one frame with extra per-atom columns (e.g. ``{'ga': ga}``).

    Written by :func:`scann_core.io.write_extxyz` (ASE's writer), so the file reads back
    with ``ase.io.read`` and OVITO.
    """
    import tempfile
    from pathlib import Path

    from scann_core.io import write_extxyz

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "structure.extxyz"
        write_extxyz(structure, path, per_atom={k: np.asarray(v, dtype=np.float64) for k, v in per_atom.items()},
                     info=info or {})
        return path.read_bytes()


def file_stem(name: str, fallback: str = "structure") -> str:
    """A safe file-name stem from a structure name (SMILES and uploads can hold anything)."""
    import re

    keep = re.sub(r"[^A-Za-z0-9.-]+", "_", str(name))
    keep = re.sub(r"\.{2,}", "_", keep).strip("._")
    return keep[:60] or fallback


def display_unit(card: dict) -> tuple[str, float]:
    """``(unit, factor)`` to show a model's errors in: meV (factor 1000) for eV, meV/atom for
    eV/atom, else the card's own unit (factor 1)."""
    unit = str(card.get("unit") or "")
    return (f"m{unit}", 1000.0) if unit in ("eV", "eV/atom") else (unit, 1.0)


def format_number(value: float | None, digits: int = 1) -> str:
    """``digits`` decimals, more where needed for three significant figures (without trailing zeros):
    ``157.387 -> '157.4'``, ``0.115 -> '0.115'``, ``0.041 -> '0.041'``; None or NaN -> ``'n/a'``."""
    if value is None or not np.isfinite(value):
        return "n/a"
    decimals = digits if value == 0 else max(digits, 2 - int(np.floor(np.log10(abs(value)))))
    text = f"{value:.{decimals}f}"
    if decimals > digits:  # keep the extra decimals only where they carry a significant figure
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(digits, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    return text


def finite_number(value: Any, factor: float = 1.0) -> float | None:
    """``value * factor`` as a float, or None when ``value`` is missing, not a number or not finite."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value * factor if np.isfinite(value) else None
