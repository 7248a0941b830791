"""Plotly figures for the image-attention page (pure functions, testable on their data)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = ["maps_figure", "parity_figure"]


def maps_figure(panels: dict[str, np.ndarray], *, height: int = 320) -> go.Figure:
    """One heatmap per (ws, ws) map, side by side, each with its own colour bar.

    Row 0 of a window is drawn at the top (image orientation); pixel (row, col) is shown at
    y = row, x = col.  SHAP maps (names starting with "SHAP") use a diverging scale centred at 0.
    """
    names = list(panels)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.08)
    for i, name in enumerate(names, start=1):
        z = np.asarray(panels[name], dtype=np.float64)
        signed = name.startswith("SHAP")
        limit = float(np.abs(z).max()) or 1.0
        x_bar = i / len(names) - 0.04 / len(names)
        fig.add_trace(go.Heatmap(z=z, colorscale="RdBu_r" if signed else "Viridis",
                                 zmid=0.0 if signed else None, zmin=-limit if signed else None,
                                 zmax=limit if signed else None, name=name,
                                 colorbar=dict(x=x_bar, len=0.9, thickness=10),
                                 hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra>" + name + "</extra>"),
                      row=1, col=i)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i if i > 1 else ''}", row=1, col=i)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def parity_figure(y_true: np.ndarray, y_pred: np.ndarray, *, label: str = "target") -> go.Figure:
    """Predicted against true values of the test windows, with the y = x line."""
    t = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"Got {t.size} true values and {p.size} predictions.")
    lo, hi = (float(min(t.min(), p.min())), float(max(t.max(), p.max()))) if t.size else (0.0, 1.0)
    fig = go.Figure([go.Scatter(x=t, y=p, mode="markers", name="test windows", marker=dict(size=5, opacity=0.6)),
                     go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x",
                                line=dict(dash="dash", color="grey"))])
    fig.update_layout(xaxis_title=f"true {label}", yaxis_title=f"predicted {label}", height=360,
                      margin=dict(l=10, r=10, t=30, b=10))
    return fig
