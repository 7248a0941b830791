"""scann_core.viz: colour mapping, colour bar, GA scales, viewer HTML and figures (no browser)."""
from __future__ import annotations

import json
import re

import numpy as np
import plotly.colors as pc
import pytest

from scann_core.structure import Structure
from scann_core.viz import (
    COLORMAPS,
    atom_axis_labels,
    colorbar_figure,
    colors_for,
    crystal_view_html,
    ga_bar_figure,
    ga_scale,
    ga_vs_reference_figure,
    molecule_view_html,
    p1_cif,
    value_range,
    vendored_3dmol_js,
)
from scann_core.viz.viewer import THREEDMOL_JS_PATH

ETHANOL = Structure(
    [6, 6, 8, 1, 1, 1, 1, 1, 1],
    [[-0.0487, 1.3758, 0.0], [0.0487, -0.1483, 0.0], [1.4218, -0.5434, 0.0], [-1.0931, 1.6828, 0.0],
     [0.4398, 1.7927, 0.8809], [0.4398, 1.7927, -0.8809], [-0.4398, -0.5650, 0.8809],
     [-0.4398, -0.5650, -0.8809], [1.4857, -1.5112, 0.0]],
    name="ethanol")
NACL = Structure([11, 17, 11, 17], [[0, 0, 0], [2.82, 0, 0], [0, 2.82, 2.82], [2.82, 2.82, 2.82]],
                 cell=[[5.64, 0, 0], [0, 5.64, 0], [1.0, 0.5, 5.64]], pbc=(True, True, True), name="nacl")
GA = np.array([0.15, 0.12, 0.25, 0.08, 0.07, 0.07, 0.09, 0.09, 0.08])


def _hex_from_unit_rgb(rgb) -> str:
    return "#" + "".join(f"{round(c * 255.0):02x}" for c in rgb)


def _bar_color_at(fig, v: float) -> str:
    """The colour plotly gives value v in the colour-bar figure, from the figure's own data."""
    trace = fig.data[0]
    t = (v - trace.zmin) / (trace.zmax - trace.zmin)
    t = min(max(t, 0.0), 1.0)
    scale = [[s, c] for s, c in trace.colorscale]
    return _hex_from_unit_rgb(pc.sample_colorscale(scale, [t], colortype="tuple")[0])


# ----------------------------------------------------------------------------- colours


@pytest.mark.parametrize("cmap", list(COLORMAPS))
def test_colorbar_and_atoms_use_the_same_mapping(cmap):
    vmin, vmax = 0.3, 2.7
    fig = colorbar_figure(vmin, vmax, cmap=cmap, title="N × GA")
    for v in [0.3, 0.5, 0.77, 1.0, 1.234, 1.5, 2.0, 2.69, 2.7]:
        assert colors_for([v], vmin, vmax, cmap) == [_bar_color_at(fig, v)], v
    # the bar spans exactly the range and its cells carry their own value
    trace = fig.data[0]
    assert trace.zmin == vmin and trace.zmax == vmax
    np.testing.assert_allclose(trace.z[0], trace.x)


def test_colors_for_ends_clipping_and_nan():
    viridis = pc.get_colorscale("Viridis")
    assert colors_for([0.0, 1.0], 0.0, 1.0) == [viridis[0][1].lower(), viridis[-1][1].lower()]
    assert colors_for([-5.0, 9.0], 0.0, 1.0) == colors_for([0.0, 1.0], 0.0, 1.0)
    assert colors_for([np.nan], 0.0, 1.0) == ["#808080"]
    assert colors_for([3.0, 3.0], 3.0, 3.0) == colors_for([0.5, 0.5], 0.0, 1.0)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors_for(np.linspace(0, 1, 50), 0, 1))
    with pytest.raises(ValueError):
        colors_for([0.5], 1.0, 0.0)


def test_viridis_is_monotonic_in_lightness():
    """Perceptually ordered: the luminance grows with the value."""
    cols = colors_for(np.linspace(0, 1, 21), 0.0, 1.0)
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in cols], dtype=float)
    luminance = rgb @ [0.2126, 0.7152, 0.0722]
    assert np.all(np.diff(luminance) > 0)


def test_value_range_auto_locked_and_constant():
    assert value_range([0.2, 0.1, 0.4]) == (0.1, 0.4)
    assert value_range([0.2, 0.1], locked=(0.0, 1.0)) == (0.0, 1.0)
    lo, hi = value_range([1 / 60] * 60)  # C60: uniform GA
    assert lo < 1 / 60 < hi
    with pytest.raises(ValueError, match="minimum < maximum"):
        value_range([0.1], locked=(1.0, 0.5))


# ----------------------------------------------------------------------------- GA scales


def test_ga_scale_modes():
    np.testing.assert_allclose(ga_scale(GA, "raw"), GA)
    n_times = ga_scale(GA, "n_times")
    assert n_times.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(n_times, GA * GA.size)
    ratio = ga_scale(GA, "ratio", reference_index=2)
    assert ratio[2] == pytest.approx(1.0)
    np.testing.assert_allclose(ratio, GA / GA[2])
    # ranks never change with the scale
    for mode, ref in [("n_times", None), ("ratio", 4)]:
        assert list(np.argsort(ga_scale(GA, mode, ref))) == list(np.argsort(GA))


def test_ga_scale_errors():
    with pytest.raises(ValueError, match="reference atom"):
        ga_scale(GA, "ratio")
    with pytest.raises(ValueError, match="does not exist"):
        ga_scale(GA, "ratio", reference_index=GA.size)
    with pytest.raises(ValueError, match="zero GA"):
        ga_scale([0.0, 1.0], "ratio", reference_index=0)
    with pytest.raises(ValueError, match="Unknown GA scale"):
        ga_scale(GA, "log")


# ----------------------------------------------------------------------------- viewer HTML


def _style_colors(html: str) -> list[tuple[int, str]]:
    found = re.findall(r'setStyle\(\{"index": (\d+)\},\{"stick": \{"color": "(#[0-9a-f]{6})"', html)
    return [(int(i), c) for i, c in found]


def test_molecule_html_is_offline_and_colours_atoms_in_order():
    html = molecule_view_html(ETHANOL, GA, vmin=0.0, vmax=0.3)
    # 3Dmol.js inline, before py3Dmol's code, and nothing fetched from the network
    assert vendored_3dmol_js()[:2000] in html
    assert html.index(vendored_3dmol_js()[:200]) < html.index("$3Dmol.createViewer")
    assert "var $3Dmolpromise = Promise.resolve();" in html
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, flags=re.I)
    assert "cdn.jsdelivr" not in html and "loadScriptAsync('')" in html
    # atom i gets colours_for(values)[i]: the styles come in atom order
    expected = colors_for(GA, 0.0, 0.3)
    assert _style_colors(html) == list(enumerate(expected))
    # the model is an XYZ block with the atoms in the structure's order
    xyz = json.loads(re.search(r'addModel\((".*?"),"xyz"', html).group(1))
    assert [line.split()[0] for line in xyz.splitlines()[2:]] == ETHANOL.symbols
    # hover labels: element, 1-based index and the value
    assert '"O 3 | GA = 0.25"' in html and "setHoverable" in html


def test_molecule_html_is_deterministic_and_escapes_labels():
    a = molecule_view_html(ETHANOL, GA)
    assert a == molecule_view_html(ETHANOL, GA)
    assert a != molecule_view_html(ETHANOL, GA[::-1])
    labels = ["</script><script>alert(1)</script>"] * ETHANOL.n_atoms
    html = molecule_view_html(ETHANOL, GA, labels=labels)
    assert "alert(1)</script>" not in html
    with pytest.raises(ValueError, match="values for 9 atoms"):
        molecule_view_html(ETHANOL, GA[:3])


def test_linked_views_join_their_group_by_name():
    alone = molecule_view_html(ETHANOL, GA)
    assert "__scannLinks" not in alone and "viewer.setViewChangeCallback(" not in alone
    linked = molecule_view_html(ETHANOL, GA, link="</script>pair")
    assert "__scannLinks" in linked and "viewer.setViewChangeCallback(" in linked
    assert "</script>pair" not in linked  # the name is escaped like every other text


def test_auto_range_spans_the_values():
    html = molecule_view_html(ETHANOL, GA)
    colors = [c for _, c in _style_colors(html)]
    assert colors[int(np.argmin(GA))] == colors_for([0.0], 0.0, 1.0)[0]
    assert colors[int(np.argmax(GA))] == colors_for([1.0], 0.0, 1.0)[0]


def test_p1_cif_round_trips_fractional_coordinates():
    cif = p1_cif(NACL)
    rows = [line.split() for line in cif.splitlines() if line.startswith("  ") and len(line.split()) == 6]
    assert [r[1] for r in rows] == NACL.symbols
    frac = np.array([[float(x) for x in r[2:5]] for r in rows])
    np.testing.assert_allclose(frac @ NACL.cell, NACL.positions, atol=1e-6)
    # cell parameters reproduce the metric tensor of the cell rows
    par = {k: float(v) for k, v in re.findall(r"_cell_(\w+)\s+([\d.]+)", cif)}
    assert par["length_c"] == pytest.approx(np.linalg.norm(NACL.cell[2]))
    cos_beta = NACL.cell[0] @ NACL.cell[2] / (5.64 * np.linalg.norm(NACL.cell[2]))
    assert np.cos(np.radians(par["angle_beta"])) == pytest.approx(cos_beta)
    with pytest.raises(ValueError, match="three independent cell vectors"):
        p1_cif(ETHANOL)


def test_crystal_html_unit_cell_supercell_and_order():
    values = [0.3, 0.2, 0.3, 0.2]
    html = crystal_view_html(NACL, values, supercell=(2, 2, 1))
    assert '"cif",{"doAssembly": false}' in html
    assert html.index("addUnitCell()") < html.index("replicateUnitCell(2,2,1)")
    assert _style_colors(html) == list(enumerate(colors_for(values, 0.2, 0.3)))
    assert not re.search(r"viewer_\w+\.replicateUnitCell", crystal_view_html(NACL, values))
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, flags=re.I)
    with pytest.raises(ValueError, match="supercell"):
        crystal_view_html(NACL, values, supercell=(0, 1, 1))


def test_highlights_and_markers_are_spheres_at_their_positions():
    ringed = crystal_view_html(NACL, [0.3, 0.2, 0.3, 0.2], highlight=[1])
    spheres = re.findall(r'addSphere\(\{"center": \{"x": ([-\d.e]+), "y": ([-\d.e]+), "z": ([-\d.e]+)\}', ringed)
    assert [tuple(map(float, c)) for c in spheres] == [(2.82, 0.0, 0.0)] and '"wireframe": true' in ringed
    marked = molecule_view_html(ETHANOL, GA, markers=np.array([[0.0, 0.0, 3.0], [1.0, 2.0, 3.0]]))
    spheres = re.findall(r'addSphere\(\{"center": \{"x": ([-\d.e]+), "y": ([-\d.e]+), "z": ([-\d.e]+)\}', marked)
    assert [tuple(map(float, c)) for c in spheres] == [(0.0, 0.0, 3.0), (1.0, 2.0, 3.0)]
    assert not re.search(r"viewer_\w+\.addSphere", molecule_view_html(ETHANOL, GA))
    assert _style_colors(marked) == _style_colors(molecule_view_html(ETHANOL, GA))  # atoms keep their colours


def test_vendored_3dmol_is_the_pinned_release():
    import hashlib

    digest = hashlib.sha256(THREEDMOL_JS_PATH.read_bytes()).hexdigest()
    assert digest == "f7cc78921ae72e7623e89cdd111434f58c2efddd2ffda1cd212644b406fb8016"  # npm 3dmol@2.5.5
    license_text = (THREEDMOL_JS_PATH.parent / "3Dmol.LICENSE").read_text()
    assert "3dmol v2.5.5" in license_text and "BSD-3-Clause" in license_text


# ----------------------------------------------------------------------------- figures


def test_ga_bar_figure_data():
    fig = ga_bar_figure(ETHANOL.symbols, GA * 9, value_label="N × GA", vmin=0.0, vmax=2.5)
    bar = fig.data[0]
    assert list(bar.x) == ["1 C", "2 C", "3 O", "4 H", "5 H", "6 H", "7 H", "8 H", "9 H"]
    np.testing.assert_allclose(bar.y, GA * 9)
    assert list(bar.marker.color) == colors_for(GA * 9, 0.0, 2.5)
    assert fig.layout.yaxis.title.text == "N × GA"
    assert atom_axis_labels(["O", "H"]) == ["1 O", "2 H"]


def test_ga_vs_reference_figure_spearman_in_title():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    ref = rng.random(ETHANOL.n_atoms)
    fig = ga_vs_reference_figure(GA, ref, symbols=ETHANOL.symbols, reference_label="HOMO weight")
    rho = spearmanr(GA, ref).statistic
    assert f"Spearman rho = {rho:.2f}" in fig.layout.title.text
    assert {t.name for t in fig.data} == {"C", "O", "H"}
    xs = np.concatenate([t.x for t in fig.data])
    ys = np.concatenate([t.y for t in fig.data])
    assert sorted(zip(xs, ys)) == sorted(zip(ref, GA))
    perfect = ga_vs_reference_figure(GA, GA * 3 + 1)
    assert "Spearman rho = 1.00" in perfect.layout.title.text
    flat = ga_vs_reference_figure(GA, np.ones_like(GA))
    assert "undefined" in flat.layout.title.text


def test_small_molecules_are_zoomed_in_and_large_ones_not():
    methane = Structure([6, 1, 1, 1, 1], [[0, 0, 0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63],
                                         [-0.63, 0.63, -0.63], [0.63, -0.63, -0.63]])
    assert re.search(r"viewer_\w+\.zoom\(2\.0\)", molecule_view_html(methane, np.full(5, 0.2)))
    big = Structure([6, 6], [[0, 0, 0], [6.0, 0, 0]])
    assert not re.search(r"viewer_\w+\.zoom\(", molecule_view_html(big, [0.5, 0.5]))


def test_molecule_camera_turns_a_flat_molecule_face_on():
    """The rotation (Rodrigues, right-handed, degrees) takes the molecular plane's normal onto z."""
    from scann_core.structure import Structure
    from scann_core.viz.viewer import molecule_camera

    ring = np.array([[np.cos(t), 0.0, np.sin(t)] for t in np.arange(6) * np.pi / 3]) * 1.4  # in the xz plane
    (name, (angle, axis)), *rest = molecule_camera(Structure([6] * 6, ring))
    assert name == "rotate" and angle == pytest.approx(90.0)
    k = np.array([axis["x"], axis["y"], axis["z"]])
    theta = np.radians(angle)
    normal = np.array([0.0, 1.0, 0.0])
    turned = normal * np.cos(theta) + np.cross(k, normal) * np.sin(theta) + k * (k @ normal) * (1 - np.cos(theta))
    assert np.allclose(np.abs(turned), [0, 0, 1], atol=1e-6)
    assert [c for c, _ in rest] == ["zoom"]  # a 2.8 A ring is zoomed in
