"""Plotly figures that put GA beside other per-atom attributions: pure functions, no Streamlit.

Used by the "Attention vs attribution" page; every function takes arrays and returns a
``go.Figure`` whose data can be checked without a browser.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .colors import colors_for, value_range
from .figures import atom_axis_labels

__all__ = ["METHOD_COLORS", "RANDOM_COLOR", "common_range", "method_bars_figure", "curves_figure"]

# Line colours of the curves, one per method label (Okabe-Ito, colour-blind safe); others cycle.
METHOD_COLORS = {"GA": "#0072b2", "occlusion": "#e69f00", "integrated gradients": "#009e73",
                 "Shapley": "#cc79a7"}
RANDOM_COLOR = "#7f7f7f"
_CYCLE = ("#56b4e9", "#d55e00", "#f0e442", "#000000")


def common_range(values: Mapping[str, Sequence[float] | np.ndarray]) -> tuple[float, float]:
    """One colour range for several per-atom arrays: the min and max over all of them (with
    :func:`~.colors.value_range`'s handling of a constant or empty input)."""
    arrays = [np.asarray(v, dtype=np.float64).reshape(-1) for v in values.values()]
    if not arrays:
        raise ValueError("No values to take a range of.")
    return value_range(np.concatenate(arrays))


def method_bars_figure(symbols: Sequence[str], values: Mapping[str, Sequence[float] | np.ndarray], *,
                       vmin: float, vmax: float, cmap: str = "viridis", value_label: str = "common scale",
                       height: int = 340):
    """Per-atom bar charts of several methods side by side, on one colour range and one y axis.

    Args:
        symbols: (n_atoms,) element symbols in atom order.
        values: method label -> (n_atoms,) values, already on a common scale.
        vmin, vmax: the shared colour range (bars outside it keep their height, colour clipped).
        cmap: a key of :data:`~.colors.COLORMAPS`.

    Returns:
        ``go.Figure`` with one ``Bar`` trace per method (in subplot columns, titled by the label),
        x = ``'1 C', '2 H', ...``; all y axes span the same range, which includes 0, vmin and vmax.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    labels = list(values)
    if not labels:
        raise ValueError("No methods to plot.")
    x = atom_axis_labels(symbols)
    arrays = {}
    for label in labels:
        v = np.asarray(values[label], dtype=np.float64).reshape(-1)
        if v.size != len(symbols):
            raise ValueError(f"Got {v.size} {label} values for {len(symbols)} atoms.")
        arrays[label] = v
    fig = make_subplots(rows=1, cols=len(labels), shared_yaxes=True, subplot_titles=labels,
                        horizontal_spacing=0.02)
    for col, label in enumerate(labels, start=1):
        v = arrays[label]
        fig.add_trace(go.Bar(x=x, y=v, name=label, marker_color=colors_for(v, vmin, vmax, cmap), showlegend=False,
                             hovertemplate=f"{label}<br>atom %{{x}}<br>{value_label} = %{{y:.3g}}<extra></extra>"),
                      row=1, col=col)
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=x, tickangle=-90, row=1, col=col)
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays.values()] + [np.array([0.0, vmin, vmax])])
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.05 * (hi - lo or 1.0)
    fig.update_yaxes(range=[lo - pad if lo < 0 else 0.0, hi + pad], zeroline=True)
    fig.update_yaxes(title_text=value_label, row=1, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), bargap=0.15)
    return fig


def curves_figure(deletion: Mapping[str, Sequence[float] | np.ndarray],
                  insertion: Mapping[str, Sequence[float] | np.ndarray], *, full_value: float, empty_value: float,
                  areas: Mapping[str, tuple[float, float]] | None = None, random_label: str = "random",
                  height: int = 360):
    """Deletion and insertion curves of several methods with the random-order baseline.

    Args:
        deletion, insertion: label -> (n_atoms + 1,) values in target units after removing / keeping the
            k highest-ranked atoms, k = 0..n; the label ``random_label`` is drawn dashed grey.
        full_value, empty_value: v(all) and v(empty); the curves are shown normalised,
            ``(v - v(empty)) / (v(all) - v(empty))`` (1 = full prediction, 0 = training mean), or in
            target units when the two are equal.
        areas: label -> (deletion area, insertion area) appended to the legend names.

    One legend entry per label (the two curves of a label share it and toggle together).

    Returns:
        ``go.Figure`` with two subplots (deletion left, insertion right), one ``Scatter`` per label in
        each, x = fraction of atoms removed / added.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    span = float(full_value) - float(empty_value)
    normalise = span != 0 and np.isfinite(span)
    fig = make_subplots(rows=1, cols=2, subplot_titles=["Deletion: most important atoms removed first",
                                                        "Insertion: most important atoms added first"],
                        horizontal_spacing=0.08)
    cycle = iter(_CYCLE * 4)
    for col, curves in ((1, deletion), (2, insertion)):
        for label, curve in curves.items():
            y = np.asarray(curve, dtype=np.float64).reshape(-1)
            if normalise:
                y = (y - empty_value) / span
            x = np.linspace(0.0, 1.0, y.size) if y.size > 1 else np.zeros(y.size)
            is_random = label == random_label
            color = RANDOM_COLOR if is_random else METHOD_COLORS.get(label) or next(cycle)
            name = label
            if areas and label in areas:
                name = f"{label} (areas: deletion {areas[label][0]:.2f}, insertion {areas[label][1]:.2f})"
            fig.add_trace(go.Scatter(
                x=x, y=y, mode="lines+markers", name=name, legendgroup=label, showlegend=col == 1,
                line=dict(color=color, dash="dash" if is_random else "solid", width=2),
                marker=dict(size=4),
                hovertemplate=f"{label}<br>fraction %{{x:.2f}}<br>value %{{y:.3g}}<extra></extra>"),
                row=1, col=col)
    y_title = "normalised prediction (1 = full, 0 = training mean)" if normalise else "prediction"
    fig.update_xaxes(title_text="fraction of atoms removed", row=1, col=1)
    fig.update_xaxes(title_text="fraction of atoms added", row=1, col=2)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return fig
