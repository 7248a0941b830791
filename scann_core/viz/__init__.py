"""Pure visualisation helpers: colour mapping, GA scales, 3D-viewer HTML, plotly figures.

Nothing here imports Streamlit; every function returns data, HTML or a ``go.Figure``.
"""
from .colors import COLORMAPS, colorbar_figure, colors_for, colorscale, ga_scale, ga_scale_label, value_range
from .figures import atom_axis_labels, ga_bar_figure, ga_vs_reference_figure, site_ratio_figure, spearman
from .viewer import atom_labels, crystal_view_html, molecule_view_html, p1_cif, vendored_3dmol_js

__all__ = [
    "COLORMAPS",
    "atom_axis_labels",
    "atom_labels",
    "colorbar_figure",
    "colors_for",
    "colorscale",
    "crystal_view_html",
    "ga_bar_figure",
    "ga_scale",
    "ga_scale_label",
    "ga_vs_reference_figure",
    "molecule_view_html",
    "p1_cif",
    "site_ratio_figure",
    "spearman",
    "value_range",
    "vendored_3dmol_js",
]
