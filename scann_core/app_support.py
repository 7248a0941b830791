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
    "ATTRIBUTION_DOCS",
    "AUTO_ATTRIBUTION_ATOMS",
    "AttributionResult",
    "PROPERTY_LABELS",
    "UPLOAD_TYPES",
    "PredictionResult",
    "REFERENCE_BASES",
    "REFERENCE_KINDS",
    "add_reference_columns",
    "site_table",
    "atom_table",
    "attribution_results_dir",
    "attribution_table",
    "cached_attributions",
    "cached_prediction",
    "comparable_scores",
    "compute_attributions",
    "display_unit",
    "device_label",
    "evaluation_metrics",
    "weights_note",
    "extxyz_bytes",
    "file_stem",
    "format_number",
    "gallery_options",
    "init_state",
    "list_gallery",
    "list_models",
    "load_gallery",
    "load_into_state",
    "load_predictor",
    "loaded_structure",
    "mae_table",
    "model_card_rows",
    "lookup_reference",
    "model_options",
    "models_for",
    "parse_smiles",
    "parse_upload",
    "reference_comparison",
    "reference_status",
    "reference_summary",
    "reference_jobs",
    "render_viewer",
    "shapley_description",
    "structure_input",
    "structure_key",
    "structure_metric_table",
    "table_csv",
    "top_overlap",
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
    "ef": "formation energy",
    "deformation": "sheet deformation energy",
}

# UI label -> cube kind of scann_core.references (the orbital reference panel)
REFERENCE_KINDS = {"HOMO": "homo", "LUMO": "lumo", "Deformation density": "deformation"}
REFERENCE_MAX_ATOMS = 30  # on-demand B3LYP references, larger molecules are refused
# UI label -> basis set of an on-demand B3LYP reference (QM9's own first, then cheaper ones)
REFERENCE_BASES = {"6-31G(2df,p) (QM9's level)": "6-31G(2df,p)", "6-31G*": "6-31G*", "6-31G": "6-31G",
                   "STO-3G (fast, rough)": "STO-3G"}
REFERENCE_DEFAULT_BASIS = REFERENCE_BASES["6-31G(2df,p) (QM9's level)"]
FULLERENE_KEYS = ("C60", "C70", "C72")


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


def site_table(structure: "Structure") -> "pd.DataFrame":
    """Per-site table of a 3D crystal: 1-based index, element, Wyckoff label (spglib)."""
    import pandas as pd

    from scann_core.crystal import wyckoff_labels

    return pd.DataFrame({"atom": np.arange(1, structure.n_atoms + 1), "element": structure.symbols,
                         "Wyckoff": wyckoff_labels(structure)})


def add_reference_columns(df: "pd.DataFrame", reference: Any) -> "pd.DataFrame":
    """The per-atom table with ``HOMO weight`` and ``LUMO weight`` columns from an orbital reference."""
    df = df.copy()
    if reference is not None and len(reference.homo_weights) == len(df):
        df["HOMO weight"] = reference.homo_weights
        df["LUMO weight"] = reference.lumo_weights
    return df


def reference_summary(record: dict) -> str:
    """Markdown lines of an orbital reference's sidecar: method, basis, SCF energy, orbital energies."""
    def level(name: str) -> str:
        n = int(record.get(f"{name}_degeneracy", 1))
        return f"**{name.upper()}** {record[f'{name}_ev']:.3f} eV" + (f" ({n}-fold degenerate)" if n > 1 else "")

    xc = str(record.get("xc", "")).upper()
    fit = " with density fitting" if record.get("density_fit") else ""
    return (f"**Method** {xc}{fit} · **basis** {record.get('basis', '?')} ({record.get('n_basis', '?')} functions)  \n"
            f"**SCF energy** {record['scf_energy_ha']:.6f} Ha  \n"
            f"{level('homo')} · {level('lumo')} · gap {record['lumo_ev'] - record['homo_ev']:.3f} eV  \n"
            f"computed in {float(record.get('seconds', 0)):.0f} s with PySCF {record.get('pyscf_version', '')}")


def top_overlap(a: Sequence[float], b: Sequence[float], k: int = 3) -> tuple[int, list[int], list[int]]:
    """How many of the ``k`` largest entries of ``a`` and ``b`` are the same atoms.

    Returns ``(n_common, top_a, top_b)`` with 0-based indices, largest first (ties: lower index first).
    """
    from scann_core.ranks import ranking

    k = min(int(k), len(a))
    top_a, top_b = ([int(i) for i in ranking(np.reshape(x, -1))[:k]] for x in (a, b))
    return len(set(top_a) & set(top_b)), top_a, top_b


def reference_comparison(symbols: Sequence[str], ga: Sequence[float], weights: Sequence[float],
                         level: str = "HOMO", k: int = 3) -> str:
    """One markdown line: Spearman rho of GA vs the orbital weight, and the top-``k`` overlap."""
    from scann_core.viz import spearman

    rho = spearman(ga, weights)
    common, top_g, top_w = top_overlap(ga, weights, k)
    names = lambda idx: ", ".join(f"{symbols[i]}{i + 1}" for i in idx)  # noqa: E731
    rho_text = "undefined" if np.isnan(rho) else f"{rho:.2f}"
    return (f"Spearman rho (GA vs {level} weight) = **{rho_text}** · top-{len(top_g)} overlap "
            f"**{common}/{len(top_g)}** (GA: {names(top_g)}; {level} weight: {names(top_w)})")


def reference_status(structure: "Structure", gallery_key: str | None = None,
                     basis: str = REFERENCE_DEFAULT_BASIS) -> tuple[bool, str]:
    """Whether an on-demand reference in ``basis`` can be computed, and what to tell the user when
    there is none yet."""
    try:
        from scann_core.references import check_reference_input
    except ImportError as exc:  # pragma: no cover
        return False, f"The reference calculator is not available ({user_message(exc)})"
    prefix = ""
    if gallery_key in FULLERENE_KEYS:
        prefix = (f"The B3LYP/6-31G reference of {gallery_key} is not yet available (C60 took 44 min on one "
                  "core: `python scripts/precompute_orbitals.py --fullerenes`). ")
    try:
        check_reference_input(structure, basis=basis, max_atoms=REFERENCE_MAX_ATOMS)
    except ImportError:
        return False, prefix + "PySCF is not installed, so no reference can be computed here."
    except ValueError as exc:
        return False, prefix + user_message(exc)
    return True, prefix + f"No B3LYP/{basis} reference for this geometry yet."


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


def models_for(names: Sequence[str], structure: "Structure") -> list[str]:
    """The models of ``names`` whose card kind fits ``structure`` (molecule models for a molecule,
    crystal models for anything periodic), those trained on its structure type first (so a fullerene
    opens the fullerene models by default) and those trained on another structure type last.
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
            ranked.append(({True: 0, None: 1, False: 2}[fits], order, name))
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


def render_viewer(html: str, height: int) -> None:
    """Show a viewer HTML string (from scann_core.viz) in an iframe of fixed height.

    ``st.iframe`` where this Streamlit has it (``components.v1.html`` is deprecated there),
    else ``streamlit.components.v1.html``. The HTML comes from scann_core.viz, which
    escapes every user-supplied text it embeds.
    """
    if hasattr(st, "iframe"):
        st.iframe(html, height=int(height) + SAVE_LINK_HEIGHT)
    else:  # pragma: no cover -- older Streamlit
        import streamlit.components.v1 as components

        components.html(html, height=int(height) + SAVE_LINK_HEIGHT, scrolling=False)


# ----------------------------------------------------------------------------- structure input


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


# ----------------------------------------------------------------------------- models page

def display_unit(card: dict) -> tuple[str, float]:
    """``(unit, factor)`` to show a model's errors in: meV (factor 1000) for eV, meV/atom for
    eV/atom, else the card's own unit (factor 1)."""
    unit = str(card.get("unit") or "")
    return (f"m{unit}", 1000.0) if unit in ("eV", "eV/atom") else (unit, 1.0)


def _pretrained_dir():
    from pathlib import Path

    try:
        from scann_core.predict import PRETRAINED_DIR

        return Path(PRETRAINED_DIR)
    except (ImportError, AttributeError):  # a stand-in predict module without the folder
        return Path(__file__).resolve().parent / "pretrained"


def _number(value: Any, factor: float = 1.0) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value * factor if np.isfinite(value) else None


def model_card_rows(directory=None) -> list[dict]:
    """One dict per shipped model (``NAME.pt`` or ``NAME.json`` in ``directory``, default the
    package's ``pretrained/`` folder), read from its JSON card, in name order.

    Keys: ``name``, ``property`` (UI label), ``target``, ``unit`` (display unit), ``card_unit``,
    ``preliminary``, ``level_of_theory``, ``dataset``, ``split``, ``epochs``, ``train_hours``, ``cpu``,
    ``n_train`` / ``n_val`` / ``n_test``, the MAEs ``val_mae``, ``test_mae``, ``paper_scann_plus_mae``,
    ``paper_scann_mae``, ``mean_predictor_mae`` in the display unit (eV orbital energies as meV; None
    where the card has no number), ``parity_png`` (path or None) and ``problem`` (a sentence when
    the card is missing or unreadable, else None).
    """
    import json
    from pathlib import Path

    folder = Path(directory) if directory is not None else _pretrained_dir()
    names = sorted({p.stem for p in folder.glob("*.pt")} | {p.stem for p in folder.glob("*.json")})
    labels = {name: label for label, name in model_options(names).items()}
    rows = []
    for name in names:
        card, problem = {}, None
        path = folder / f"{name}.json"
        if path.exists():
            try:
                card = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(card, dict):
                    card, problem = {}, f"The card {path.name} is not a JSON object."
            except (OSError, ValueError) as exc:
                problem = f"The card {path.name} could not be read ({user_message(exc)})"
        else:
            problem = f"No card ({name}.json) was shipped with this model."
        unit, factor = display_unit(card)
        parity = folder / f"{name}_parity.png"
        rows.append({
            "name": name, "property": labels.get(name, name), "target": card.get("target"),
            "unit": unit, "card_unit": card.get("unit"),
            "preliminary": bool(card.get("preliminary", True)),
            "level_of_theory": card.get("level_of_theory"), "dataset": card.get("dataset"),
            "split": card.get("split"), "epochs": card.get("epochs"),
            "train_hours": _number(card.get("train_hours")), "cpu": card.get("cpu"),
            "n_train": card.get("n_train"), "n_val": card.get("n_val"), "n_test": card.get("n_test"),
            "val_mae": _number(card.get("val_mae"), factor), "test_mae": _number(card.get("test_mae"), factor),
            "paper_scann_plus_mae": _number(card.get("paper_scann_plus_mae"), factor),
            "paper_scann_mae": _number(card.get("paper_scann_mae"), factor),
            "mean_predictor_mae": _number(card.get("mean_predictor_test_mae"), factor),
            "parity_png": str(parity) if parity.exists() else None,
            "problem": problem,
        })
    return rows


def format_number(value: float | None, digits: int = 1) -> str:
    """``157.387 -> '157.4'``; None or NaN -> ``'n/a'``."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def mae_table(row: dict) -> "pd.DataFrame":
    """The MAE comparison of one :func:`model_card_rows` row: one line per model / reference, MAE in
    the display unit as text (``'n/a'`` where unknown)."""
    import pandas as pd

    unit = row.get("unit") or ""
    lines = [("this model, validation", row.get("val_mae")), ("this model, test", row.get("test_mae")),
             ("paper SCANN+ (test)", row.get("paper_scann_plus_mae")),
             ("paper SCANN (test)", row.get("paper_scann_mae")),
             ("mean predictor (test)", row.get("mean_predictor_mae"))]
    return pd.DataFrame({"model": [k for k, _ in lines],
                         f"MAE ({unit})" if unit else "MAE": [format_number(v) for _, v in lines]})


# ----------------------------------------------------------------------------- attention vs attribution

ATTRIBUTION_DOCS = None  # folder with attribution_<model>.csv; None = the repository's docs/
AUTO_ATTRIBUTION_ATOMS = 30  # larger structures wait for a click before Shapley values run


@dataclass(frozen=True)
class AttributionResult:
    """Everything the attention-vs-attribution page shows for one (model, structure): plain data.

    ``attributions`` maps method (``ga``, ``occlusion``, ``integrated_gradients``, ``shapley``) to
    per-atom values (GA sums to 1; the others in target units); ``deletion`` / ``insertion`` map each
    method and ``'random'`` (mean of ``n_random`` random orders) to ``n_atoms + 1`` values in target
    units; ``metrics`` is this structure's table of :func:`scann_core.attribution.structure_metrics`
    (no sanity check).
    """

    model_name: str
    structure: Any  # the structure that was explained (a 3D crystal in its conventional cell)
    prediction: float
    empty_value: float
    unit: str
    attributions: dict
    shapley_estimator: str
    shapley_samples: int
    shapley_coalitions: int
    shapley_standard_error: np.ndarray
    ig_completeness_error: float
    deletion: dict
    insertion: dict
    metrics: "pd.DataFrame"
    warnings: tuple[str, ...]
    card: dict


def shapley_description(n_atoms: int, n_permutations: int, max_exact: int | None = None) -> str:
    """How the Shapley values of a structure of ``n_atoms`` are computed, in words."""
    if max_exact is None:
        from scann_core.attribution import MAX_EXACT_PLAYERS as max_exact
    if n_atoms <= max_exact:
        return f"exact Shapley values (all 2^{n_atoms} = {2 ** n_atoms:,} coalitions)"
    return (f"sampled Shapley values ({n_permutations} random atom orders in antithetic pairs, "
            f"{n_permutations * (n_atoms + 1):,} coalitions; exact only up to {max_exact} atoms)")


def compute_attributions(predictor, structure: "Structure", *, model_name: str = "model",
                         n_permutations: int = 256, ig_steps: int = 64, n_random: int = 10, top_k: int = 3,
                         seed: int = 0) -> AttributionResult:
    """GA, occlusion, integrated gradients and Shapley values of one structure, with its deletion and
    insertion curves (and the random-order baseline) and per-structure metrics."""
    import pandas as pd

    from scann_core.attribution import (METHODS, deletion_curve, explain_graph, insertion_curve, masking_game,
                                        random_scores, structure_metrics)

    graph, warnings = predictor.model_input(structure)
    explained = explain_graph(predictor.model, graph, predictor.target, name=structure.name,
                              n_permutations=n_permutations, ig_steps=ig_steps, seed=seed)
    game = masking_game(predictor.model, graph, predictor.target)
    deletion = {m: np.asarray(deletion_curve(game, explained.score(m))) for m in METHODS}
    insertion = {m: np.asarray(insertion_curve(game, explained.score(m))) for m in METHODS}
    rand = random_scores(structure.n_atoms, n_random, seed)
    deletion["random"] = np.asarray(deletion_curve(game, rand)).mean(0)
    insertion["random"] = np.asarray(insertion_curve(game, rand)).mean(0)
    metrics = pd.DataFrame(structure_metrics(predictor.model, graph, predictor.target, explained, top_k=top_k,
                                             n_random=n_random, sanity_methods=(), seed=seed))
    shap = explained.shapley
    return AttributionResult(
        model_name=model_name, structure=structure, prediction=float(explained.prediction),
        empty_value=float(explained.empty_value), unit=str(predictor.target.unit),
        attributions={m: np.asarray(v, dtype=np.float64) for m, v in explained.attributions.items()},
        shapley_estimator=str(shap.estimator), shapley_samples=int(shap.n_samples),
        shapley_coalitions=int(shap.n_coalitions),
        shapley_standard_error=np.asarray(shap.standard_error, dtype=np.float64),
        ig_completeness_error=float(explained.integrated_gradients.completeness_error),
        deletion=deletion, insertion=insertion, metrics=metrics,
        warnings=tuple(str(w) for w in warnings), card=dict(predictor.card))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_attributions(model_name: str, _structure: "Structure", structure_key: str,
                        n_permutations: int = 256) -> AttributionResult:
    """:func:`compute_attributions` once per (model, structure, sample count)."""
    return compute_attributions(load_predictor(model_name), _structure, model_name=model_name,
                                n_permutations=n_permutations)


def comparable_scores(result: AttributionResult) -> dict[str, np.ndarray]:
    """Each method's values on one common scale: ``N * s * a_i / sum_j |a_j|``.

    ``s = sign(prediction - training mean)`` for the signed methods (1 for GA), so a positive value
    pushes the prediction away from the training mean (the order of the deletion curves) and GA
    becomes N x GA (mean 1); every method then has a mean magnitude of 1 per atom.
    """
    from scann_core.attribution import METHODS, oriented

    out = {}
    for method in METHODS:
        values = np.asarray(result.attributions[method], dtype=np.float64)
        score = values if method == "ga" else oriented(values, result.prediction, result.empty_value)
        total = np.abs(score).sum()
        out[method] = score * len(score) / total if total > 0 else np.zeros_like(score)
    return out


def attribution_table(result: AttributionResult) -> "pd.DataFrame":
    """Per-atom table: index, element, GA, N x GA, the signed attributions in the display unit (with the
    Shapley standard error when sampled) and every method on the common scale."""
    import pandas as pd

    from scann_core.attribution import METHOD_LABELS, METHODS

    unit, factor = display_unit({"unit": result.unit, "target": result.card.get("target")})
    n = result.structure.n_atoms
    ga = result.attributions["ga"]
    df = pd.DataFrame({"atom": np.arange(1, n + 1), "element": result.structure.symbols, "GA": ga,
                       "N × GA": ga * n})
    for method in METHODS[1:]:
        df[f"{METHOD_LABELS[method]} ({unit})"] = result.attributions[method] * factor
    if result.shapley_estimator != "exact":
        df[f"Shapley standard error ({unit})"] = result.shapley_standard_error * factor
    for method, values in comparable_scores(result).items():
        df[f"{METHOD_LABELS[method]}, common scale"] = values
    return df


def structure_metric_table(result: AttributionResult) -> "pd.DataFrame":
    """This structure's metrics, one row per method: Spearman and top-k vs GA and vs Shapley, deletion
    and insertion areas, each beside its random-order value."""
    import pandas as pd

    from scann_core.attribution import METHOD_LABELS

    names = {"spearman_ga": "Spearman vs GA", "topk_ga": "top-k vs GA", "spearman_shapley": "Spearman vs Shapley",
             "topk_shapley": "top-k vs Shapley", "deletion_area": "deletion area (lower = better)",
             "insertion_area": "insertion area (higher = better)"}
    rows = []
    for _, rec in result.metrics.iterrows():
        row = {"method": METHOD_LABELS.get(rec["method"], rec["method"])}
        for key, label in names.items():
            row[label] = float(rec[key])
            row[f"{label}: random"] = float(rec[f"{key}_random"])
        rows.append(row)
    return pd.DataFrame(rows)


def attribution_results_dir():
    """Folder of the committed evaluation-set metrics (``docs/`` unless :data:`ATTRIBUTION_DOCS` is set)."""
    from pathlib import Path

    if ATTRIBUTION_DOCS is not None:
        return Path(ATTRIBUTION_DOCS)
    return Path(__file__).resolve().parent.parent / "docs"


def evaluation_metrics(model_name: str, directory=None) -> tuple["pd.DataFrame | None", str]:
    """The evaluation-set metric table of ``model_name`` from ``attribution_<model>.csv`` (written
    with ``docs/ATTRIBUTION.md``), formatted ``'mean ± sem'`` beside the random-order value, and a
    sentence saying where it comes from, or ``(None, why not)``."""
    from pathlib import Path

    import pandas as pd

    from scann_core.attribution import METRICS

    folder = attribution_results_dir() if directory is None else Path(directory)
    path = folder / f"attribution_{file_stem(model_name)}.csv"
    if not path.exists():
        return None, (f"The evaluation-set metrics have not been computed for `{model_name}` yet "
                      "(see docs/ATTRIBUTION.md and scripts/attribution_report.py).")
    try:
        summary = pd.read_csv(path, index_col=0)
        out = pd.DataFrame({"method": summary.index.astype(str)})
        for metric, (label, better, _) in METRICS.items():
            if metric not in summary:
                continue
            mean, sem, rand = (summary[metric].to_numpy(float), summary[f"{metric}_sem"].to_numpy(float),
                               summary[f"{metric}_random"].to_numpy(float))
            out[f"{label} ({better})"] = [("n/a" if not np.isfinite(m) else
                                           f"{m:.3f} ± {s:.3f}" if np.isfinite(s) else f"{m:.3f}")
                                          for m, s in zip(mean, sem)]
            out[f"{label}: random"] = [f"{r:.3f}" if np.isfinite(r) else "n/a" for r in rand]
        n = int(summary["n_structures"].max()) if "n_structures" in summary else None
        where = (str(summary["evaluation_set"].iloc[0]) if "evaluation_set" in summary
                 else f"{n} QM9 test molecules" if n else "the evaluation set")
        epochs = summary["model_epochs"].iloc[0] if "model_epochs" in summary else None
    except Exception as exc:  # noqa: BLE001 -- a broken file becomes a sentence
        return None, f"The evaluation-set metrics in {path.name} could not be read ({user_message(exc)})"
    note = f"Evaluation set: {where}, model `{model_name}` (mean ± standard error; docs/ATTRIBUTION.md)."
    return out, note + weights_note(model_name, epochs)


def weights_note(model_name: str, table_epochs: Any, directory=None) -> str:
    """A sentence when a committed table was computed with other weights than the shipped ones
    (its ``model_epochs`` differs from the shipped card's ``epochs``, or was not recorded); else ''."""
    import json
    from pathlib import Path

    card_path = Path(directory or _pretrained_dir()) / f"{model_name}.json"
    try:
        shipped = json.loads(card_path.read_text()).get("epochs")
    except (OSError, ValueError):
        return ""
    if _number(table_epochs) is None:
        return (f" **These numbers may come from other weights than the shipped ones** (epoch {shipped}): "
                "the table does not record which.")
    if shipped is not None and int(float(table_epochs)) != int(shipped):
        return (f" **These numbers come from the epoch-{int(float(table_epochs))} weights; the shipped model "
                f"has trained for {shipped} epochs**, so they are out of date.")
    return ""


# ----------------------------------------------------------------------------- orbital references


@st.cache_data(show_spinner=False, max_entries=32)
def lookup_reference(_structure: "Structure", structure_key: str,
                     basis: str = REFERENCE_DEFAULT_BASIS) -> tuple[Any, str]:
    """A stored orbital reference for the structure (shipped, or cached in ``basis``), without
    computing: ``(ref, 'shipped' | 'cache')`` or ``(None, '')``."""
    try:
        from scann_core.references import find_reference
    except ImportError:  # pragma: no cover
        return None, ""
    return find_reference(_structure, basis=basis)


@st.cache_resource(show_spinner=False)
def reference_jobs():
    """The app's one registry of background B3LYP calculations (one at a time)."""
    from scann_core.references.background import ReferenceJobs

    return ReferenceJobs(workers=1)
