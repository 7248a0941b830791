"""B3LYP orbital references (scann_core.references) and their 3D view (scann_core.viz.orbitals).

Two small SCF runs (water at QM9's level, methane at STO-3G), each once per module, 1 thread.
"""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from scann_core.structure import Structure

pytest.importorskip("pyscf")

from scann_core.references import (  # noqa: E402
    OrbitalReferenceError,
    cached_reference,
    compact_cube,
    compute_orbital_reference,
    load_reference,
    parse_cube_header,
    reference_key,
    save_reference,
    shipped_reference,
)
from scann_core.references import orbitals as orbitals_module  # noqa: E402

HARTREE_EV = 27.211386245988

# QM9 molecule 3 (water), its B3LYP/6-31G(2df,p) geometry in angstrom (qm9pack CSV)
WATER_QM9 = Structure([8, 1, 1], [[-0.0343604951, 0.9775395708, 0.0076015923],
                                  [0.0647664923, 0.0205721989, 0.0015346341],
                                  [0.8717903737, 1.3007924048, 0.0006931336]], name="water")
# Obtained once with this module (PySCF 2.14.0): compute_orbital_reference(WATER_QM9, threads=1,
# grid_points=16), i.e. RB3LYP/6-31G(2df,p), density fitting, PySCF's default grid (level 3).
WATER_SCF_ENERGY = -76.42121203205903  # Ha
# QM9's own values for this molecule (Gaussian 09, B3LYP/6-31G(2df,p)): HOMO -0.2928 Ha; the
# electronic energy U0 - ZPVE = -76.404702 - 0.021375 = -76.426077 Ha (Gaussian uses Cartesian
# d functions for 6-31G(2df,p), PySCF spherical ones: a few mHa apart).
QM9_WATER_HOMO_HA = -0.2928
QM9_WATER_ELECTRONIC_HA = -76.426077

# Exact Td methane (C-H 1.091 A)
METHANE = Structure([6, 1, 1, 1, 1], [[0, 0, 0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63],
                                     [-0.63, 0.63, -0.63], [0.63, -0.63, -0.63]], name="methane")


@pytest.fixture(scope="module")
def water_ref():
    return compute_orbital_reference(WATER_QM9, threads=1, grid_points=16)


@pytest.fixture(scope="module")
def methane_ref():
    return compute_orbital_reference(METHANE, basis="sto-3g", threads=1, grid_points=12)


# ----------------------------------------------------------------------------- numbers

def test_checkpoint_resumes_the_scf(tmp_path, methane_ref):
    checkpoint = tmp_path / "methane.chk"
    first = compute_orbital_reference(METHANE, basis="sto-3g", threads=1, grid_points=12, checkpoint=checkpoint)
    assert checkpoint.exists()
    again = compute_orbital_reference(METHANE, basis="sto-3g", threads=1, grid_points=12, checkpoint=checkpoint)
    assert again.record["scf_cycles"] < first.record["scf_cycles"] == methane_ref.record["scf_cycles"]
    assert again.record["scf_energy_ha"] == pytest.approx(methane_ref.record["scf_energy_ha"], abs=1e-8)
    assert again.record["resumed_from_checkpoint"] and not first.record["resumed_from_checkpoint"]


def test_water_scf_energy_matches_committed_value(water_ref):
    rec = water_ref.record
    assert rec["converged"]
    assert rec["scf_energy_ha"] == pytest.approx(WATER_SCF_ENERGY, abs=1e-3)
    assert rec["scf_energy_ha"] == pytest.approx(QM9_WATER_ELECTRONIC_HA, abs=1e-2)
    assert rec["method"] == "RB3LYP/6-31G(2df,p) (density fitting)"
    assert rec["basis"] == "6-31G(2df,p)" and rec["n_basis"] == 36 and rec["n_electrons"] == 10


def test_water_orbital_energies_are_physical(water_ref):
    rec = water_ref.record
    # B3LYP puts water's HOMO (1b1 lone pair) near -8 eV (the experimental IP is 12.6 eV)
    assert -8.5 < rec["homo_ev"] < -7.5
    assert rec["homo_ev"] / HARTREE_EV == pytest.approx(QM9_WATER_HOMO_HA, abs=2e-3)
    assert rec["lumo_ev"] > rec["homo_ev"]
    assert rec["gap_ev"] == pytest.approx(rec["lumo_ev"] - rec["homo_ev"])
    assert rec["homo_degeneracy"] == rec["lumo_degeneracy"] == 1
    # the HOMO is the oxygen p lone pair, the symmetric H get the same weight
    w = water_ref.homo_weights
    assert w[0] > 0.9 and w[1] == pytest.approx(w[2], abs=1e-3)


def test_weights_sum_to_one(water_ref, methane_ref):
    for ref in (water_ref, methane_ref):
        for level in ("homo", "lumo"):
            w = ref.weights(level)
            assert w.shape == (ref.n_atoms,) and (w >= 0).all()
            assert w.sum() == pytest.approx(1.0, abs=1e-12)


def test_degenerate_homo_is_summed_over_the_level(methane_ref):
    rec = methane_ref.record
    assert rec["homo_degeneracy"] == 3  # t2 in Td
    w = methane_ref.homo_weights
    np.testing.assert_allclose(w[1:], w[1], atol=1e-6)  # four equal H, however the solver rotated the t2 set
    assert w[0] > w[1]


def test_lowdin_weights_of_one_orbital_are_populations():
    # two orthonormal AOs (S = 1) on two atoms: the weight is the squared coefficient
    from scann_core.references import lowdin_level_weights

    w = lowdin_level_weights(np.eye(2), np.array([0.6, 0.8]), np.array([0, 1]), 2)
    np.testing.assert_allclose(w, [0.36, 0.64])
    # a level of two orbitals: summed, then normalised
    c = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(lowdin_level_weights(np.eye(2), c, np.array([0, 1]), 2), [0.5, 0.5])


# ----------------------------------------------------------------------------- cubes


def test_cube_text_parses(water_ref):
    for kind in ("homo", "lumo", "deformation"):
        head = parse_cube_header(water_ref.cubes[kind])
        assert head["n_atoms"] == 3 and head["numbers"] == [8, 1, 1]
        assert head["shape"] == [16, 16, 16] and head["n_values"] == 16 ** 3
        bohr = np.asarray(head["positions_bohr"]) * 0.529177210903
        np.testing.assert_allclose(bohr, WATER_QM9.positions, atol=1e-5)
    assert "HOMO (MO 5" in water_ref.homo_cube.split("\n")[1]


def test_deformation_density_integrates_to_zero(water_ref):
    cube = water_ref.deformation_cube
    head = parse_cube_header(cube)
    values = np.array(" ".join(cube.split("\n")[6 + head["n_atoms"]:]).split(), dtype=float)
    volume = abs(np.linalg.det(np.asarray(head["axes"])))
    # the promolecule has the same number of electrons; a coarse grid sees only roughly zero
    assert abs(values.sum() * volume) < 1.0
    assert values.max() > 0 and values.min() < 0


def test_compact_cube_keeps_layout_and_values(water_ref):
    small = compact_cube(water_ref.homo_cube, 3)
    assert parse_cube_header(small) == parse_cube_header(water_ref.homo_cube)
    n = 6 + 3
    a = np.array(" ".join(water_ref.homo_cube.split("\n")[n:]).split(), dtype=float)
    b = np.array(" ".join(small.split("\n")[n:]).split(), dtype=float)
    np.testing.assert_allclose(b, a, rtol=5e-3, atol=1e-12)
    assert len(small) < len(water_ref.homo_cube)


# ----------------------------------------------------------------------------- refusals


def test_too_many_atoms_is_refused():
    big = Structure([6] * 31, np.arange(93, dtype=float).reshape(31, 3) * 1.5, name="chain")
    with pytest.raises(OrbitalReferenceError, match="31 atoms is more than the limit of 30"):
        compute_orbital_reference(big)
    assert issubclass(OrbitalReferenceError, ValueError)


def test_open_shell_missing_basis_and_crystal_are_refused():
    methyl = Structure([6, 1, 1, 1], METHANE.positions[:4], name="methyl")
    with pytest.raises(OrbitalReferenceError, match="odd number"):
        compute_orbital_reference(methyl)
    iodide = Structure([53, 1], [[0, 0, 0], [0, 0, 1.6]], name="HI")
    with pytest.raises(OrbitalReferenceError, match="has no functions for I"):
        compute_orbital_reference(iodide)
    crystal = Structure([26], [[0, 0, 0]], np.eye(3) * 2.87, (True, True, True), "Fe")
    with pytest.raises(OrbitalReferenceError, match="molecules, not periodic"):
        compute_orbital_reference(crystal)


# ----------------------------------------------------------------------------- storage and caches


def test_save_load_roundtrip(water_ref, tmp_path):
    folder = save_reference(water_ref, tmp_path / "water")
    assert sorted(p.name for p in folder.iterdir()) == ["deformation.cube.gz", "homo.cube.gz", "lumo.cube.gz",
                                                         "reference.json"]
    assert gzip.decompress((folder / "homo.cube.gz").read_bytes()).decode() == water_ref.homo_cube
    back = load_reference(folder)
    assert back.record == json.loads(json.dumps(water_ref.record))
    assert back.cubes == water_ref.cubes
    assert back.matches(WATER_QM9) and not back.matches(METHANE)
    assert not back.matches(WATER_QM9.with_positions(WATER_QM9.positions + 0.01))


def test_cache_is_keyed_by_geometry_and_method(water_ref, tmp_path, monkeypatch):
    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    calls = []

    def fake_compute(structure, **kwargs):
        calls.append(kwargs)
        return water_ref

    monkeypatch.setattr(orbitals_module, "compute_orbital_reference", fake_compute)
    assert cached_reference(WATER_QM9, compute=False) is None
    first = cached_reference(WATER_QM9, threads=1)
    assert len(calls) == 1 and (tmp_path / "orbitals" / reference_key(WATER_QM9) / "reference.json").exists()
    nudged = WATER_QM9.with_positions(WATER_QM9.positions + 1e-7)  # far below the 1e-4 A rounding
    second = cached_reference(nudged)
    assert len(calls) == 1 and second.record == first.record
    assert reference_key(WATER_QM9, basis="sto-3g") != reference_key(WATER_QM9)
    assert reference_key(WATER_QM9.with_positions(WATER_QM9.positions + 1e-3)) != reference_key(WATER_QM9)


def test_background_job_reports_scf_progress_and_is_shared(tmp_path, monkeypatch):
    from scann_core.references.background import ReferenceJobs

    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    jobs = ReferenceJobs()
    assert jobs.get(METHANE, "sto-3g") is None
    job = jobs.submit(METHANE, basis="sto-3g", grid_points=12, threads=1)
    assert jobs.submit(METHANE, basis="sto-3g") is job  # asked again: the same job, not a second run
    ref = job.future.result(timeout=120)
    assert job.state == "done" and job.result() is ref and job.error() is None
    direct = compute_orbital_reference(METHANE, basis="sto-3g", threads=1, grid_points=12)
    assert ref.record["scf_energy_ha"] == pytest.approx(direct.record["scf_energy_ha"], abs=1e-8)
    assert job.cycle == ref.record["scf_cycles"] and job.energy_ha == pytest.approx(ref.record["scf_energy_ha"])
    assert "done after" in job.describe()
    assert cached_reference(METHANE, compute=False, basis="sto-3g", grid_points=12) is not None  # on disk
    assert jobs.get(METHANE, "6-31G") is None  # another basis is another job


def test_background_job_refuses_bad_input_at_once_and_reports_failures(tmp_path, monkeypatch):
    from scann_core.references.background import ReferenceJobs

    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    jobs = ReferenceJobs()
    methyl = Structure([6, 1, 1, 1], METHANE.positions[:4], name="methyl")
    with pytest.raises(OrbitalReferenceError, match="odd number"):
        jobs.submit(methyl)
    assert jobs.get(methyl) is None

    def failing(structure, **kwargs):
        raise OrbitalReferenceError("methane: the B3LYP SCF did not converge.")

    monkeypatch.setattr(orbitals_module, "compute_orbital_reference", failing)
    job = jobs.submit(METHANE, basis="sto-3g")
    with pytest.raises(OrbitalReferenceError):
        job.future.result(timeout=30)
    assert job.state == "failed" and "did not converge" in str(job.error()) and job.result() is None
    monkeypatch.undo()
    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    retry = jobs.submit(METHANE, basis="sto-3g", grid_points=12, threads=1)  # a failed job can be retried
    assert retry is not job and retry.future.result(timeout=120) is not None


def test_shipped_references_cover_the_small_gallery():
    from scann_core.gallery import gallery_entries, load_gallery_structure
    from scann_core.references import SHIPPED_DIR

    small = [e for e in gallery_entries() if e.key not in ("C60", "C70", "C72")]
    assert small
    for entry in small:
        structure = load_gallery_structure(entry.key)
        ref = shipped_reference(structure)
        assert ref is not None, entry.key
        assert ref.record["gallery_key"] == entry.key
        assert ref.record["basis"] == "6-31G(2df,p)" and ref.record["density_fit"]
        assert ref.homo_weights.sum() == pytest.approx(1.0)
        assert parse_cube_header(ref.homo_cube)["n_atoms"] == structure.n_atoms
    size = sum(p.stat().st_size for p in SHIPPED_DIR.rglob("*") if p.is_file())
    assert size < 10e6
    assert shipped_reference(METHANE) is None


def test_shipped_fullerene_orbital_weights_respect_the_cage_symmetry():
    """A degenerate level summed whole is invariant under the point group, so its per-atom weight
    is equal on symmetry-equivalent atoms (to the SCF and grid accuracy), and different between
    classes where the cage has more than one (C70: five classes)."""
    from scann_core.gallery import load_gallery_structure
    from scann_core.symmetry import class_spread, equivalent_atoms

    for key in ("C60", "C70", "C72"):
        structure = load_gallery_structure(key)
        ref = shipped_reference(structure)
        assert ref is not None, key
        assert ref.record["basis"] == "6-31G" and ref.record["converged"]
        _, classes = equivalent_atoms(structure)
        for weights in (ref.homo_weights, ref.lumo_weights):
            spread = class_spread(weights, classes)
            assert spread["within"] < 0.005, key
            assert len(classes) == 1 or spread["between"] > 0.5, key


# ----------------------------------------------------------------------------- 3D view


def test_orbital_view_html_is_offline_and_two_phase(water_ref):
    from scann_core.viz.orbitals import orbital_view_html

    html = orbital_view_html(WATER_QM9, water_ref.homo_cube, 0.03, positive_color="#ff0000",
                             negative_color="#0000ff")
    body = html.split("</script>", 1)[1]  # after the inline 3Dmol.js
    assert body.count("addVolumetricData(cube") == 2 and body.count("Orbital value in real space") == 1
    assert '{"isoval": 0.03, "color": "#ff0000"' in body and '{"isoval": -0.03, "color": "#0000ff"' in body
    assert "https://" not in body  # nothing fetched
    assert html == orbital_view_html(WATER_QM9, water_ref.homo_cube, 0.03, positive_color="#ff0000",
                                     negative_color="#0000ff")  # deterministic: no iframe rebuilds
    with pytest.raises(ValueError, match="positive"):
        orbital_view_html(WATER_QM9, water_ref.homo_cube, 0.0)


def test_basis_sensitivity_script_compares_cheaper_bases_with_the_shipped_reference(capsys):
    """scripts/basis_sensitivity.py on acetaldehyde alone (the only gallery molecule of at most 7 atoms)."""
    from conftest import load_script

    assert load_script("basis_sensitivity").main(["--max-atoms", "7"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith(("| 6-31G*", "| 6-31G |", "| STO-3G"))]
    assert len(rows) == 3 and "Acetaldehyde" in text
    homo_rho = [float(row.split("|")[2].split()[0]) for row in rows]
    assert all(-1 <= rho <= 1 for rho in homo_rho)
    assert homo_rho[0] > 0.5  # 6-31G* ranks acetaldehyde's HOMO weights much like 6-31G(2df,p)


def test_orbital_agreement_script_on_a_qm9_sample_in_a_cheap_basis(capsys, tmp_path, monkeypatch):
    """scripts/orbital_agreement.py --sample qm9: two test molecules, STO-3G references cached under
    $SCANN_CACHE, one Spearman row per molecule for the shipped HOMO model, and a second run reads
    the cache instead of recomputing."""
    import pandas as pd
    from conftest import load_script

    monkeypatch.setenv("SCANN_CACHE", str(tmp_path))
    script = load_script("orbital_agreement")
    args = ["--sample", "qm9", "--n", "2", "--basis", "STO-3G", "--threads", "1"]
    assert script.main([*args, "--summary", str(tmp_path / "summary.csv")]) == 0
    text = capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "summary.csv").set_index("model")
    assert summary.loc["qm9_homo", "molecules"] == 2 and summary.loc["qm9_homo", "basis"] == "STO-3G"
    assert f"mean Spearman {summary.loc['qm9_homo', 'mean_spearman']:.2f}" in text.split("## qm9_homo")[1]
    assert "B3LYP/STO-3G references" in text and "--basis STO-3G" in text
    section = text.split("## qm9_homo")[1].split("## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| molecule")]
    assert len(rows) == 2 and all(-1 <= float(row.split("|")[3]) <= 1 for row in rows)
    cage_model = text.split("## fullerene_homo")[1].split("## ")[0]  # cannot read QM9 molecules: no empty table
    assert "| molecule" not in cage_model and "None of the 2 molecules can be predicted" in cage_model
    assert "fullerene_homo" not in summary.index
    cached = sorted(p.name for p in (tmp_path / "orbitals").iterdir())
    assert len(cached) == 2
    assert script.main(args) == 0 and capsys.readouterr().out == text  # same table from the cache
    assert script.main([*args, "--models", "qm9_homo"]) == 0  # one model asked for: only its section
    assert capsys.readouterr().out.count("\n## ") == 1
    assert sorted(p.name for p in (tmp_path / "orbitals").iterdir()) == cached
