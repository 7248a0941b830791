"""Pt on graphene: a carbon sheet deformed by Pt clusters, coloured by GA beside each deformation
reference (bond elongation, curvature, site-energy share), with the rank correlations."""
import pandas as pd
import streamlit as st

from scann_core import app_support as sup
from scann_core import deformation_explorer as dx
from scann_core import viz

P = "ptg"  # session-state prefix of this page
MODEL = "pt_graphene_deformation"
VIEW_HEIGHT = 420
LINK = "pt_graphene"  # the GA view and the reference view turn together
ALL = "all"

st.set_page_config(page_title="Pt on graphene · SCANN Studio", layout="wide")
st.title("Pt on graphene: attention and deformation")
st.markdown(
    "Single Pt atoms and Pt clusters (up to 4 atoms) deform a 72-carbon graphene sheet in molecular dynamics. "
    "The model sees **only the deformed carbon sheet, without Pt** (grey spheres mark where the Pt atoms were), "
    "and predicts the sheet's deformation energy; its global attention (GA) says which carbons weigh most. "
    "The paper's claim: high GA marks elongated C-C bonds and convex sites. **Labels and site energies are "
    "CHGNet (an ML surrogate of PBE DFT), not DFT** (docs/DATASHEET_PT_GRAPHENE.md).")


@st.cache_data(show_spinner=False)
def snapshot_table(path: str) -> pd.DataFrame:
    return dx.snapshot_frame(path)


@st.cache_data(show_spinner=False, max_entries=32)
def snapshot(path: str, config_id: str) -> dx.Snapshot:
    return dx.load_snapshot(config_id, path)


path = str(dx.DATASET_PATH)
table, error = sup.try_call(snapshot_table, path)
if error:
    st.warning(f"The Pt/graphene dataset is not available ({error}); generate it with "
               "`python scripts/generate_pt_graphene.py`.")
    st.stop()

# ----------------------------------------------------------------------------- snapshot choice
with st.sidebar:
    st.header("Snapshot")
    split = st.selectbox("Split", [ALL, "test", "val", "train"], index=1, key=f"{P}_split",
                         help="Test trajectories were never seen in training.")
    clusters = [ALL] + sorted(table["cluster"].dropna().unique())
    cluster = st.selectbox("Pt cluster", clusters, key=f"{P}_cluster")
    shown = table[((table["split"] == split) | (split == ALL)) & ((table["cluster"] == cluster) | (cluster == ALL))]
    if shown.empty:
        st.warning("No snapshot matches these filters.")
        st.stop()
    config_id = st.selectbox("Snapshot", list(shown["config_id"]), key=f"{P}_snapshot",
                             help="<cluster>-T<temperature>-s<seed>-<snapshot number>")
snap, error = sup.try_call(snapshot, path, config_id)
if error:
    st.error(error)
    st.stop()

names, _ = sup.list_models()
result = None
if MODEL not in names:
    st.warning(f"The {MODEL} model is not installed, so there is no prediction or GA to show; "
               "the references are shown alone.")
else:
    result, error = sup.try_call(sup.cached_prediction, MODEL, snap.sheet, sup.structure_key(snap.sheet))
    if error:
        st.error(error)

metrics = st.columns(4)
metrics[0].metric("CHGNet deformation energy", f"{1000 * snap.label:.0f} meV")
if result is not None:
    metrics[1].metric("Predicted", f"{1000 * result.value:.0f} meV")
metrics[2].metric("Pt atoms", str(len(snap.pt_positions)))
metrics[3].metric("Temperature", f"{snap.info.get('temperature', float('nan')):.0f} K")

# ----------------------------------------------------------------------------- the two views
with st.sidebar:
    st.header("Colouring")
    reference = st.selectbox("Reference", list(dx.REFERENCES), format_func=lambda k: dx.REFERENCES[k][0],
                             key=f"{P}_reference")
    cmap = st.selectbox("Colour map", list(viz.COLORMAPS), key=f"{P}_cmap")

ref_values = snap.references[reference]
ref_label, ref_unit = dx.REFERENCES[reference]
views = st.columns(2)
with views[0]:
    st.markdown("**Global attention (N × GA)**")
    if result is None:
        st.info("No GA without the model.")
    else:
        n_ga = result.ga * snap.sheet.n_atoms
        hover = [f"C {i + 1} | N×GA = {g:.3f} | {ref_label} = {r:.4g}"
                 for i, (g, r) in enumerate(zip(n_ga, ref_values))]
        html, error = sup.try_call(viz.molecule_view_html, snap.sheet, n_ga, cmap=cmap, labels=hover,
                                   markers=snap.pt_positions, height=VIEW_HEIGHT, link=LINK)
        sup.render_viewer(html, VIEW_HEIGHT, error)
        st.plotly_chart(viz.colorbar_figure(*viz.value_range(n_ga), cmap=cmap, title="N × GA"), key=f"{P}_bar_ga")
with views[1]:
    st.markdown(f"**{ref_label}** ({ref_unit})")
    hover = [f"C {i + 1} | {ref_label} = {r:.4g}" for i, r in enumerate(ref_values)]
    html, error = sup.try_call(viz.molecule_view_html, snap.sheet, ref_values, cmap=cmap, labels=hover,
                               markers=snap.pt_positions, height=VIEW_HEIGHT, link=LINK)
    sup.render_viewer(html, VIEW_HEIGHT, error)
    st.plotly_chart(viz.colorbar_figure(*viz.value_range(ref_values), cmap=cmap, title=ref_unit),
                    key=f"{P}_bar_ref")
st.caption("Both views start face on; drag to rotate. Grey spheres: the Pt atoms, which are not part of the "
           "model's input.")

if result is None:
    st.stop()

# ----------------------------------------------------------------------------- agreement
st.subheader("Does GA rank the carbons like the references?")
rows = pd.DataFrame(dx.reference_agreement(result.ga, snap.references))
rows.insert(1, "what", [dx.REFERENCES[k][0] for k in rows["reference"]])
rows[f"top{dx.TOP_K} random"] = dx.TOP_K / snap.sheet.n_atoms
top = f"top{dx.TOP_K}"
number = st.column_config.NumberColumn
metric_columns = {"what": "reference", "spearman": number("Spearman ρ", format="%.2f"),
                  f"{top}_overlap": number(f"top-{dx.TOP_K} overlap", format="%.2f")}
st.dataframe(rows.drop(columns="reference"), hide_index=True, key=f"{P}_agreement",
             column_config={**metric_columns,
                            f"{top} random": number(f"top-{dx.TOP_K} overlap, random", format="%.2f")})
st.caption(f"Spearman rank correlation over the {snap.sheet.n_atoms} carbons (random scores give 0 on average) "
           f"and the share of GA's {dx.TOP_K} highest carbons among the reference's {dx.TOP_K} highest.")
st.plotly_chart(viz.ga_vs_reference_figure(result.ga, ref_values, symbols=snap.sheet.symbols,
                                           reference_label=f"{ref_label} ({ref_unit})"), key=f"{P}_scatter")

summary_path = dx.SUMMARY_PATH
if summary_path.exists():
    st.subheader("Over all test snapshots")
    summary = pd.read_csv(summary_path)
    st.dataframe(summary, hide_index=True, key=f"{P}_summary",
                 column_order=["what", "snapshots", "spearman", "spearman_sem", "random_spearman",
                               f"{top}_overlap", f"{top}_overlap_sem", f"random_{top}_overlap"],
                 column_config={**metric_columns, "spearman_sem": number("± s.e.", format="%.2f"),
                                "random_spearman": number("random ρ", format="%.2f"),
                                f"{top}_overlap_sem": number("± s.e. ", format="%.2f"),
                                f"random_{top}_overlap": number(f"random top-{dx.TOP_K}", format="%.2f")})
    st.caption("Mean over the test snapshots (never seen in training) of each metric, with standard errors and "
               "the same metrics for random atom scores (`scripts/pt_graphene_check.py`).")
else:
    st.info("The test-set summary has not been computed yet (`python scripts/pt_graphene_check.py`).")
