"""Plotly figures of per-atom scores: pure functions of arrays, no Streamlit, no state."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ranks import spearman
from .colors import colors_for, value_range

__all__ = ["SUBSTITUENT_COLORS", "atom_axis_labels", "ga_bar_figure", "ga_vs_reference_figure", "site_ratio_figure",
           "spearman"]


def atom_axis_labels(symbols: Sequence[str]) -> list[str]:
    """``['1 C', '2 H', ...]``: 1-based index and element, one per atom."""
    return [f"{i + 1} {s}" for i, s in enumerate(symbols)]


def ga_bar_figure(symbols: Sequence[str], values: Sequence[float] | np.ndarray, *,
                  value_label: str = "GA", cmap: str = "viridis", vmin: float | None = None,
                  vmax: float | None = None, title: str | None = None, height: int = 340):
    """Bar chart of a per-atom value; bars coloured like the atoms in the 3D view.

    Args:
        symbols: (n_atoms,) element symbols in atom order.
        values: (n_atoms,) values (a GA scale) in atom order.
        value_label: y-axis title.
        cmap, vmin, vmax: the colour mapping of the viewer (``None`` = data range).

    Returns:
        ``go.Figure`` with one ``Bar`` trace: x = ``'1 C', '2 H', ...``, y = values.
    """
    import plotly.graph_objects as go

    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size != len(symbols):
        raise ValueError(f"Got {v.size} values for {len(symbols)} atoms.")
    lo, hi = value_range(v)
    vmin = lo if vmin is None else vmin
    vmax = hi if vmax is None else vmax
    x = atom_axis_labels(symbols)
    fig = go.Figure(go.Bar(
        x=x, y=v, marker_color=colors_for(v, vmin, vmax, cmap),
        hovertemplate=f"atom %{{x}}<br>{value_label} = %{{y:.4g}}<extra></extra>",
    ))
    fig.update_layout(
        title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        xaxis=dict(title="atom", type="category", categoryorder="array", categoryarray=x),
        yaxis=dict(title=value_label), bargap=0.15,
    )
    return fig




def ga_vs_reference_figure(ga: Sequence[float] | np.ndarray, reference: Sequence[float] | np.ndarray,
                           *, symbols: Sequence[str] | None = None, ga_label: str = "GA",
                           reference_label: str = "reference", height: int = 380):
    """Scatter of a per-atom reference (x) against GA (y) with Spearman's rho in the title.

    Args:
        ga: (n_atoms,) GA values (any scale: ranks do not change).
        reference: (n_atoms,) reference per-atom values (orbital weight, attribution, ...).
        symbols: (n_atoms,) element symbols for the marker text and colour groups.

    Returns:
        ``go.Figure`` with one ``Scatter`` trace per element (all atoms when ``symbols`` is None);
        the title reads ``'Spearman rho = 0.83 (n = 15 atoms)'``.
    """
    import plotly.graph_objects as go

    g = np.asarray(ga, dtype=np.float64).reshape(-1)
    r = np.asarray(reference, dtype=np.float64).reshape(-1)
    rho = spearman(g, r)
    labels = atom_axis_labels(symbols) if symbols is not None else [str(i + 1) for i in range(g.size)]
    groups = list(dict.fromkeys(symbols)) if symbols is not None else [None]
    fig = go.Figure()
    for group in groups:
        idx = [i for i in range(g.size) if symbols is None or symbols[i] == group]
        fig.add_trace(go.Scatter(
            x=r[idx], y=g[idx], mode="markers", name=group or "atoms",
            text=[labels[i] for i in idx], marker=dict(size=9),
            hovertemplate=f"atom %{{text}}<br>{reference_label} = %{{x:.4g}}<br>{ga_label} = %{{y:.4g}}<extra></extra>",
        ))
    rho_text = "undefined" if np.isnan(rho) else f"{rho:.2f}"
    fig.update_layout(
        title=f"Spearman rho = {rho_text} (n = {g.size} atoms)", height=height,
        xaxis_title=reference_label, yaxis_title=ga_label, margin=dict(l=10, r=10, t=40, b=10),
    )
    return fig


# One fixed colour per SmFe12 substituent, so filters never recolour the points.
SUBSTITUENT_COLORS = {"Mo": "#1f77b4", "Co": "#d62728", "Al": "#2ca02c", "Ti": "#9467bd", "Cu": "#ff7f0e",
                      "Zn": "#8c564b", "Ga": "#e377c2"}


def site_ratio_figure(rows, *, energy: str = "ef_label", marked: Sequence[tuple[float, float, str]] = (),
                      height: int = 460):
    """The paper's SmFe12 figure: GA(X) / min GA(Fe) (x) against formation energy (y), one point
    per substituted site, coloured by substituent.

    Args:
        rows: a DataFrame like :func:`scann_core.site_ratios.dataset_site_ratios` (columns
            config_id, substituent, a, site, atom, ratio and ``energy``).
        energy: the y column (``ef_label`` or ``ef_predicted``, meV/atom).
        marked: (ratio, energy, name) points drawn as large stars (the variants on screen).

    Returns:
        ``go.Figure``; each point's ``customdata`` is ``[config_id, atom]`` (for selections).
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for element, color in SUBSTITUENT_COLORS.items():
        part = rows[rows["substituent"] == element]
        if part.empty:
            continue
        fig.add_trace(go.Scattergl(
            x=part["ratio"], y=part[energy], mode="markers", name=element,
            marker=dict(color=color, size=7, opacity=0.75),
            customdata=np.stack([part["config_id"], part["atom"], part["site"], part["a"]], axis=1),
            hovertemplate="%{customdata[0]}: site %{customdata[2]} (atom %{customdata[1]}), a = %{customdata[3]}"
                          "<br>ratio %{x:.3f}, E_f %{y:.1f} meV/atom<extra></extra>"))
    for ratio, value, name in marked:
        fig.add_trace(go.Scatter(x=[ratio], y=[value], mode="markers+text", text=[name], textposition="top center",
                                 name=name, marker=dict(symbol="star", size=18, color="black",
                                                        line=dict(color="white", width=1)),
                                 hovertemplate=f"{name}<br>ratio %{{x:.3f}}, E_f %{{y:.1f}} meV/atom<extra></extra>"))
    label = "CHGNet" if energy == "ef_label" else "predicted"
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), legend_title_text="X",
                      xaxis_title="GA(X) / min GA(Fe)", yaxis_title=f"formation energy, {label} (meV/atom)")
    return fig
