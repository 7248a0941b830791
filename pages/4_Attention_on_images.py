"""Attention on images: train a pixel-token Transformer on image windows, compare attention with SHAP."""
import numpy as np
import pandas as pd
import streamlit as st

from scann_core import app_support as sup
from scann_core.images import BenchmarkSpec, ImageTrainConfig, load_window_set, make_benchmark, run_image_experiment
from scann_core.images.figures import maps_figure, parity_figure

P = "images"  # session-state prefix of this page
SOURCES = ["Synthetic benchmark", "Upload an .npz"]

st.set_page_config(page_title="Attention on images · SCANN Studio", layout="wide")
sup.init_state({f"{P}_data": None, f"{P}_data_key": None, f"{P}_error": None, f"{P}_result": None,
                f"{P}_result_key": None})
st.title("Attention on images")
st.markdown(
    "Each pixel of a window is one token of a one-layer, 8-head Transformer that predicts the window's "
    "property. The **attention** map shows how much attention each pixel *receives* (mean over heads, sum over "
    "queries); **SHAP** shows sampled Shapley values (masked pixel = background). On the synthetic benchmark the "
    "**truth** map is known: only narrow peaks within a radius of the window centre set the target. "
    "Format and method: `docs/IMAGES.md`.")


@st.cache_data(show_spinner=False, max_entries=8)
def _benchmark(window_size: int, n_images: int, seed: int):
    return make_benchmark(BenchmarkSpec(window_size=window_size, image_size=40, n_images=n_images, seed=seed))


@st.cache_data(show_spinner=False, max_entries=8)
def _parse(data: bytes):
    return load_window_set(data)


def _set_data(key: str, loader, *args) -> None:
    if key == st.session_state[f"{P}_data_key"]:
        return
    data, error = sup.try_call(loader, *args)
    st.session_state[f"{P}_data_key"] = key
    st.session_state[f"{P}_data"] = data
    st.session_state[f"{P}_error"] = error


# ----------------------------------------------------------------------------- input
with st.sidebar:
    st.header("Windows")
    source = st.radio("Windows from", SOURCES, key=f"{P}_source")
    if source == SOURCES[0]:
        ws = st.selectbox("Window size (pixels)", [5, 7, 9, 11], index=1, key=f"{P}_ws")
        n_images = st.slider("Synthetic images (40 x 40)", 2, 8, 3, key=f"{P}_n_images")
        seed = st.number_input("Seed", 0, 10_000, 0, key=f"{P}_seed")
        _set_data(f"benchmark-{ws}-{n_images}-{seed}", _benchmark, int(ws), int(n_images), int(seed))
    else:
        upload = st.file_uploader("Window set (.npz)", type=["npz"], key=f"{P}_upload",
                                  help="Keys windows (N, ws, ws), targets (N,) or (N, T), centres (N, 2), "
                                       "optional image_id (N,); see docs/IMAGES.md.")
        if upload is None:
            _set_data("no-upload", lambda: None)
        else:
            _set_data(f"upload-{upload.file_id}", _parse, upload.getvalue())
    st.header("Training")
    epochs = st.number_input("Epochs", 1, 200, 8, key=f"{P}_epochs")
    n_explain = st.number_input("Test windows to explain", 1, 64, 4, key=f"{P}_n_explain")
    n_pairs = st.number_input("SHAP antithetic pairs per window", 2, 256, 8, key=f"{P}_n_pairs",
                              help="2 x pairs permutations, each ws² + 1 model evaluations.")
    go = st.button("Train and explain", key=f"{P}_train", type="primary")

if st.session_state[f"{P}_error"]:
    st.error(st.session_state[f"{P}_error"])
data = st.session_state[f"{P}_data"]
if data is None:
    st.info("Pick the synthetic benchmark or upload a window set (sidebar).")
    st.stop()
truth_note = ", with truth maps" if data.truth is not None else ""
st.caption(f"{data.n_windows} windows of {data.window_size} x {data.window_size} pixels, {data.n_targets} "
           f"target(s), {len(np.unique(data.image_id))} image(s){truth_note}.")
target = 0
if data.n_targets > 1:
    target = int(st.number_input("Target column to explain", 0, data.n_targets - 1, 0, key=f"{P}_target"))

# ----------------------------------------------------------------------------- train
run_key = (st.session_state[f"{P}_data_key"], int(epochs), int(n_explain), int(n_pairs), target)
if go:
    bar = st.progress(0.0, text="Splitting the windows...")
    result, error = sup.try_call(run_image_experiment, data, ImageTrainConfig(epochs=int(epochs)),
                                 n_explain=int(n_explain), n_pairs=int(n_pairs), target=target,
                                 progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text))
    st.session_state[f"{P}_result"], st.session_state[f"{P}_result_key"] = result, run_key
    if error:
        st.error(error)
result = st.session_state[f"{P}_result"]
if result is None or st.session_state[f"{P}_result_key"] != run_key:
    st.info("Press **Train and explain** (sidebar) to train on the training windows and explain test windows.")
    st.stop()

# ----------------------------------------------------------------------------- results
y_test = data.targets[result.test_index][:, target]
pred = result.test_pred[:, target]
r2 = 1 - np.mean((y_test - pred) ** 2) / max(np.var(y_test), 1e-12)
cols = st.columns(4)
cols[0].metric("Train / test windows", f"{len(result.train_index)} / {len(result.test_index)}")
cols[1].metric("Test RMSE", f"{np.sqrt(np.mean(result.test_rmse ** 2)):.3g}")
cols[2].metric("Test R²", f"{r2:.2f}")
cols[3].metric("k (top-k)", f"{result.k} of {data.window_size ** 2}")

st.subheader("Maps of a test window")
labels = {f"window {i} · image {data.image_id[i]} · centre ({data.centres[i, 0]:g}, {data.centres[i, 1]:g})": j
          for j, i in enumerate(result.explain_index)}
j = labels[st.selectbox("Test window", list(labels), key=f"{P}_window")]
i = result.explain_index[j]
panels = {"window": data.windows[i], "attention (received)": result.attention[j], "SHAP": result.shap[j]}
if result.truth is not None:
    panels["truth"] = result.truth[j]
st.plotly_chart(maps_figure(panels), key=f"{P}_maps")
where = int(np.flatnonzero(result.test_index == i)[0])
st.caption(f"True {data.targets[i, target]:.3g}, predicted {result.test_pred[where, target]:.3g}; SHAP values sum "
           f"to {result.shap[j].sum():.3g} = f(window) − f(background {result.background:.3g}).")

st.subheader("Metrics over the explained test windows")
st.dataframe(pd.DataFrame(result.metrics).set_index("map"), key=f"{P}_metrics")
if result.attention_recovery_all is not None:
    st.caption(f"Top-k recovery of attention over all {len(result.test_index)} test windows: "
               f"{result.attention_recovery_all:.2f} (random {result.k / data.window_size ** 2:.2f}).")

st.subheader("Predicted against true (test windows)")
st.plotly_chart(parity_figure(y_test, pred), key=f"{P}_parity")
