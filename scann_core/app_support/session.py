"""The Streamlit side of the pages: session state, cached library calls, the structure input
widgets and the 3D viewer frame."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import streamlit as st

from .formatting import property_rank, try_call, user_message

if TYPE_CHECKING:  # pragma: no cover
    from scann_core.structure import Structure


def init_state(defaults: dict[str, Any]) -> None:
    """Set every key of ``defaults`` in ``st.session_state`` that is not there yet."""
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


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


def list_models() -> tuple[list[str], str | None]:
    """Names of the shipped models, and a message when they cannot be listed."""
    try:
        from scann_core.predict import available_models

        return list(available_models()), None
    except Exception as exc:  # noqa: BLE001 -- a missing or broken module must not break the page
        return [], f"The model list is not available ({user_message(exc)})"


def models_for(names: Sequence[str], structure: "Structure") -> list[str]:
    """The models of ``names`` whose card kind fits ``structure`` (molecule models for a molecule,
    crystal models for anything periodic), those trained on its structure type first (so a fullerene
    opens the fullerene models by default) and those trained on another structure type last; within
    each group in property order (HOMO, LUMO, gap, alpha, Cv), so a molecule opens HOMO.
    A model that cannot be loaded is kept, so that its error shows."""
    from scann_core.structure_types import fits_structure_type

    wanted = "crystal" if structure.is_periodic else "molecule"
    ranked = []
    for order, name in enumerate(names):
        try:
            card = load_predictor(name).card
        except Exception:  # noqa: BLE001 -- the prediction step reports it in one sentence
            card = {"kind": wanted}
        if card.get("kind", "molecule") == wanted:
            fits = fits_structure_type(card, structure)
            ranked.append(({True: 0, None: 1, False: 2}[fits], property_rank(name), order, name))
    return [name for *_, name in sorted(ranked)]


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


SAVE_LINK_HEIGHT = 40  # px below a 3D view for the frame margin and its "Save PNG" link


def render_viewer(html: str | None, height: int, error: str | None = None) -> None:
    """Show a viewer HTML string (from scann_core.viz) in an iframe of fixed height, or ``error``
    (why there is no view) in its place.

    ``st.iframe`` where this Streamlit has it (``components.v1.html`` is deprecated there),
    else ``streamlit.components.v1.html``. The HTML comes from scann_core.viz, which
    escapes every user-supplied text it embeds.
    """
    if error:
        st.error(error)
    elif hasattr(st, "iframe"):
        st.iframe(html, height=int(height) + SAVE_LINK_HEIGHT)
    else:  # pragma: no cover -- older Streamlit
        import streamlit.components.v1 as components

        components.html(html, height=int(height) + SAVE_LINK_HEIGHT, scrolling=False)


def structure_input(prefix: str, gallery: dict[str, str], *, smiles_example: str,
                    notes: dict[str, str] | None = None, first_kinds: Sequence[str] = (),
                    horizontal: bool = False) -> str:
    """The "Structure from" widgets of a page's sidebar (call inside ``st.sidebar``).

    A radio of ``first_kinds``, then "Gallery" (when ``gallery``, title -> key, has entries),
    "SMILES" and "Upload a file"; the chosen gallery molecule (its source text with
    ``notes[key]`` when there is one), built SMILES or new upload is loaded into the
    ``prefix`` session state (see :func:`load_into_state`). Returns the chosen kind, so that
    the page handles its own ``first_kinds``.
    """
    init_state({f"{prefix}_structure": None, f"{prefix}_source": "", f"{prefix}_error": None,
                f"{prefix}_gallery_loaded": None, f"{prefix}_upload_id": None})
    kinds = [*first_kinds, *(["Gallery"] if gallery else []), "SMILES", "Upload a file"]
    kind = st.radio("Structure from", kinds, key=f"{prefix}_input", horizontal=horizontal)
    if kind == "Gallery":
        title = st.selectbox("Gallery molecule", list(gallery), key=f"{prefix}_gallery")
        if title is not None and gallery[title] != st.session_state[f"{prefix}_gallery_loaded"]:
            st.session_state[f"{prefix}_gallery_loaded"] = gallery[title]
            note = (notes or {}).get(gallery[title], "")
            source = " · ".join(x for x in (f"gallery: {title}", note) if x)
            load_into_state(prefix, load_gallery, gallery[title], source=source)
    elif kind == "SMILES":
        smiles = st.text_input("SMILES", key=f"{prefix}_smiles", placeholder=f"e.g. {smiles_example}")
        if st.button("Build 3D structure", key=f"{prefix}_smiles_go"):
            with st.spinner("Embedding and relaxing the molecule..."):
                if load_into_state(prefix, parse_smiles, smiles, source=f"SMILES: `{smiles}`"):
                    st.session_state[f"{prefix}_gallery_loaded"] = None  # back to Gallery reloads its choice
    elif kind == "Upload a file":
        upload = st.file_uploader("Structure file", key=f"{prefix}_upload",
                                  help="xyz, extxyz, sdf, mol, pdb, cif, POSCAR / CONTCAR or .vasp")
        if upload is not None and upload.file_id != st.session_state[f"{prefix}_upload_id"]:
            st.session_state[f"{prefix}_upload_id"] = upload.file_id
            if load_into_state(prefix, parse_upload, upload.getvalue(), upload.name,
                               source=f"upload: `{upload.name}`"):
                st.session_state[f"{prefix}_gallery_loaded"] = None
    return kind


def loaded_structure(prefix: str, gallery_problem: str | None) -> "Structure":
    """The structure in the ``prefix`` session state, shown as a subheader with its source
    below, after the gallery problem and the last loading error; without a structure, a hint
    and ``st.stop()``."""
    if gallery_problem:
        st.warning(gallery_problem)
    if st.session_state[f"{prefix}_error"]:
        st.error(st.session_state[f"{prefix}_error"])
    structure = st.session_state[f"{prefix}_structure"]
    if structure is None:
        st.info("Choose a gallery molecule, type a SMILES string or upload a structure file (sidebar).")
        st.stop()
    st.subheader(f"{structure.formula} · {structure.n_atoms} atoms")
    st.caption(st.session_state[f"{prefix}_source"])
    return structure
