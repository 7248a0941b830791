"""Glue between the Streamlit pages and the library; the one non-page module importing streamlit.

Pure helpers (tables, downloads, messages, labels) come first and are tested without
Streamlit running; the cached loaders and the viewer renderer at the end wrap library
calls for the pages.  Library modules are imported inside functions so that the app
starts (and shows a clear message) even when a part of the library is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import streamlit as st

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from scann_core.structure import Structure

__all__ = [
    "PROPERTY_LABELS",
    "UPLOAD_TYPES",
    "PredictionResult",
    "atom_table",
    "cached_prediction",
    "device_label",
    "extxyz_bytes",
    "file_stem",
    "gallery_options",
    "init_state",
    "list_gallery",
    "list_models",
    "load_gallery",
    "load_into_state",
    "load_predictor",
    "model_options",
    "parse_smiles",
    "parse_upload",
    "render_viewer",
    "structure_key",
    "table_csv",
    "try_call",
    "user_message",
]

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
}


# ----------------------------------------------------------------------------- pure helpers


def init_state(defaults: dict[str, Any]) -> None:
    """Set every key of ``defaults`` in ``st.session_state`` that is not there yet."""
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


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


def device_label(device: str) -> str:
    """``'cuda:0'`` -> ``'GPU (cuda:0)'``, ``'cpu'`` -> ``'CPU'``."""
    device = str(device)
    return f"GPU ({device})" if device.startswith("cuda") else device.upper()


def model_options(names: Sequence[str]) -> dict[str, str]:
    """Map UI property labels to model names, in the order of ``names``.

    The label comes from the first ``_``/``-`` separated word of the name that is a known
    property: ``'qm9_homo'`` -> ``'HOMO'``, ``'scann_qm9_gap_v2'`` -> ``'HOMO-LUMO gap'``.
    Other names are shown as they are; demo models and a second model for the same
    property add the name: ``'demo_qm9_homo'`` -> ``'HOMO (demo_qm9_homo)'``.
    """
    import re

    out: dict[str, str] = {}
    for name in map(str, names):
        words = re.split(r"[_\-]", name.lower())
        label = next((PROPERTY_LABELS[w] for w in words if w in PROPERTY_LABELS), name)
        if label in out or (label != name and words[0] in ("demo", "tiny", "test")):
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


def try_call(fn, *args, **kwargs) -> tuple[Any, str | None]:
    """``(fn(*args), None)``, or ``(None, user_message(exc))`` when it raises."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 -- every failure becomes a one-sentence message
        return None, user_message(exc)


def load_into_state(prefix: str, loader, *args, source: str) -> bool:
    """Run ``loader(*args)`` and store its structure under ``f"{prefix}_structure"``.

    On failure the previous structure stays and the one-sentence message goes to
    ``f"{prefix}_error"``; on success the error is cleared and ``f"{prefix}_source"`` set.
    """
    structure, error = try_call(loader, *args)
    if error is not None:
        st.session_state[f"{prefix}_error"] = error
        return False
    st.session_state[f"{prefix}_structure"] = structure
    st.session_state[f"{prefix}_source"] = source
    st.session_state[f"{prefix}_error"] = None
    return True


@dataclass(frozen=True)
class PredictionResult:
    """What the page shows for one (model, structure): plain data, safe to cache and pickle."""

    model_name: str
    value: float
    ga: np.ndarray  # (n_atoms,) sums to 1
    warnings: tuple[str, ...]
    card: dict
    device: str


# ----------------------------------------------------------------------------- cached library calls


def list_models() -> tuple[list[str], str | None]:
    """Names of the shipped models, and a message when they cannot be listed."""
    try:
        from scann_core.predict import available_models

        return list(available_models()), None
    except Exception as exc:  # noqa: BLE001 -- a missing or broken module must not break the page
        return [], f"The model list is not available ({user_message(exc)})"


def list_gallery() -> tuple[list[Any], str | None]:
    """The gallery entries, and a message when the gallery cannot be read."""
    try:
        from scann_core.gallery import gallery_entries

        return list(gallery_entries()), None
    except ImportError:
        return [], None
    except Exception as exc:  # noqa: BLE001
        return [], f"The gallery is not available ({user_message(exc)})"


@st.cache_data(show_spinner=False, max_entries=64)
def load_gallery(key: str) -> "Structure":
    """One gallery structure by key (cached)."""
    from scann_core.gallery import load_gallery_structure

    return load_gallery_structure(key)


@st.cache_data(show_spinner=False, max_entries=64)
def parse_upload(data: bytes, filename: str) -> "Structure":
    """Parse uploaded bytes (cached by content and name); raises StructureError."""
    from scann_core.io import load_structure

    name = filename.rsplit("/", 1)[-1]
    return load_structure(data, name=name)


@st.cache_data(show_spinner=False, max_entries=64)
def parse_smiles(smiles: str) -> "Structure":
    """SMILES -> 3D structure (cached); raises StructureError."""
    from scann_core.io import structure_from_smiles

    return structure_from_smiles(smiles)


@st.cache_resource(show_spinner=False)
def load_predictor(name: str):
    """The Predictor for a model name or checkpoint path, loaded once per server."""
    from scann_core.predict import Predictor

    return Predictor.load(name)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_prediction(model_name: str, _structure: "Structure", structure_key: str) -> PredictionResult:
    """Predict once per (model, structure); ``structure_key`` identifies the structure."""
    predictor = load_predictor(model_name)
    pred = predictor.predict(_structure)
    ga = np.asarray(pred.ga, dtype=np.float64).reshape(-1)
    return PredictionResult(model_name=model_name, value=float(pred.value), ga=ga,
                            warnings=tuple(str(w) for w in getattr(pred, "warnings", ()) or ()),
                            card=dict(predictor.card), device=str(predictor.device))


def structure_key(structure: "Structure") -> str:
    """A content hash of a structure (numbers, positions, cell, pbc) for cache keys."""
    import hashlib

    h = hashlib.sha1()
    h.update(np.ascontiguousarray(structure.numbers, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(structure.positions, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(structure.cell, dtype=np.float64).tobytes())
    h.update(bytes(int(p) for p in structure.pbc))
    return h.hexdigest()


def render_viewer(html: str, height: int) -> None:
    """Show a viewer HTML string (from scann_core.viz) in an iframe of fixed height.

    ``st.iframe`` where this Streamlit has it (``components.v1.html`` is deprecated there),
    else ``streamlit.components.v1.html``. The HTML comes from scann_core.viz, which
    escapes every user-supplied text it embeds.
    """
    if hasattr(st, "iframe"):
        st.iframe(html, height=int(height) + 16)
    else:  # pragma: no cover -- older Streamlit
        import streamlit.components.v1 as components

        components.html(html, height=int(height) + 16, scrolling=False)
