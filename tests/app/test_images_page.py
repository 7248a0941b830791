"""AppTest for the 'Attention on images' page: loads, trains on the benchmark, rejects bad uploads."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "pages" / "4_Attention_on_images.py"
TIMEOUT = 120


@pytest.fixture(autouse=True)
def one_thread_and_fresh_caches():
    import streamlit as st
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    torch.set_num_threads(threads)


def _page() -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tiny_training(at: AppTest) -> None:
    at.number_input(key="images_epochs").set_value(2)
    at.number_input(key="images_n_explain").set_value(2)
    at.number_input(key="images_n_pairs").set_value(2)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_page_loads_with_benchmark_selected():
    at = _page()
    assert at.title[0].value == "Attention on images"
    assert "with truth maps" in at.caption[0].value
    assert any("Train and explain" in i.value for i in at.info)
    assert not at.error


def test_benchmark_trains_and_shows_maps_metrics_and_parity():
    at = _page()
    _tiny_training(at)
    at.button(key="images_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    table = at.dataframe[0].value
    assert list(table.index) == ["attention", "SHAP", "truth (ceiling)", "random", "random (expected)"]
    assert {"top-k recovery", "Spearman vs truth", "deletion area"} <= set(table.columns)
    assert np.isclose(table.loc["random (expected)", "top-k recovery"], 5 / 49)
    labels = [m.label for m in at.metric]
    assert "Test RMSE" in labels and "Test R²" in labels
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    assert "attention (received)" in charts[0].proto.spec and "truth" in charts[0].proto.spec
    # another explained window can be picked without retraining
    options = at.selectbox(key="images_window").options
    assert len(options) == 2
    at.selectbox(key="images_window").set_value(options[1]).run()
    assert not at.exception and at.dataframe


def test_bad_uploads_show_one_sentence_errors():
    at = _page()
    at.radio(key="images_source").set_value("Upload an .npz").run()
    assert any("upload a window set" in i.value for i in at.info)
    at.file_uploader(key="images_upload").set_value(("bad.npz", b"not a zip at all", "application/octet-stream"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "not an .npz file" in at.error[0].value
    rng = np.random.default_rng(0)
    bad = _npz(windows=rng.random((10, 5, 6)), targets=rng.random(10), centres=rng.random((10, 2)))
    at.file_uploader(key="images_upload").set_value(("rect.npz", bad, "application/octet-stream"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "Windows must be square, got 5 x 6 pixels." in at.error[0].value
    assert "Traceback" not in at.error[0].value and "\n" not in at.error[0].value


def test_good_upload_with_two_targets_trains():
    rng = np.random.default_rng(1)
    centres = np.array([(r, c) for r in range(0, 60, 3) for c in range(0, 60, 3)], dtype=float)
    windows = rng.random((len(centres), 5, 5))
    targets = np.stack([windows.mean((1, 2)), windows[:, 2, 2]], axis=1)
    at = _page()
    at.radio(key="images_source").set_value("Upload an .npz").run()
    at.file_uploader(key="images_upload").set_value(
        ("ok.npz", _npz(windows=windows, targets=targets, centres=centres), "application/octet-stream"))
    at.run()
    assert not at.error and "400 windows of 5 x 5 pixels, 2 target(s), 1 image(s)." == at.caption[0].value
    at.number_input(key="images_target").set_value(1)
    _tiny_training(at)
    at.button(key="images_train").click().run()
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value.index) == ["attention", "SHAP", "random"]
