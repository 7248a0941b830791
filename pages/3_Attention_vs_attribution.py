"""Attention vs attribution: GA beside occlusion, integrated gradients and Shapley values for one structure."""
import streamlit as st

from scann_core import app_support as sup
from scann_core import viz
from scann_core.viz.attribution import common_range, curves_figure, method_bars_figure

P = "attr"  # session-state prefix of this page
EXPLORE = "explore"  # the Explore page's prefix: its loaded structure can be reused here
FROM_EXPLORE = "Structure loaded in Explore"
PERMUTATIONS = [64, 128, 256, 512]
VIEW_HEIGHT = 380

st.set_page_config(page_title="Attention vs attribution · SCANN Studio", layout="wide")
sup.init_state({f"{P}_go": None})
st.title("Attention vs attribution")
st.markdown(
    "Is the model's **global attention (GA)** where its prediction comes from? Three attributions answer "
    "that from the outside, all under one **masking game** (a removed atom leaves the graph with its edges; "
    "no atoms left = the training mean): **occlusion** (change when one atom is removed), **integrated "
    "gradients** (atom embeddings scaled from zero) and **Shapley values** (average change over all orders "
    "of removal). The **deletion / insertion curves** remove or add atoms in each method's order: a faithful "
    "order falls fast on deletion and rises fast on insertion, unlike a random one.")

# ----------------------------------------------------------------------------- structure input
entries, gallery_problem = sup.list_gallery()
gallery = sup.gallery_options(entries)
explore_structure = st.session_state.get(f"{EXPLORE}_structure")
with st.sidebar:
    st.header("Structure")
    kind = sup.structure_input(P, gallery, smiles_example="CC=O",
                               first_kinds=[FROM_EXPLORE] if explore_structure is not None else [])
    if kind == FROM_EXPLORE:
        st.session_state[f"{P}_structure"] = explore_structure
        st.session_state[f"{P}_source"] = f"from Explore · {st.session_state.get(f'{EXPLORE}_source', '')}"
        st.session_state[f"{P}_error"] = None
        st.session_state[f"{P}_gallery_loaded"] = None

structure = sup.loaded_structure(P, gallery_problem)
with st.sidebar:
    st.header("Model")
    names, models_problem = sup.list_models()
    models = {f"{label} · {name}" if label != name else name: name
              for label, name in sup.model_options(sup.models_for(names, structure)).items()}
    choice = st.selectbox("Shipped model", list(models), key=f"{P}_model",
                          help="The models trained on this kind of structure, its own type first.") if models else None
    perms = st.selectbox("Shapley sample size above 14 atoms", PERMUTATIONS, index=2, key=f"{P}_perms",
                         help="Random atom orders (antithetic pairs) for sampled Shapley values; "
                              "structures of up to 14 atoms get exact values.")
    cmap = st.selectbox("Colour map", list(viz.COLORMAPS), key=f"{P}_cmap")

if choice is None:
    kind = "crystal" if structure.is_periodic else "molecule"
    st.warning(models_problem or f"No trained {kind} model is installed yet, so there is nothing to explain.")
    st.stop()
model_name = models[choice]

# ----------------------------------------------------------------------------- compute (cached per structure)
key = sup.structure_key(structure)
shapley_text = sup.shapley_description(structure.n_atoms, int(perms))
job = (model_name, key, int(perms))
if structure.n_atoms > sup.AUTO_ATTRIBUTION_ATOMS and st.session_state[f"{P}_go"] != job:
    st.info(f"{structure.n_atoms} atoms: {shapley_text} take a while on a CPU.")
    if not st.button("Compute attributions", key=f"{P}_compute", type="primary"):
        st.stop()
    st.session_state[f"{P}_go"] = job
with st.spinner(f"Computing GA, occlusion, integrated gradients and {shapley_text}..."):
    result, error = sup.try_call(sup.cached_attributions, model_name, structure, key, int(perms))
if error:
    st.error(error)
    st.stop()

card = result.card
unit, factor = sup.display_unit(card)
if card.get("preliminary"):
    st.badge("preliminary model", icon=":material/warning:", color="orange")
for message in result.warnings:
    st.warning(message)
cols = st.columns(3)
cols[0].metric(f"Prediction ({card.get('target', 'value')})", f"{result.prediction * factor:.4g} {unit}")
cols[1].metric("Training mean (no atoms)", f"{result.empty_value * factor:.4g} {unit}")
cols[2].metric("Shapley values", "exact" if result.shapley_estimator == "exact"
               else f"{result.shapley_samples} samples")
exact_note = "" if result.shapley_estimator == "exact" else (
    f" Largest standard error {result.shapley_standard_error.max() * factor:.3g} {unit}.")
st.caption(f"Model `{model_name}`; {shapley_text}.{exact_note} Integrated gradients: 64 Gauss-Legendre points, "
           f"completeness error {result.ig_completeness_error * factor:.3g} {unit}.")

# ----------------------------------------------------------------------------- views on one scale
from scann_core.attribution import METHOD_LABELS as LABELS  # noqa: E402 -- the library is loaded by now

scores = {LABELS[m]: v for m, v in sup.comparable_scores(result).items()}
vmin, vmax = common_range(scores)
st.markdown(
    "**One colour scale for all four:** each method is shown as N × value × s / Σ|values| (s = +1 for GA, "
    "and for the signed methods the sign of prediction − training mean), so GA becomes N × GA (mean 1), "
    "every method has a mean magnitude of 1 per atom, and a positive atom pushes the prediction away from "
    "the training mean, the order in which the deletion curves remove atoms.")
st.plotly_chart(method_bars_figure(result.structure.symbols, scores, vmin=vmin, vmax=vmax, cmap=cmap),
                key=f"{P}_bars")

shown = result.structure
left, right = st.columns([3, 2])
with right:
    method = st.radio("Colour the 3D view by", list(scores), key=f"{P}_view_method", horizontal=True)
    st.plotly_chart(viz.colorbar_figure(vmin, vmax, cmap=cmap, title="common scale"), key=f"{P}_colorbar")
    st.caption(f"Locked range {vmin:.3g} to {vmax:.3g} for every method and view.")
with left:
    values = scores[method]
    labels = [f"{s} {i + 1} | {method} = {v:.3f}" for i, (s, v) in enumerate(zip(shown.symbols, values))]
    view = viz.crystal_view_html if shown.is_periodic else viz.molecule_view_html
    html, error = sup.try_call(view, shown, values, cmap=cmap, vmin=vmin, vmax=vmax, labels=labels,
                               height=VIEW_HEIGHT)
    if error and shown.is_periodic:
        html, error = sup.try_call(viz.molecule_view_html, shown, values, cmap=cmap, vmin=vmin, vmax=vmax,
                                   labels=labels, height=VIEW_HEIGHT)
    sup.render_viewer(html, VIEW_HEIGHT, error)

st.subheader("Per atom")
table = sup.attribution_table(result)
st.dataframe(table, hide_index=True, key=f"{P}_table")
st.download_button("per-atom table (CSV)", sup.table_csv(table), f"{sup.file_stem(shown.name)}_attribution.csv",
                   "text/csv", key=f"{P}_dl_csv")

# ----------------------------------------------------------------------------- curves and metrics
st.subheader("Deletion and insertion curves")
metrics = sup.structure_metric_table(result)
areas = {row["method"]: (row["deletion area (lower = better)"], row["insertion area (higher = better)"])
         for _, row in metrics.iterrows()}
first = metrics.iloc[0]
areas["random"] = (first["deletion area (lower = better): random"], first["insertion area (higher = better): random"])
st.plotly_chart(curves_figure({LABELS.get(k, k): v for k, v in result.deletion.items()},
                              {LABELS.get(k, k): v for k, v in result.insertion.items()},
                              full_value=result.prediction, empty_value=result.empty_value, areas=areas),
                key=f"{P}_curves")
st.caption("Random: the mean of 10 uniformly random atom orders. Areas are normalised: 1 = the full prediction "
           "throughout, 0 = the training mean throughout.")
st.markdown("**This structure**")
st.dataframe(metrics, hide_index=True, key=f"{P}_metrics")
st.caption(sup.symmetry_caption(result))

st.subheader("Evaluation sets")
for evaluation_set, (_, title) in sup.EVALUATION_SETS.items():
    st.markdown(f"**{title}**")
    summary, note = sup.evaluation_metrics(model_name, evaluation_set=evaluation_set)
    if summary is None:
        st.info(note)
    else:
        st.caption(note)
        st.dataframe(summary, hide_index=True, key=f"{P}_evaluation_{evaluation_set}")
    shares = sup.evaluation_element_shares(model_name, evaluation_set=evaluation_set)
    if shares is not None:
        with st.expander("By element: mean N × |score| share (1 = an average atom; random scores give 1)"):
            st.dataframe(shares, hide_index=True, key=f"{P}_elements_{evaluation_set}")
