"""SmFe12 substitution sites: build or pick two variants, compare their predicted formation energy
and GA per site, and place them on the dataset's GA-ratio vs formation-energy map."""
import numpy as np
import pandas as pd
import streamlit as st

from scann_core import app_support as sup
from scann_core import viz

P = "smfe"  # session-state prefix of this page
MODEL = "smfe12_ef"
VARIANTS = ("A", "B")
VIEW_HEIGHT = 380
SUPERCELLS = {"1×1×1": (1, 1, 1), "2×2×1": (2, 2, 1), "2×2×2": (2, 2, 2)}

st.set_page_config(page_title="SmFe12 substitution sites · SCANN Studio", layout="wide")
st.title("SmFe12 substitution sites")
st.markdown(
    "ThMn12-type SmFe12 (I4/mmm; Sm on 2a, Fe on 8f, 8i, 8j) with Fe replaced by Mo, Co, Al, Ti, Cu, Zn or Ga. "
    "The model predicts the formation energy per atom and gives every site a global attention (GA). "
    "**Labels are CHGNet energies (an ML surrogate of PBE(+U) DFT), not DFT** (docs/DATASHEET_SMFE12.md).")


@st.cache_data(show_spinner=False)
def dataset_table() -> pd.DataFrame:
    from scann_core.smfe12_explorer import dataset_frame

    return dataset_frame()


@st.cache_data(show_spinner=False)
def site_ratio_rows() -> pd.DataFrame:
    from scann_core.smfe12_explorer import RATIOS_PATH

    return pd.read_csv(RATIOS_PATH)


@st.cache_data(show_spinner=False)
def site_menu() -> dict[str, int]:
    from scann_core.smfe12_explorer import fe_site_menu

    return fe_site_menu()


@st.cache_data(show_spinner=False, max_entries=64)
def relaxed(_structure, key: str):
    from scann_core.data.smfe12 import relax_chgnet

    structure, _, converged, fmax = relax_chgnet(_structure)
    return structure, converged, fmax


def variant_controls(v: str, ids: list[str]):
    """The widgets of one variant; returns (structure, how it was made) or (None, None)."""
    from scann_core.data.smfe12 import SUBSTITUENTS
    from scann_core.smfe12_explorer import dataset_structure, substitute

    source = st.radio("Structure", ["Build", "From the dataset"], key=f"{P}_{v}_source", horizontal=True)
    if source == "From the dataset":
        config_id = st.selectbox("Configuration", ids, key=f"{P}_{v}_config",
                                 help="Named by element and atom number in the parent cell (0-based), "
                                      "e.g. Co10 = Co on atom 11 (an 8i site).")
        structure, error = sup.try_call(dataset_structure, config_id)
        return (structure, f"dataset configuration {config_id} (CHGNet-relaxed)") if not error else (None, error)
    menu = site_menu()
    element = st.selectbox("Substituent", SUBSTITUENTS, key=f"{P}_{v}_element")
    chosen = st.multiselect("Fe sites to substitute", list(menu), key=f"{P}_{v}_sites", max_selections=4,
                            help="Atom number and Wyckoff label in the 26-atom conventional cell.")
    structure, error = sup.try_call(substitute, element, [menu[c] for c in chosen])
    if error:
        return None, error
    key = sup.structure_key(structure)
    if st.toggle("Relax with CHGNet", key=f"{P}_{v}_relax", help="About 5-20 s on a CPU; cached."):
        with st.status("Relaxing with CHGNet (positions and cell)...", expanded=False) as status:
            result, error = sup.try_call(relaxed, structure, key)
            status.update(label="CHGNet relaxation failed" if error else "Relaxed with CHGNet",
                          state="error" if error else "complete")
        if error:
            return None, error
        structure, converged, fmax = result
        note = "relaxed with CHGNet" + ("" if converged else f" (NOT converged, fmax {fmax:.3f} eV/A)")
    else:
        note = "built in the relaxed parent cell, not relaxed"
    what = f"{', '.join(chosen)} → {element}" if chosen else "pure SmFe12"
    return structure, f"{what}; {note}"


def open_map_pick(ids: list[str]) -> None:
    """A point clicked on the dataset map (last run) becomes variant A, once per click."""
    from scann_core.smfe12_explorer import picked_config

    picked = picked_config(st.session_state.get(f"{P}_map"))
    if picked in ids and picked != st.session_state.get(f"{P}_picked"):
        st.session_state[f"{P}_picked"] = picked
        st.session_state[f"{P}_A_source"] = "From the dataset"
        st.session_state[f"{P}_A_config"] = picked


ids = []
table, data_error = sup.try_call(dataset_table)
if data_error:
    st.warning(f"The SmFe12 dataset is not available ({data_error})")
else:
    ids = list(table["config_id"])
open_map_pick(ids)
names, _ = sup.list_models()
if MODEL not in names:
    st.warning(f"The {MODEL} model is not installed, so there is no prediction or GA to show.")

# ----------------------------------------------------------------------------- the two variants
columns = st.columns(2)
variants = {}
for v, column in zip(VARIANTS, columns):
    with column:
        st.subheader(f"Variant {v}")
        structure, note = variant_controls(v, ids)
        if structure is None:
            st.error(note)
            continue
        result, error = (None, None)
        if MODEL in names:
            result, error = sup.try_call(sup.cached_prediction, MODEL, structure, sup.structure_key(structure))
        if error:
            st.error(error)
        variants[v] = (structure, note, result)

with st.sidebar:
    st.header("Colouring")
    cmap = st.selectbox("Colour map", list(viz.COLORMAPS), key=f"{P}_cmap")
    lock = st.toggle("Lock the colour range", key=f"{P}_lock", help="Keep the range while you change variants.")
    cells = SUPERCELLS[st.selectbox("Cells shown", list(SUPERCELLS), key=f"{P}_cells")]

from scann_core.site_ratios import ga_ratio, site_ga_table, wyckoff_summary  # noqa: E402
from scann_core.smfe12_explorer import dataset_twin, parent_wyckoff, substituted_atoms  # noqa: E402

scaled = {v: r.ga * len(r.ga) for v, (_, _, r) in variants.items() if r is not None}
auto = viz.value_range(np.concatenate(list(scaled.values()))) if scaled else (0.0, 1.0)
if lock:
    sup.init_state({f"{P}_vmin": round(auto[0], 3), f"{P}_vmax": round(auto[1], 3)})
    with st.sidebar:
        vmin = st.number_input("minimum N × GA", format="%.3f", key=f"{P}_vmin")
        vmax = st.number_input("maximum N × GA", format="%.3f", key=f"{P}_vmax")
    vrange, error = sup.try_call(viz.value_range, np.array(auto), (vmin, vmax))
    if error:
        st.sidebar.error(error)
        vrange = auto
else:
    vrange = auto

marked = []
for v, column in zip(VARIANTS, columns):
    if v not in variants:
        continue
    structure, note, result = variants[v]
    with column:
        st.caption(note)
        atoms = substituted_atoms(structure)
        labels = parent_wyckoff()
        if result is None:
            html, error = sup.try_call(viz.crystal_view_html, structure, np.zeros(structure.n_atoms), cmap=cmap,
                                       highlight=atoms, supercell=cells, height=VIEW_HEIGHT)
        else:
            values = scaled[v]
            hover = [f"{s} {i + 1} ({labels[i]}) | N×GA = {g:.3f}" for i, (s, g) in
                     enumerate(zip(structure.symbols, values))]
            html, error = sup.try_call(viz.crystal_view_html, structure, values, cmap=cmap, vmin=vrange[0],
                                       vmax=vrange[1], labels=hover, highlight=atoms, supercell=cells,
                                       height=VIEW_HEIGHT)
        sup.render_viewer(html, VIEW_HEIGHT, error)
        if result is None:
            continue
        twin = dataset_twin(structure, ids) if ids else None
        metric_cols = st.columns(2)
        metric_cols[0].metric("Predicted E_f (meV/atom)", f"{1000 * result.value:.1f}")
        if twin is not None:
            label = float(table.loc[table["config_id"] == twin, "ef_label"].iloc[0])
            metric_cols[1].metric(f"CHGNet E_f of {twin} (meV/atom)", f"{label:.1f}")
        per_site = site_ga_table(structure.symbols, structure.numbers, result.ga, labels)
        if atoms:
            ratios = ga_ratio(result.ga, structure.numbers, atoms)
            st.dataframe(pd.DataFrame({"atom": [a + 1 for a in atoms], "element": [structure.symbols[a] for a in atoms],
                                       "Wyckoff": [labels[a] for a in atoms], "GA(X) / min GA(Fe)": ratios}),
                         hide_index=True, key=f"{P}_{v}_ratios")
            energy = 1000 * result.value if twin is None else label
            marked += [(float(r), energy, f"{v}: {structure.symbols[a]} {labels[a]}") for a, r in zip(atoms, ratios)]
        with st.expander("N × GA per Wyckoff site"):
            st.dataframe(wyckoff_summary(per_site), hide_index=True, key=f"{P}_{v}_wyckoff")
        with st.expander("Per-site table"):
            st.dataframe(per_site, hide_index=True, key=f"{P}_{v}_sites_table")

if scaled:
    st.plotly_chart(viz.colorbar_figure(vrange[0], vrange[1], cmap=cmap, title="N × GA (mean 1)"),
                    key=f"{P}_colorbar")
    st.caption("Both views share this colour range. The ringed atoms are the substituted sites. GA(X) / min GA(Fe) "
               "divides a substituted site's GA by the smallest GA among the Fe atoms of the same cell "
               "(1 = as attended as the least-attended Fe).")

# ----------------------------------------------------------------------------- the dataset map
st.header("The dataset: GA ratio against formation energy")
rows, error = sup.try_call(site_ratio_rows)
if error:
    st.info(f"The dataset map is not available ({error})")
    st.stop()
filters = st.columns(3)
sites = filters[0].multiselect("Wyckoff site", ["8f", "8i", "8j"], default=["8f", "8i", "8j"], key=f"{P}_map_sites")
a_values = sorted(rows["a"].unique())
a_chosen = filters[1].multiselect("Substituted atoms per cell (a)", a_values, default=a_values, key=f"{P}_map_a")
energy = filters[2].radio("Energy", {"ef_label": "CHGNet label", "ef_predicted": "model"}, key=f"{P}_map_energy",
                          format_func={"ef_label": "CHGNet label", "ef_predicted": "model prediction"}.get)
shown = rows[rows["site"].isin(sites) & rows["a"].isin(a_chosen)]
st.caption(f"{len(shown)} substituted sites in {shown['config_id'].nunique()} single-substituent structures; "
           "the ratios come from the shipped model's GA. Click a point to open its structure as variant A; "
           "the stars are the variants above.")
st.plotly_chart(viz.site_ratio_figure(shown, energy=energy, marked=marked), key=f"{P}_map", on_select="rerun",
                selection_mode="points")
