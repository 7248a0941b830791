"""Colour maps, colour bars and GA scales shared by the 3D viewer and the charts.

One mapping is used everywhere: a value ``v`` is normalised to
``t = clip((v - vmin) / (vmax - vmin), 0, 1)`` and ``t`` is placed on a plotly
sequential colour scale (list of evenly spaced stops) with linear interpolation
in RGB between neighbouring stops.  That is exactly what plotly does when it draws
a colour bar for ``colorscale=<same stops>, cmin=vmin, cmax=vmax``, so the atoms in
the viewer and the bar beside them cannot disagree.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

__all__ = [
    "COLORMAPS",
    "GaScaleMode",
    "colorscale",
    "colors_for",
    "colorbar_figure",
    "ga_scale",
    "ga_scale_label",
    "value_range",
]

# Perceptually uniform sequential scales that ship with plotly (matplotlib's
# viridis family). Keys are the names the rest of the package uses.
COLORMAPS: dict[str, str] = {
    "viridis": "Viridis",
    "cividis": "Cividis",
    "plasma": "Plasma",
    "inferno": "Inferno",
    "magma": "Magma",
}

GaScaleMode = Literal["raw", "n_times", "ratio"]


def colorscale(cmap: str = "viridis") -> list[list]:
    """The plotly colour scale ``[[t, '#rrggbb'], ...]`` (t from 0 to 1) for ``cmap``."""
    import plotly.colors as pc

    if cmap not in COLORMAPS:
        raise ValueError(f"Unknown colour map {cmap!r}; choose one of {', '.join(COLORMAPS)}.")
    return [[float(t), _to_hex(c)] for t, c in pc.get_colorscale(COLORMAPS[cmap])]


def _to_hex(color: str) -> str:
    import plotly.colors as pc

    if color.startswith("#"):
        return color.lower()
    r, g, b = pc.unlabel_rgb(color)
    return "#{:02x}{:02x}{:02x}".format(round(r), round(g), round(b))


def _stops(cmap: str) -> tuple[np.ndarray, np.ndarray]:
    scale = colorscale(cmap)
    ts = np.array([t for t, _ in scale], dtype=np.float64)
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in scale], dtype=np.float64)
    return ts, rgb / 255.0


def colors_for(values: Sequence[float] | np.ndarray, vmin: float, vmax: float,
               cmap: str = "viridis") -> list[str]:
    """Map values to ``'#rrggbb'`` colours, values outside [vmin, vmax] clipped to the ends.

    Args:
        values: (n,) numbers; NaN maps to grey ``#808080``.
        vmin, vmax: the ends of the colour bar; ``vmin == vmax`` maps everything to the middle.
        cmap: a key of :data:`COLORMAPS`.

    Returns:
        n hex colour strings in the order of ``values``.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    t = _normalise(v, vmin, vmax)
    ts, rgb = _stops(cmap)
    # piecewise linear interpolation per channel, like plotly's sample_colorscale
    channels = np.stack([np.interp(t, ts, rgb[:, k]) for k in range(3)], axis=-1)
    out = []
    for value, c in zip(v, channels):
        if not np.isfinite(value):
            out.append("#808080")
            continue
        r, g, b = (round(float(x) * 255.0) for x in c)
        out.append(f"#{r:02x}{g:02x}{b:02x}")
    return out


def _normalise(v: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    vmin, vmax = float(vmin), float(vmax)
    if not (np.isfinite(vmin) and np.isfinite(vmax)):
        raise ValueError("The colour range must be two finite numbers.")
    if vmax < vmin:
        raise ValueError(f"The colour range minimum {vmin:g} is above the maximum {vmax:g}.")
    if vmax == vmin:
        return np.full(v.shape, 0.5)
    t = (np.nan_to_num(v, nan=vmin) - vmin) / (vmax - vmin)
    return np.clip(t, 0.0, 1.0)


def value_range(values: Sequence[float] | np.ndarray,
                locked: tuple[float, float] | None = None) -> tuple[float, float]:
    """The colour range: ``locked`` when given (validated), else the min and max of ``values``.

    A constant set of values (C60's uniform GA, say) gets a small symmetric range so
    that it shows as the middle colour rather than dividing by zero.
    """
    if locked is not None:
        lo, hi = (float(x) for x in locked)
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            raise ValueError(f"The locked range needs minimum < maximum (got {lo:g} and {hi:g}).")
        return lo, hi
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        pad = 0.05 * abs(hi) if hi != 0 else 0.5
        return lo - pad, hi + pad
    return lo, hi


def ga_scale(ga: Sequence[float] | np.ndarray, mode: GaScaleMode = "raw",
             reference_index: int | None = None) -> np.ndarray:
    """Rescale per-atom global attention for display.

    Args:
        ga: (n_atoms,) GA scores (non-negative, summing to 1 over the structure).
        mode: ``'raw'`` GA itself; ``'n_times'`` N*GA (mean 1, comparable across sizes);
            ``'ratio'`` GA / GA[reference_index] (1 at the reference atom).
        reference_index: 0-based atom index, required for ``'ratio'``.

    Returns:
        (n_atoms,) float64 array.
    """
    g = np.asarray(ga, dtype=np.float64).reshape(-1)
    if mode == "raw":
        return g.copy()
    if mode == "n_times":
        return g * g.size
    if mode == "ratio":
        if reference_index is None:
            raise ValueError("The ratio scale needs a reference atom.")
        ref = int(reference_index)
        if not 0 <= ref < g.size:
            raise ValueError(f"Reference atom {ref + 1} does not exist (the structure has {g.size} atoms).")
        if g[ref] <= 0:
            raise ValueError(f"Atom {ref + 1} has zero GA, so it cannot be the reference of a ratio.")
        return g / g[ref]
    raise ValueError(f"Unknown GA scale {mode!r}; use 'raw', 'n_times' or 'ratio'.")


def ga_scale_label(mode: GaScaleMode, reference_index: int | None = None) -> str:
    """Axis / colour-bar title for a GA scale."""
    if mode == "raw":
        return "GA"
    if mode == "n_times":
        return "N × GA"
    return f"GA / GA(atom {int(reference_index) + 1})" if reference_index is not None else "GA ratio"


def colorbar_figure(vmin: float, vmax: float, *, cmap: str = "viridis", title: str = "GA",
                    n_steps: int = 256, height: int = 110):
    """A horizontal colour bar as a plotly figure using exactly the mapping of :func:`colors_for`.

    The figure is a one-row heatmap with ``zmin=vmin, zmax=vmax`` and the colour scale of
    ``cmap``; cell ``k`` has the value ``x[k]`` and plotly colours it as
    ``colors_for([x[k]], vmin, vmax, cmap)``.
    """
    import plotly.graph_objects as go

    lo, hi = float(vmin), float(vmax)
    x = np.linspace(lo, hi, n_steps)
    fig = go.Figure(go.Heatmap(
        x=x, z=[x], zmin=lo, zmax=hi, colorscale=colorscale(cmap), showscale=False,
        hovertemplate=f"{title} = %{{x:.4g}}<extra></extra>",
    ))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=30),
        title=dict(text=title, x=0.5, font=dict(size=13)),
        yaxis=dict(visible=False), xaxis=dict(range=[lo, hi], showgrid=False, ticks="outside"),
    )
    return fig
