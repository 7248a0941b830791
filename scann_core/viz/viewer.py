"""Self-contained 3Dmol.js viewer HTML with atoms coloured by a per-atom value.

py3Dmol builds the viewer commands, but its HTML loads 3Dmol.js from a CDN, which
leaves an empty box offline.  Here the vendored ``assets/3Dmol-min.js`` (3Dmol.js
2.5.5, BSD-3-Clause, see ``assets/3Dmol.LICENSE``) is put inline in a ``<script>``
before py3Dmol's HTML together with an already resolved ``$3Dmolpromise``, so
py3Dmol never fetches anything.  The result is one HTML string for
``streamlit.components.v1.html`` (or a file): no network, no server.

Atom ``i`` of the structure is atom ``i`` of the 3Dmol model (XYZ for molecules,
a P1 CIF loaded with ``doAssembly: false`` for crystals keeps the site order), and
gets the colour ``colors_for(values, vmin, vmax)[i]`` through a per-atom style
selected by ``{"index": i}``.
"""
from __future__ import annotations

import functools
import hashlib
import json
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..paths import ASSETS
from .colors import colors_for, value_range

if TYPE_CHECKING:  # pragma: no cover
    from scann_core.structure import Structure

__all__ = [
    "THREEDMOL_JS_PATH",
    "atom_labels",
    "crystal_view_html",
    "molecule_view_html",
    "p1_cif",
    "vendored_3dmol_js",
]

THREEDMOL_JS_PATH = ASSETS / "3Dmol-min.js"

STICK_RADIUS = 0.14
SPHERE_SCALE = 0.28
HIGHLIGHT_RADIUS = 0.9  # angstrom, the wireframe sphere around a highlighted atom
HIGHLIGHT_COLOR = "#111111"  # near black: not a colour of any map offered
MARKER_RADIUS = 1.2  # angstrom, a sphere marking an atom that is not part of the model input (Pt)
MARKER_COLOR = "#9a9a9a"


@functools.lru_cache(maxsize=1)
def vendored_3dmol_js() -> str:
    """The text of the vendored 3Dmol.js, safe to put inside an inline ``<script>``."""
    text = THREEDMOL_JS_PATH.read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")


def atom_labels(symbols: Sequence[str], values: Sequence[float] | np.ndarray,
                name: str = "GA") -> list[str]:
    """Hover labels ``'O 3 | GA = 0.1234'``: element, 1-based index, value."""
    return [f"{s} {i + 1} | {name} = {float(v):.4g}" for i, (s, v) in enumerate(zip(symbols, values))]


def molecule_view_html(structure: "Structure", values: Sequence[float] | np.ndarray, *,
                       cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None,
                       labels: Sequence[str] | None = None, markers: np.ndarray | None = None,
                       height: int = 460, background: str = "white", link: str | None = None) -> str:
    """HTML of a sticks + spheres 3D view of a molecule, atoms coloured by ``values``.

    Args:
        structure: the molecule (positions in angstrom; a cell is ignored).
        values: (n_atoms,) per-atom values (a GA scale) in atom order.
        cmap, vmin, vmax: colour mapping of :func:`~scann_core.viz.colors.colors_for`;
            ``None`` for either end takes the data's min / max.
        labels: (n_atoms,) hover texts; default ``atom_labels(symbols, values)``.
        markers: (m, 3) positions of things that are not part of the model's input (the Pt atoms
            above a graphene sheet), drawn as translucent grey spheres.
        height: viewer height in pixels (the width fills the frame).
        link: views of one page with the same ``link`` name turn and zoom together
            (see :func:`_viewer_page`).

    Returns:
        A self-contained HTML fragment (inline 3Dmol.js, no external script).
    """
    values = _check_values(structure, values)
    xyz = _xyz_text(structure)
    spheres = _spheres(() if markers is None else markers, radius=MARKER_RADIUS, color=MARKER_COLOR,
                       wireframe=False, opacity=0.55)
    return _view_html(structure, values, data=xyz, fmt="xyz", options={}, cmap=cmap, vmin=vmin,
                      vmax=vmax, labels=labels, height=height, background=background,
                      extra_cmds=spheres + molecule_camera(structure), link=link)


def _spheres(points: np.ndarray, *, radius: float, color: str, wireframe: bool, opacity: float
             ) -> tuple[tuple[str, tuple], ...]:
    """3Dmol ``addSphere`` commands, one per row of ``points`` (m, 3)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return tuple(("addSphere", ({"center": {"x": float(x), "y": float(y), "z": float(z)}, "radius": radius,
                                 "color": color, "wireframe": wireframe, "opacity": opacity},))
                 for x, y, z in points)


def molecule_camera(structure: "Structure") -> tuple[tuple[str, tuple], ...]:
    """3Dmol commands run after ``zoomTo()`` so a molecule is seen face on and fills the view:
    a rotation taking its flattest principal axis onto the line of sight, and, because
    ``zoomTo()`` fits at least a 5 A box, a zoom for small molecules. Every molecule view (GA
    and orbital references) uses it, so views of one molecule share their orientation."""
    positions = np.asarray(structure.positions, dtype=np.float64)
    commands: list[tuple[str, tuple]] = []
    if len(positions) >= 3:
        normal = np.linalg.svd(positions - positions.mean(axis=0), full_matrices=False)[2][-1]
        normal = normal if normal[2] >= 0 else -normal
        axis = np.cross(normal, [0.0, 0.0, 1.0])
        if np.linalg.norm(axis) > 1e-6:
            angle = float(np.degrees(np.arccos(np.clip(normal[2], -1.0, 1.0))))
            axis = axis / np.linalg.norm(axis)
            commands.append(("rotate", (round(angle, 3), {k: round(float(v), 6) for k, v in zip("xyz", axis)})))
    extent = float(np.linalg.norm(np.ptp(positions, axis=0)))
    if extent < 5.0:
        commands.append(("zoom", (round(min(5.0 / max(extent, 1.0), 2.0), 3),)))
    return tuple(commands)


def crystal_view_html(structure: "Structure", values: Sequence[float] | np.ndarray, *,
                      cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None,
                      labels: Sequence[str] | None = None, supercell: tuple[int, int, int] = (1, 1, 1),
                      highlight: Sequence[int] = (), height: int = 460, background: str = "white") -> str:
    """HTML of a 3D view of a periodic structure with its unit cell, atoms coloured by ``values``.

    The structure is written as a P1 CIF (all sites listed, in order), loaded with
    ``{doAssembly: false}`` so 3Dmol keeps the site order, coloured per site, and the cell
    drawn with ``addUnitCell()``.  ``supercell=(a, b, c)`` replicates the coloured cell
    (``replicateUnitCell``); the images keep their site's colour and hover label.

    Args:
        structure: a periodic structure whose cell has full rank.
        values: (n_atoms,) per-site values in site order.
        supercell: number of cells shown along each cell vector (1 to 4).
        highlight: atom indices ringed by a wireframe sphere (in the first cell only).
        Other arguments as in :func:`molecule_view_html`.
    """
    values = _check_values(structure, values)
    reps = tuple(int(k) for k in supercell)
    if len(reps) != 3 or not all(1 <= k <= 4 for k in reps):
        raise ValueError(f"The supercell must be three whole numbers from 1 to 4, not {supercell}.")
    cif = p1_cif(structure)
    extra: list[tuple[str, tuple]] = [("addUnitCell", ())]
    extra += _spheres(structure.positions[[int(i) for i in highlight]], radius=HIGHLIGHT_RADIUS,
                      color=HIGHLIGHT_COLOR, wireframe=True, opacity=0.8)
    if reps != (1, 1, 1):
        extra.append(("replicateUnitCell", reps))
    extra.append(("zoomTo", ()))
    return _view_html(structure, values, data=cif, fmt="cif", options={"doAssembly": False},
                      cmap=cmap, vmin=vmin, vmax=vmax, labels=labels, height=height,
                      background=background, extra_cmds=tuple(extra))


def p1_cif(structure: "Structure") -> str:
    """A minimal P1 CIF of a periodic structure: cell parameters and every site, in order.

    Raises:
        ValueError: if the cell is singular (a molecule or a slab without a third vector).
    """
    cell = np.asarray(structure.cell, dtype=np.float64)
    if abs(np.linalg.det(cell)) < 1e-6:
        raise ValueError("A crystal view needs three independent cell vectors.")
    a, b, c = np.linalg.norm(cell, axis=1)

    def angle(u: np.ndarray, v: np.ndarray) -> float:
        cos = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
        return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))

    alpha, beta, gamma = angle(cell[1], cell[2]), angle(cell[0], cell[2]), angle(cell[0], cell[1])
    frac = np.asarray(structure.positions, dtype=np.float64) @ np.linalg.inv(cell)
    lines = [
        f"data_{_safe_token(structure.formula)}",
        "_symmetry_space_group_name_H-M   'P 1'",
        "_symmetry_Int_Tables_number   1",
        f"_cell_length_a   {a:.8f}",
        f"_cell_length_b   {b:.8f}",
        f"_cell_length_c   {c:.8f}",
        f"_cell_angle_alpha   {alpha:.8f}",
        f"_cell_angle_beta   {beta:.8f}",
        f"_cell_angle_gamma   {gamma:.8f}",
        "loop_",
        " _symmetry_equiv_pos_as_xyz",
        "  'x, y, z'",
        "loop_",
        " _atom_site_label",
        " _atom_site_type_symbol",
        " _atom_site_fract_x",
        " _atom_site_fract_y",
        " _atom_site_fract_z",
        " _atom_site_occupancy",
    ]
    for i, (sym, f) in enumerate(zip(structure.symbols, frac)):
        lines.append(f"  {sym}{i + 1}  {sym}  {f[0]:.8f}  {f[1]:.8f}  {f[2]:.8f}  1")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- internals


def _check_values(structure: "Structure", values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size != structure.n_atoms:
        raise ValueError(f"Got {v.size} values for {structure.n_atoms} atoms.")
    return v


def _safe_token(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isalnum() or ch in "_-") or "structure"


def _xyz_text(structure: "Structure") -> str:
    lines = [str(structure.n_atoms), _safe_token(structure.formula)]
    for sym, (x, y, z) in zip(structure.symbols, np.asarray(structure.positions)):
        lines.append(f"{sym} {x:.6f} {y:.6f} {z:.6f}")
    return "\n".join(lines) + "\n"


def _json_for_script(obj) -> str:
    """JSON that cannot close the surrounding ``<script>`` element."""
    return json.dumps(obj).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _view_html(structure, values: np.ndarray, *, data: str, fmt: str, options: dict, cmap: str,
               vmin, vmax, labels, height: int, background: str,
               extra_cmds: tuple[tuple[str, tuple], ...], link: str | None = None) -> str:
    import py3Dmol

    lo, hi = value_range(values)
    vmin = lo if vmin is None else float(vmin)
    vmax = hi if vmax is None else float(vmax)
    colors = colors_for(values, vmin, vmax, cmap)
    labels = _check_labels(structure, atom_labels(structure.symbols, values) if labels is None else labels)

    # js="" : the CDN address is never needed, $3Dmolpromise below is already resolved
    view = py3Dmol.view(width="100%", height=f"{int(height)}px", data=data, format=fmt,
                        options=options, js="")
    view.setBackgroundColor(background)
    for i, color in enumerate(colors):
        view.setStyle({"index": i}, {"stick": {"color": color, "radius": STICK_RADIUS},
                                     "sphere": {"color": color, "scale": SPHERE_SCALE}})
    for name, args in extra_cmds:
        getattr(view, name)(*args)

    # A deterministic viewer id: the same inputs give byte-identical HTML, so Streamlit
    # does not rebuild the iframe (and reset the camera) on every rerun.
    digest = hashlib.sha1(json.dumps([data, colors, labels, fmt, options, extra_cmds,
                                      int(height), background]).encode()).hexdigest()[:16]
    return _viewer_page(view, f"scann{digest}", labels, link=link)


def _check_labels(structure: "Structure", labels) -> list[str]:
    labels = [str(s) for s in labels]
    if len(labels) != structure.n_atoms:
        raise ValueError(f"Got {len(labels)} labels for {structure.n_atoms} atoms.")
    return labels


def _viewer_page(view, uid: str, labels: list[str], setup: str = "", link: str | None = None) -> str:
    """The self-contained HTML of a py3Dmol ``view``: the vendored 3Dmol.js with an already
    resolved ``$3Dmolpromise``, the view's own HTML with its viewer renamed ``viewer_<uid>``
    (``uid`` a deterministic id), then a script that runs ``setup`` (JavaScript, with the
    viewer as ``viewer``), adds the hover ``labels`` and renders; a "Save PNG" link under the
    view downloads the current picture (``viewer.pngURI()``).

    With a ``link`` name the viewer joins the views of that name in the other frames of the page
    (same-origin iframes, met in ``window.parent.__scannLinks``): it starts from their current
    view, and a turn or zoom of any of them is applied to the others."""
    body = view._make_html().replace(f"_{view.uniqueid}", f"_{uid}")
    if link is not None:
        setup += f"""
  try {{  // views of one link name turn together; a frame that cannot reach its parent turns alone
    var hub = window.parent.__scannLinks = window.parent.__scannLinks || {{}};
    var alive = function(m) {{ try {{ return !!(m.win.frameElement && m.win.frameElement.isConnected); }}
                               catch (e) {{ return false; }} }};
    var name = {_json_for_script(link)};
    var members = hub[name] = (hub[name] || []).filter(alive);
    // a view is an array; each frame gets one of its own (setView may not accept another frame's)
    if (members.length) {{ viewer.setView(Array.from(members[0].viewer.getView())); }}
    var me = {{viewer: viewer, win: window, following: false}};
    members.push(me);
    viewer.setViewChangeCallback(function(v) {{
      if (me.following) return;
      hub[name].filter(alive).forEach(function(m) {{
        if (m === me) return;
        m.following = true;
        try {{ m.viewer.setView(m.win.Array.from(v)); }} finally {{ m.following = false; }}
      }});
    }});
  }} catch (e) {{}}"""
    hover = f"""<a id="png_{uid}" download="scann_view.png" href="#" style="font-size: 12px">Save PNG</a>
<script>
$3Dmolpromise.then(function() {{
  var viewer = viewer_{uid};{setup}
  var labels = {_json_for_script(labels)};
  var n = labels.length;
  viewer.setHoverable({{}}, true, function(atom, v) {{
    if (!atom.hoverLabel) {{
      atom.hoverLabel = v.addLabel(labels[atom.index % n], {{position: {{x: atom.x, y: atom.y, z: atom.z}},
        backgroundColor: "black", backgroundOpacity: 0.8, fontColor: "white", fontSize: 13, inFront: true}});
    }}
  }}, function(atom, v) {{
    if (atom.hoverLabel) {{ v.removeLabel(atom.hoverLabel); delete atom.hoverLabel; }}
  }});
  viewer.render();
  var save = document.getElementById("png_{uid}");
  save.onclick = function() {{ save.href = viewer.pngURI(); }};
}});
</script>"""
    head = ("<script>/* 3Dmol.js 2.5.5 (BSD-3-Clause), vendored from assets/3Dmol-min.js */\n"
            + vendored_3dmol_js()
            + "\n</script>\n<script>var $3Dmolpromise = Promise.resolve();</script>\n")
    return f'<div style="font-family: sans-serif">\n{head}{body}\n{hover}\n</div>'.replace("\r", "")
