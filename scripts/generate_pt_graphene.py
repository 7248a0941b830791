"""Generate the Pt-on-graphene deformation dataset with CHGNet MD: ``assets/data/pt_graphene.extxyz.gz``
and ``docs/DATASHEET_PT_GRAPHENE.md``.

Resumable: every relaxed adsorption configuration is appended (and flushed) as one JSON line to
``<cache>/configs.jsonl`` and every finished trajectory, with all its labelled snapshots, to
``<cache>/trajectories.jsonl`` (default cache ``~/.cache/scann/pt_graphene``); on restart what is
there (same settings) is skipped. An interrupted trajectory is rerun from its start (same seed).
The outputs are written from the cache at the end (or alone with ``--write-only``).

Run from the repository root, e.g.::

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/generate_pt_graphene.py --workers 2
    PYTHONPATH=. python scripts/generate_pt_graphene.py --limit 3 --output-dir /tmp/pt --cache /tmp/pt/cache

The full run (9 configurations, 54 trajectories of 370 MD steps, 1,512 snapshots) takes hours.
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scann_core.data import jobs  # noqa: E402
from scann_core.data import pt_graphene as pg  # noqa: E402
from scann_core.data.jobs import quiet_torch  # noqa: E402
from scann_core.data.smfe12 import CHGNET_MODEL  # noqa: E402
from scann_core.paths import cache_dir  # noqa: E402
from scann_core.references import deformation as dref  # noqa: E402
from scann_core.structure import Structure  # noqa: E402

DEFAULT_CACHE = cache_dir("pt_graphene")
DEFAULT_DATA = ROOT / "assets" / "data" / "pt_graphene.extxyz.gz"
DEFAULT_SHEET = ROOT / "docs" / "DATASHEET_PT_GRAPHENE.md"
SETTINGS = {"model": CHGNET_MODEL, "lattice_a": pg.LATTICE_A, "c": pg.C_LENGTH, "repeats": pg.REPEATS,
            "relax_fmax": pg.RELAX_FMAX, "timestep_fs": pg.TIMESTEP_FS, "friction_per_fs": pg.FRICTION_PER_FS,
            "equilibration": pg.EQUILIBRATION_STEPS, "interval": pg.SNAPSHOT_INTERVAL}


# ----------------------------------------------------------------------------- cache

def read_jsonl(path: Path, key: str) -> dict[str, dict]:
    """Records with these settings, by ``key`` (a torn last line is ignored; later records win)."""
    return jobs.read_log(path, key, {"settings": SETTINGS})


# ----------------------------------------------------------------------------- work

def relax_config(cluster: str) -> dict:
    """Relax one adsorption configuration at fixed cell; its static sheet deformation energy too."""
    started = time.perf_counter()
    relaxed, energy, converged = pg.relax_positions(pg.adsorbed_system(cluster))
    static = pg.deformation_energy(pg.carbon_sheet(relaxed))
    pt = pg.pt_positions(relaxed)
    return {"cluster": cluster, "n_pt": pg.CLUSTERS[cluster][0], "energy": energy, "converged": converged,
            "static_deformation_energy": static,
            "pt_height": float(pt[:, 2].min() - relaxed.positions[relaxed.numbers == 6, 2].mean()),
            "seconds": time.perf_counter() - started, "numbers": relaxed.numbers.tolist(),
            "positions": relaxed.positions.tolist(), "cell": relaxed.cell.tolist(), "settings": SETTINGS}


def config_structure(record: dict) -> Structure:
    return Structure(record["numbers"], record["positions"], record["cell"], (True, True, True), record["cluster"])


def run_trajectory(config: dict, trajectory: pg.Trajectory, n_snapshots: int) -> dict:
    """MD of one trajectory, then the labels of its snapshots in one CHGNet batch."""
    started = time.perf_counter()
    start = config_structure(config)
    snapshots = list(pg.run_md(start, trajectory.temperature, trajectory.rng_seed, snapshots=n_snapshots))
    md_seconds = time.perf_counter() - started
    sheets = [pg.carbon_sheet(start.with_positions(p)) for p in snapshots]
    energies, sites = pg.sheet_energies(sheets)
    flat_energy, flat_sites = pg.flat_sheet_energy()
    return {
        "traj_id": trajectory.traj_id, "cluster": trajectory.cluster, "temperature": trajectory.temperature,
        "seed": trajectory.seed, "n_pt": trajectory.n_pt,
        "snapshots": [{"index": k, "step": pg.EQUILIBRATION_STEPS + k * pg.SNAPSHOT_INTERVAL,
                       "positions": p.tolist(), "deformation_energy": float(e - flat_energy),
                       "site_energy": (s - flat_sites).tolist()}
                      for k, (p, e, s) in enumerate(zip(snapshots, energies, sites))],
        "md_seconds": md_seconds, "seconds": time.perf_counter() - started, "settings": SETTINGS,
    }


def _trajectory(task: tuple[dict, pg.Trajectory, int]) -> dict:
    config, trajectory, n_snapshots = task
    return run_trajectory(config, trajectory, n_snapshots)


def run(plan: list[tuple[pg.Trajectory, int]], cache: Path, workers: int) -> None:
    """Relax the configurations not cached yet, then run the missing trajectories; every result is
    appended to the cache as soon as it is done, so an interruption loses at most the work in flight."""
    config_file, traj_file = cache / "configs.jsonl", cache / "trajectories.jsonl"
    configs = read_jsonl(config_file, "cluster")
    done = read_jsonl(traj_file, "traj_id")
    todo = [(t, n) for t, n in plan if len(done.get(t.traj_id, {}).get("snapshots", ())) < n]
    print(f"{len(plan)} trajectories, {sum(n for _, n in plan)} snapshots planned, {sum(n for _, n in todo)} "
          f"to run ({workers} worker(s)).", flush=True)
    if not todo:
        return
    to_relax = [c for c in dict.fromkeys(t.cluster for t, _ in todo) if c not in configs]
    with jobs.open_log(config_file) as out, jobs.pool_results(relax_config, to_relax, workers, quiet_torch, (1,)) as stream:
        for config in stream:
            jobs.append_record(out, config)
            configs[config["cluster"]] = config
            print(f"{config['cluster']}: relaxed in {config['seconds']:.0f} s"
                  f"{'' if config['converged'] else ' (NOT CONVERGED)'}, static deformation energy "
                  f"{config['static_deformation_energy']:.3f} eV", flush=True)
    tasks = [(configs[t.cluster], t, n) for t, n in todo]
    started, n_done, n_todo = time.perf_counter(), 0, sum(n for _, n in todo)
    with jobs.open_log(traj_file) as out, jobs.pool_results(_trajectory, tasks, workers, quiet_torch, (1,)) as stream:
        for record in stream:
            jobs.append_record(out, record)
            n = len(record["snapshots"])
            n_done += n
            print(f"  {record['traj_id']}: {n} snapshots, {record['seconds'] / n:.1f} s per snapshot; "
                  f"{n_done}/{n_todo} in {time.perf_counter() - started:.0f} s", flush=True)


# ----------------------------------------------------------------------------- outputs

def write_dataset(configs: dict, records: list[tuple[dict, int]], splits: dict[str, str], path: Path) -> int:
    """Gzipped extended XYZ of the carbon sheets (Pt removed), one snapshot per structure."""
    from scann_core.io import structure_to_ase

    def structures():
        flat = pg.graphene_sheet()
        for record, n in records:
            start = config_structure(configs[record["cluster"]])
            for snap in record["snapshots"][:n]:
                full = start.with_positions(np.array(snap["positions"]))
                sheet = pg.carbon_sheet(full)
                refs = dref.carbon_references(sheet, flat, site_energies=False)
                atoms = structure_to_ase(sheet)
                for key in ("bond_elongation", "height", "curvature"):
                    atoms.new_array(key, refs[key])
                atoms.new_array("site_energy", np.array(snap["site_energy"]))
                atoms.info.update({
                    "config_id": f"{record['traj_id']}-{int(snap['index'])}", "traj_id": record["traj_id"], "cluster": record["cluster"], "n_pt": int(record["n_pt"]),
                    "temperature": float(record["temperature"]), "seed": int(record["seed"]),
                    "snapshot": int(snap["index"]), "time_fs": float(snap["step"] * pg.TIMESTEP_FS),
                    "deformation_energy_ev": float(snap["deformation_energy"]), "split": splits[record["traj_id"]],
                    "pt_positions": pg.pt_positions(full).ravel(), "pt_side": "+z",
                })
                yield atoms

    return jobs.write_extxyz_gz(structures(), path)


def write_datasheet(plan: list[tuple[pg.Trajectory, int]], configs: dict, records: list[tuple[dict, int]],
                    splits: dict[str, str], path: Path, data_path: Path) -> None:
    """The datasheet, with counts taken from the cache (not from the plan)."""
    snaps = [(r, s) for r, n in records for s in r["snapshots"][:n]]
    energies = np.array([s["deformation_energy"] for _, s in snaps]) if snaps else np.full(1, np.nan)
    per_snapshot = [r["seconds"] / max(1, len(r["snapshots"])) for r, _ in records] or [np.nan]
    by_split = Counter(splits[r["traj_id"]] for r, _ in snaps)
    traj_by_split = Counter(splits[r["traj_id"]] for r, _ in records)
    n_planned = sum(n for _, n in plan)
    lines = [
        f"# Datasheet: Pt on graphene sheet-deformation dataset (`{data_path.name}`)",
        "",
        f"**The labels are CHGNet {CHGNET_MODEL} energies, a machine-learned surrogate of the Materials Project's "
        "PBE(+U) DFT. They are not DFT**, and the geometries come from CHGNet molecular dynamics, not from DFT.",
        "",
        "## What it contains",
        "",
        f"- {len(snaps)} snapshots from {len(records)} MD trajectories (planned: {n_planned} snapshots, "
        f"{len(plan)} trajectories).",
        f"- Each structure is the **carbon sheet alone** ({2 * pg.REPEATS ** 2} C, Pt removed), in its deformed "
        f"snapshot geometry: a {pg.REPEATS} x {pg.REPEATS} graphene supercell, hexagonal cell "
        f"a = {pg.REPEATS} x {pg.LATTICE_A} A, c = {pg.C_LENGTH} A, **`pbc = T T F`** (periodic in-plane, a "
        "sheet; c only records the vacuum). Atom order is that of the flat sheet "
        "(`scann_core.data.pt_graphene.graphene_sheet()`). Positions are not wrapped.",
        "- Label (header `deformation_energy_ev`): E(sheet in the snapshot geometry, Pt removed) - E(flat "
        "relaxed sheet), both CHGNet, eV per 72-atom cell. It includes the thermal distortion of the whole "
        "sheet, not only the part Pt induces; the thermal part dominates (compare the static deformation "
        "energies of the relaxed configurations below with the labels per temperature).",
        "- Header info: `config_id` (`<traj_id>-<snapshot>`), `traj_id`, `cluster`, `n_pt`, `temperature` (K), `seed`, `snapshot`, `time_fs`, "
        "`split`, `pt_positions` (x y z of each Pt, A, flattened; Pt sits on the +z side: `pt_side`).",
        "- Per-atom columns (references, `scann_core.references.deformation`): `bond_elongation` (mean relative "
        "stretch of the atom's 3 bonds against the flat sheet), `height` (A, atom above the plane of its 3 "
        "neighbours, + towards Pt), `curvature` (1/A, 2h/(r^2+h^2), + convex towards Pt), `site_energy` (eV, "
        "CHGNet site energy minus that of the flat sheet; they sum to the label).",
        "",
        "## How it was made",
        "",
        f"1. Flat sheet: graphene with CHGNet's lattice constant a = {pg.LATTICE_A} A (two-atom cell relaxed "
        "with cell and positions free: `relaxed_lattice_constant()`), 6 x 6 supercell, sheet at z = c/2.",
        "2. Configurations (Pt-Pt 2.55 A to start): " + "; ".join(f"`{k}`: {v[1]}" for k, v in pg.CLUSTERS.items())
        + f". Each is relaxed at fixed cell (ASE FIRE, CHGNet forces, fmax {pg.RELAX_FMAX} eV/A, at most "
        f"{pg.RELAX_STEPS} steps).",
        f"3. MD: ASE {jobs.package_version('ase')} Langevin, CHGNet {CHGNET_MODEL} "
        f"(`chgnet` {jobs.package_version('chgnet')}) energy and forces, fixed cell, time step {pg.TIMESTEP_FS} fs, "
        f"friction {pg.FRICTION_PER_FS} 1/fs, centre of mass fixed (ASE FixCom), Maxwell-Boltzmann start "
        "velocities from the trajectory's seed; temperatures "
        f"{', '.join(f'{t:g}' for t in pg.TEMPERATURES)} K, velocity seeds {', '.join(map(str, pg.SEEDS))}. "
        f"Snapshots every {pg.SNAPSHOT_INTERVAL} steps after {pg.EQUILIBRATION_STEPS} steps of equilibration, "
        f"{pg.SNAPSHOTS} per trajectory. Consecutive snapshots of a trajectory are correlated.",
        "4. Labels: CHGNet single points of the carbon sheets (Pt removed), batched, with site energies; CHGNet "
        "is run with 3D periodicity on the same cell (22 A along c is far beyond its 6 A cutoff).",
        f"5. Wall time per snapshot (MD share plus label, per worker): median {np.median(per_snapshot):.1f} s.",
        "6. Script: `scripts/generate_pt_graphene.py` (resumable; cache of JSON lines per configuration and per "
        "trajectory).",
        "",
        "## Split (by trajectory, never by snapshot)",
        "",
        "`scann_core.data.pt_graphene.trajectory_splits`: whole trajectories, ordered by the SHA-256 of their id, "
        "go 10 % to val, 10 % to test, the rest to train. Trajectories of the same configuration at other "
        "temperatures or seeds can sit in other splits (they start from the same relaxed geometry).",
        "",
    ]
    lines += jobs.markdown_table(["split", "trajectories", "snapshots"],
                                 [[s, traj_by_split.get(s, 0), by_split.get(s, 0)] for s in ("train", "val", "test")])
    lines += ["", "## Configurations (relaxed, 0 K)", ""]
    lines += jobs.markdown_table(["configuration", "Pt", "converged", "lowest Pt above mean sheet plane (A)",
                                  "static deformation energy (eV)"],
                                 [[f"`{c}`", r["n_pt"], "yes" if r["converged"] else "no", f"{r['pt_height']:.2f}",
                                   f"{r['static_deformation_energy']:.3f}"] for c, r in configs.items()])
    lines += ["", "## Labels per temperature", ""]
    rows = []
    for t in sorted({r["temperature"] for r, _ in snaps}):
        e = np.array([s["deformation_energy"] for r, s in snaps if r["temperature"] == t])
        rows.append([f"{t:g}", len(e), f"{e.min():.3f}", f"{e.mean():.3f}", f"{e.max():.3f}"])
    lines += jobs.markdown_table(["T (K)", "snapshots", "min (eV)", "mean (eV)", "max (eV)"], rows)
    lines += ["", f"All snapshots: mean {np.mean(energies):.3f} eV, {int((energies < 0).sum()) if snaps else 0} "
              "below zero.", "", "## Per trajectory", ""]
    lines += jobs.markdown_table(["trajectory", "split", "snapshots", "mean label (eV)"],
                                 [[f"`{r['traj_id']}`", splits[r["traj_id"]], n,
                                   f"{np.mean([s['deformation_energy'] for s in r['snapshots'][:n]]):.3f}"]
                                  for r, n in records])
    lines += ["", "## Licence and reuse", "",
              "Generated by the script above from structures built in code; no external structure data. CHGNet "
              "(BSD-3-Clause) and its pretrained weights are by Deng et al., Nat. Mach. Intell. 5, 1031 (2023).", ""]
    jobs.write_lines(path, lines)


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = jobs.argument_parser(__doc__, DEFAULT_CACHE, limit_help="only the first N planned snapshots (a trial)",
                                  workers_help="parallel worker processes (one relaxation or trajectory each)")
    parser.add_argument("--clusters", nargs="*", default=None, help="only these configurations")
    args = parser.parse_args(argv)

    trajectories = pg.trajectory_plan(args.clusters or tuple(pg.CLUSTERS))
    plan, left = [], args.limit
    for trajectory in trajectories:
        n = pg.SNAPSHOTS if left is None else min(pg.SNAPSHOTS, left)
        if n <= 0:
            break
        plan.append((trajectory, n))
        left = None if left is None else left - n
    if not args.write_only:
        run(plan, args.cache, args.workers)
    quiet_torch(1)
    configs = read_jsonl(args.cache / "configs.jsonl", "cluster")
    done = read_jsonl(args.cache / "trajectories.jsonl", "traj_id")
    records = [(done[t.traj_id], n) for t, n in plan if len(done.get(t.traj_id, {}).get("snapshots", ())) >= n]
    splits = pg.trajectory_splits(t.traj_id for t in pg.trajectory_plan())
    configs = {c: configs[c] for c in dict.fromkeys(t.cluster for t, _ in plan) if c in configs}
    data_path, sheet_path = (jobs.output_path(args.output_dir, p) for p in (DEFAULT_DATA, DEFAULT_SHEET))
    n = write_dataset(configs, records, splits, data_path)
    write_datasheet(plan, configs, records, splits, sheet_path, data_path)
    print(f"wrote {n} snapshots to {data_path} and the datasheet to {sheet_path}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
