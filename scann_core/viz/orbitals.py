"""Self-contained 3Dmol.js HTML of a molecule with the two-phase isosurface of a cube file.

Like :mod:`.viewer`, the vendored 3Dmol.js goes inline before py3Dmol's HTML together with an
already resolved ``$3Dmolpromise``, so nothing is fetched.  The molecule is drawn from the
structure (XYZ, angstrom, element colours); the cube (Gaussian format, bohr, same frame, as
written by :mod:`scann_core.references.orbitals`) is added twice with
``addVolumetricData(cube, 'cube', {isoval: +v, ...})`` and ``{isoval: -v, ...}``: one
surface per sign (the two phases of an orbital, or electron gain / loss of a deformation
density).
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .viewer import (SPHERE_SCALE, STICK_RADIUS, _check_labels, _json_for_script, _viewer_page, _xyz_text,
                     molecule_camera)

if TYPE_CHECKING:  # pragma: no cover
    from scann_core.structure import Structure

__all__ = ["DEFAULT_ISOVALUES", "PHASE_COLORS", "orbital_view_html"]

# Isovalues people usually draw: orbitals in bohr^-3/2, deformation density in e/bohr^3
DEFAULT_ISOVALUES = {"homo": 0.04, "lumo": 0.04, "deformation": 0.02}
# (positive, negative) surface colours
PHASE_COLORS = {"orbital": ("#d62728", "#1f77b4"), "deformation": ("#2ca02c", "#ff7f0e")}


def orbital_view_html(structure: "Structure", cube_text: str, isovalue: float, *,
                      positive_color: str = PHASE_COLORS["orbital"][0],
                      negative_color: str = PHASE_COLORS["orbital"][1], opacity: float = 0.85,
                      labels: Sequence[str] | None = None, height: int = 460,
                      background: str = "white", link: str | None = None) -> str:
    """HTML of a sticks + spheres molecule with the +isovalue and -isovalue surfaces of a cube.

    Args:
        structure: the molecule the cube was computed for (positions in angstrom).
        cube_text: Gaussian cube-file text (coordinates in bohr, the structure's frame).
        isovalue: positive number; surfaces are drawn at ``+isovalue`` and ``-isovalue``.
        positive_color, negative_color: colours of the two surfaces.
        opacity: surface opacity (0 to 1).
        labels: (n_atoms,) hover texts; default ``'O 1'`` (element, 1-based index).
        height: viewer height in pixels (the width fills the frame).
        link: views with the same name turn together (the GA view beside this one).

    Returns:
        A self-contained HTML fragment (inline 3Dmol.js, no external script).

    Raises:
        ValueError: for a non-positive isovalue, an opacity outside [0, 1], or wrong labels.
    """
    import py3Dmol

    v = float(isovalue)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"The isovalue must be a positive number, not {isovalue}.")
    if not 0.0 <= float(opacity) <= 1.0:
        raise ValueError(f"The opacity must be between 0 and 1, not {opacity}.")
    if labels is None:
        labels = [f"{s} {i + 1}" for i, s in enumerate(structure.symbols)]
    labels = _check_labels(structure, labels)

    xyz = _xyz_text(structure)
    view = py3Dmol.view(width="100%", height=f"{int(height)}px", data=xyz, format="xyz", js="")
    view.setBackgroundColor(background)
    view.setStyle({}, {"stick": {"radius": STICK_RADIUS, "colorscheme": "Jmol"},
                       "sphere": {"scale": SPHERE_SCALE, "colorscheme": "Jmol"}})
    view.zoomTo()
    for command, args in molecule_camera(structure):  # the same orientation as the GA view
        getattr(view, command)(*args)

    digest = hashlib.sha1(json.dumps([xyz, hashlib.sha1(cube_text.encode()).hexdigest(), v, positive_color,
                                      negative_color, float(opacity), labels, int(height),
                                      background]).encode()).hexdigest()[:16]
    surfaces = [{"isoval": iso, "color": str(color), "opacity": float(opacity)}
                for iso, color in ((v, positive_color), (-v, negative_color))]
    # the cube goes into the page once and is added twice, after py3Dmol's own commands
    setup = f"""
  var cube = {_json_for_script(cube_text)};
  var surfaces = {_json_for_script(surfaces)};
  viewer.addVolumetricData(cube, "cube", surfaces[0]);
  viewer.addVolumetricData(cube, "cube", surfaces[1]);"""
    return _viewer_page(view, f"scannorb{digest}", labels, setup, link=link)
