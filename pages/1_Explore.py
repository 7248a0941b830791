"""Explore a structure: pick a structure, predict a property, see the per-atom global attention."""
import numpy as np
import streamlit as st

from scann_core import app_support as sup
from scann_core import viz
from scann_core.viz.orbitals import DEFAULT_ISOVALUES as ISOVALUE_DEFAULTS
from scann_core.viz.orbitals import PHASE_COLORS, orbital_view_html

P = "explore"  # session-state prefix of this page
SCALES = {"GA (raw)": "raw", "N × GA (mean 1)": "n_times", "ratio to atom #": "ratio"}
SUPERCELLS = {"1×1×1": (1, 1, 1), "2×2×1": (2, 2, 1), "2×2×2": (2, 2, 2), "3×3×3": (3, 3, 3)}
VIEW_HEIGHT = 460
LINK = "explore"  # the GA view and the reference view beside it turn together
ISOVALUES = [0.002, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1]

# Also set here: on a fresh server Streamlit may run this file directly for a /Explore link
# (pages/ folder convention) before app.py's st.navigation has taken over.
st.set_page_config(page_title="Explore a structure · SCANN Studio", layout="wide")
st.title("Explore a structure")


@st.fragment(run_every=1.0)
def reference_progress(structure, basis: str) -> None:
    """Where the background calculation is, refreshed every second; the whole page reruns when it ends."""
    job = sup.reference_jobs().get(structure, basis)
    if job is None or job.state != "running":
        st.rerun()
    st.info(job.describe(), icon=":material/hourglass_top:")


def on_demand_reference(structure, basis: str):
    """The B3LYP reference computed in the background on request: the reference once done, else
    ``None`` after showing the job's progress, its failure, or the button that starts it."""
    jobs = sup.reference_jobs()
    job = jobs.get(structure, basis)
    if job is not None and job.state == "done":
        return job.result()
    if job is not None and job.state == "running":
        reference_progress(structure, basis)
        return None
    can_compute, message = sup.reference_status(structure, st.session_state[f"{P}_gallery_loaded"], basis)
    st.info(message)
    if job is not None:
        st.error(f"The last try failed: {sup.user_message(job.error())}")
    if can_compute and st.button("Compute B3LYP reference", key=f"{P}_ref_go",
                                 help="Runs in the background while you use the page; a second visit is instant."):
        _, error = sup.try_call(jobs.submit, structure, basis=basis, max_atoms=sup.REFERENCE_MAX_ATOMS)
        if error:
            st.error(error)
        else:
            st.rerun()
    return None


# ----------------------------------------------------------------------------- structure input
entries, gallery_problem = sup.list_gallery()
gallery = sup.gallery_options(entries)
notes = {e.key: str(getattr(e, "note", "") or "") for e in entries}
with st.sidebar:
    st.header("Structure")
    sup.structure_input(P, gallery, smiles_example="Cc1c[nH]c(=O)[nH]c1=O", notes=notes, horizontal=True)
structure = sup.loaded_structure(P, gallery_problem)

# ----------------------------------------------------------------------------- prediction
names, models_problem = sup.list_models()
models = sup.model_options(sup.models_for(names, structure))
with st.sidebar:
    st.header("Property")
    prop = st.selectbox("Property", list(models), key=f"{P}_property") if models else None
    if prop is None:
        st.caption(f"No trained {'crystal' if structure.is_periodic else 'molecule'} model installed.")
    missing = [] if structure.is_periodic else sup.missing_qm9_properties(names)
    if missing:
        st.caption(f"Not shipped yet for QM9 molecules: {', '.join(missing)} (queued for training; docs/MODELS.md).")

result, error = (None, None)
if prop is None:
    kind = "crystal" if structure.is_periodic else "molecule"
    st.warning(models_problem or f"No trained {kind} model is installed yet, so there is no prediction and no GA to show.")
else:
    with st.spinner("Predicting..."):
        result, error = sup.try_call(sup.cached_prediction, models[prop], structure, sup.structure_key(structure))
    if error:
        st.error(error)

if result is not None:
    card = result.card
    cols = st.columns([2, 3])
    cols[0].metric(f"Predicted {prop}", f"{result.value:.4g} {card.get('unit', '')}")
    with cols[1]:
        if card.get("preliminary"):
            st.badge("preliminary model", icon=":material/warning:", color="orange")
        mae = card.get("test_mae")
        unit, factor = sup.display_unit(card)
        st.markdown(
            f"**Model** `{card.get('name', result.model_name)}` on **{sup.device_label(result.device)}**  \n"
            f"**Training labels** {card.get('level_of_theory', 'unknown')}"
            + (f" · test MAE {sup.format_number(mae * factor)} {unit}" if mae is not None else ""))
    for message in result.warnings:
        st.warning(message)
    if card.get("target") in ("homo", "lumo", "gap") and (gap_sentence := sup.orbital_gap_sentence(names, structure)):
        st.caption(gap_sentence)
    ga = result.ga
else:
    ga = np.full(structure.n_atoms, np.nan)

# ----------------------------------------------------------------------------- GA display settings
with st.sidebar:
    st.header("Colouring")
    scale_name = st.radio("GA scale", list(SCALES), key=f"{P}_scale")
    ref = None
    if SCALES[scale_name] == "ratio":
        if st.session_state.get(f"{P}_ref_atom", 1) > structure.n_atoms:  # a smaller new structure
            st.session_state[f"{P}_ref_atom"] = 1
        ref = int(st.number_input("Reference atom #", 1, structure.n_atoms, 1, key=f"{P}_ref_atom")) - 1
    mode = SCALES[scale_name]
    values, scale_error = sup.try_call(viz.ga_scale, ga, mode, ref)
    if scale_error:
        mode, values = "raw", ga
    cmap = st.selectbox("Colour map", list(viz.COLORMAPS), key=f"{P}_cmap")
    lock = st.toggle("Lock the colour range", key=f"{P}_lock",
                     help="Keep the same range when you switch molecules or properties.")
    if lock:  # start from the current automatic range, then keep what the user sets
        auto = viz.value_range(values)
        sup.init_state({f"{P}_vmin": round(auto[0], 4), f"{P}_vmax": round(auto[1], 4)})
        vmin = st.number_input("minimum", format="%.4f", key=f"{P}_vmin")
        vmax = st.number_input("maximum", format="%.4f", key=f"{P}_vmax")
    supercell = (1, 1, 1)
    if structure.is_periodic:
        supercell = SUPERCELLS[st.selectbox("Cells shown", list(SUPERCELLS), key=f"{P}_supercell")]

if scale_error:
    st.error(scale_error)
label = viz.ga_scale_label(mode, ref)
vrange, error = sup.try_call(viz.value_range, values, (vmin, vmax) if lock else None)
if error:
    st.error(error)
    vrange = viz.value_range(values)

# ----------------------------------------------------------------------------- 3D view and charts
labels = [f"{s} {i + 1} | GA = {g:.4f} | {label} = {v:.3f}" for i, (s, g, v) in
          enumerate(zip(structure.symbols, ga, values))] if result is not None else None
view = viz.crystal_view_html if structure.is_periodic else viz.molecule_view_html
kwargs = {"supercell": supercell} if structure.is_periodic else {"link": LINK}
html, error = sup.try_call(view, structure, values, cmap=cmap, vmin=vrange[0], vmax=vrange[1],
                           labels=labels, height=VIEW_HEIGHT, **kwargs)
if error and structure.is_periodic:  # e.g. a slab without a third cell vector: show it as a molecule
    html, error = sup.try_call(viz.molecule_view_html, structure, values, cmap=cmap, vmin=vrange[0],
                               vmax=vrange[1], labels=labels, height=VIEW_HEIGHT)
# molecules: the B3LYP reference panel beside the GA view
ga_col, ref_col = (st.container(), None) if structure.is_periodic else st.columns(2)
with ga_col:
    if not structure.is_periodic:
        st.markdown("**Global attention**")
    sup.render_viewer(html, VIEW_HEIGHT, error)
reference, level = None, "homo"
if ref_col is not None:
    with ref_col:
        follows = sup.reference_kind_for(result.card.get("target", "")) if result is not None else None
        if follows and st.session_state.get(f"{P}_ref_follows") != prop:  # a new property: its own orbital first
            st.session_state[f"{P}_ref_kind"] = follows
        st.session_state[f"{P}_ref_follows"] = prop
        kind_label = st.radio("**Reference** (B3LYP)", list(sup.REFERENCE_KINDS), key=f"{P}_ref_kind",
                              horizontal=True)
        kind = sup.REFERENCE_KINDS[kind_label]
        level = kind if kind in ("homo", "lumo") else "homo"
        skey = sup.structure_key(structure)
        reference, source = sup.lookup_reference(structure, skey)
        if source != "shipped":
            basis = sup.REFERENCE_BASES[st.selectbox(
                "Basis set", list(sup.REFERENCE_BASES), key=f"{P}_ref_basis",
                help="QM9's own basis (seconds to minutes), or a cheaper one for a quicker picture: on the "
                     "gallery molecules 6-31G* and 6-31G rank atoms by HOMO / LUMO weight like QM9's basis "
                     "(Spearman about 0.9) in a sixth to a tenth of the time; STO-3G can reorder the HOMO "
                     "(docs/ORBITAL_BASIS.md).")]
            reference, _ = sup.lookup_reference(structure, skey, basis)
            if reference is None:
                reference = on_demand_reference(structure, basis)
        if reference is not None and kind in reference.cubes:
            view_slot = st.empty()  # the view level with the GA view, its isovalue slider below it
            iso = st.select_slider("Isovalue (±)", ISOVALUES, value=ISOVALUE_DEFAULTS[kind], key=f"{P}_iso_{kind}")
            colors = PHASE_COLORS["deformation" if kind == "deformation" else "orbital"]
            weights = reference.weights(level)
            ref_labels = [f"{s} {i + 1} | {level.upper()} weight = {w:.3f}" for i, (s, w) in
                          enumerate(zip(structure.symbols, weights))]
            ref_html, ref_error = sup.try_call(orbital_view_html, structure, reference.cubes[kind], iso,
                                               positive_color=colors[0], negative_color=colors[1],
                                               labels=ref_labels, height=VIEW_HEIGHT, link=LINK)
            with view_slot.container():
                sup.render_viewer(ref_html, VIEW_HEIGHT, ref_error)
            st.caption(("Red / blue: the two phases of the orbital." if kind != "deformation" else
                        "Green: electrons gained on bonding, orange: lost (SCF density minus spherical free atoms)."))
            st.markdown(sup.reference_summary(reference.record))
            st.download_button(f"{kind_label} cube file", reference.cubes[kind].encode("ascii"),
                               f"{sup.file_stem(structure.name)}_{kind}.cube", "chemical/x-cube",
                               key=f"{P}_dl_cube")
if result is None:
    st.caption("Atoms are not coloured: no GA without a prediction.")
    if all(structure.pbc):
        sites, error = sup.try_call(sup.site_table, structure)
        if error is None:
            st.dataframe(sites, hide_index=True)
        else:
            st.error(error)
    st.stop()

st.plotly_chart(viz.colorbar_figure(vrange[0], vrange[1], cmap=cmap, title=label), key=f"{P}_colorbar")
contrast = float(ga.max() / ga.min()) if ga.min() > 0 else float("inf")
st.caption(f"Largest / smallest GA in this structure: {contrast:.2f}×"
           + (" (bounded by e^√2 ≈ 4.1× with this model's GA normalisation)."
              if result.card.get("ga_normalize", result.card.get("ga_mode") == "paper") else "."))
symmetry = None if any(structure.pbc) else sup.symmetry_classes(structure, sup.structure_key(structure))
if symmetry is not None and len(symmetry[1]) < structure.n_atoms:
    st.caption(sup.symmetry_note(ga, *symmetry))
seed = sup.seed_check(models[prop], structure, ga, symmetry[1] if symmetry is not None else None)
if seed is not None:
    st.caption(seed.sentence)

if reference is not None:
    st.markdown(f"**GA vs B3LYP {level.upper()} weight** (Löwdin population of the level per atom, sums to 1)")
    classes = symmetry[1] if symmetry is not None else None
    st.markdown(sup.reference_comparison(structure.symbols, ga, reference.weights(level), level.upper(),
                                         classes=classes))
    typical = sup.typical_agreement(models[prop]) if result.card.get("target", "").startswith(level) else ""
    if typical:
        st.caption(typical)
    st.plotly_chart(viz.ga_vs_reference_figure(ga, reference.weights(level), symbols=structure.symbols,
                                               reference_label=f"{level.upper()} weight"), key=f"{P}_ref_scatter")

table = sup.add_reference_columns(sup.atom_table(structure, ga, values, label), reference)
if all(structure.pbc):
    table.insert(2, "Wyckoff", sup.site_table(structure)["Wyckoff"])
if seed is not None:
    table.insert(table.columns.get_loc("GA") + 1, "GA, seed 1", seed.ga)
tab_chart, tab_table, tab_files = st.tabs(["Bar chart", "Per-atom table", "Downloads"])
with tab_chart:
    st.plotly_chart(viz.ga_bar_figure(structure.symbols, values, value_label=label, cmap=cmap,
                                      vmin=vrange[0], vmax=vrange[1]), key=f"{P}_bars")
with tab_table:
    st.dataframe(table, hide_index=True)
with tab_files:
    stem = sup.file_stem(structure.name)
    target = str(result.card.get("target", "value"))
    extxyz = sup.extxyz_bytes(structure, {"ga": ga, "n_times_ga": ga * structure.n_atoms},
                              {target: result.value, "unit": result.card.get("unit", ""),
                               "model": result.model_name})
    st.download_button("extxyz with a ga column", extxyz, f"{stem}_ga.extxyz", "chemical/x-xyz",
                       key=f"{P}_dl_extxyz")
    st.download_button("per-atom table (CSV)", sup.table_csv(table), f"{stem}_ga.csv", "text/csv",
                       key=f"{P}_dl_csv")
