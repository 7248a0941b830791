"""Generate the fullerene HOMO/LUMO dataset with GFN2-xTB: ``assets/data/fullerenes.extxyz.gz`` and
``docs/DATASHEET_FULLERENES.md``.

Resumable: every relaxed cage is appended (and flushed) as one JSON line to ``<cache>/cages.jsonl``
and every labelled frame to ``<cache>/frames.jsonl`` (default cache ``~/.cache/scann/fullerenes``);
on restart the cages and frames already there (same settings) are skipped. The outputs are written
from the cache at the end (or alone with ``--write-only``).

Run from the repository root, e.g.::

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/generate_fullerenes.py --workers 2
    PYTHONPATH=. python scripts/generate_fullerenes.py --limit 4 --output-dir /tmp/fl --cache /tmp/fl/cache

The full run (316 cages, 1,580 frames) takes of the order of an hour on two cores.
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before tblite loads: one thread makes xTB reproducible

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scann_core.data import fullerenes as fl  # noqa: E402
from scann_core.data import jobs  # noqa: E402
from scann_core.paths import cache_dir  # noqa: E402
from scann_core.structure import Structure  # noqa: E402

DEFAULT_CACHE = cache_dir("fullerenes")
DEFAULT_DATA = ROOT / "assets" / "data" / "fullerenes.extxyz.gz"
DEFAULT_SHEET = ROOT / "docs" / "DATASHEET_FULLERENES.md"
PROBES = 4  # random probes of the force-constant estimate
SETTINGS = {"method": "GFN2-xTB", "fmax": fl.FMAX, "relax_steps": fl.RELAX_STEPS, "probes": PROBES,
            "mean_bond": fl.MEAN_BOND, "start": fl.START}


# ----------------------------------------------------------------------------- cache

def read_jsonl(path: Path, key: str) -> dict[str, dict]:
    """Records with these settings, by ``key`` (a torn last line is ignored)."""
    return jobs.read_log(path, key, {"settings": SETTINGS})


# ----------------------------------------------------------------------------- work

def relax_record(cage: fl.Cage) -> dict:
    """Relax one cage and estimate its mean force constant."""
    from scann_core.gallery import point_group

    graph = fl.cage_graph(cage)
    adjacency = fl.adjacency_matrix(graph)
    started = time.perf_counter()
    relaxed = fl.relax_cage(adjacency, cage.cage_id, start=fl.START)
    relax_seconds = time.perf_counter() - started
    k = fl.mean_force_constant(relaxed, probes=PROBES)
    return {
        "cage_id": cage.cage_id, "n_atoms": cage.n_atoms, "ipr": cage.ipr, "isomer": cage.isomer, "note": cage.note,
        "pentagon_adjacencies": fl.pentagon_adjacencies(graph), "graph_symmetry": fl.automorphism_count(graph),
        "point_group": point_group(relaxed), "bonds_intact": fl.bonds_intact(relaxed.positions, adjacency),
        "force_constant": k, "relax_seconds": relax_seconds,
        "seconds": time.perf_counter() - started, "positions": relaxed.positions.tolist(), "settings": SETTINGS,
    }


def cage_structure(record: dict) -> Structure:
    return Structure(np.full(record["n_atoms"], 6), record["positions"], name=record["cage_id"])


def frame_record(cage: dict, frame: fl.Frame) -> dict:
    started = time.perf_counter()
    relaxed = cage_structure(cage)
    positions = fl.frame_positions(relaxed, frame, cage["force_constant"])
    homo, lumo = fl.label_frame(relaxed.with_positions(positions))
    return {"frame_id": frame.frame_id, "cage_id": frame.cage_id, "temperature": frame.temperature,
            "index": frame.index, "homo_ev": homo, "lumo_ev": lumo, "seconds": time.perf_counter() - started,
            "positions": positions.tolist(), "settings": SETTINGS}


def _work(task: tuple[fl.Cage, dict | None, list[fl.Frame]]) -> tuple[dict, bool, list[dict]]:
    """One cage: relax it when not cached, then label its missing frames (none when its bond
    graph did not survive the relaxation)."""
    cage, cached, frames = task
    record = cached if cached is not None else relax_record(cage)
    if not record["bonds_intact"]:
        return record, cached is None, []
    return record, cached is None, [frame_record(record, f) for f in frames]


def run(cages: list[fl.Cage], plan: list[fl.Frame], cache: Path, workers: int) -> None:
    cage_file, frame_file = cache / "cages.jsonl", cache / "frames.jsonl"
    relaxed = read_jsonl(cage_file, "cage_id")
    done = read_jsonl(frame_file, "frame_id")
    todo_by_cage: dict[str, list[fl.Frame]] = defaultdict(list)
    for frame in plan:
        if frame.frame_id not in done:
            todo_by_cage[frame.cage_id].append(frame)
    tasks = [(c, relaxed.get(c.cage_id), todo_by_cage[c.cage_id]) for c in cages
             if todo_by_cage[c.cage_id] or c.cage_id not in relaxed]
    n_todo = sum(len(t[2]) for t in tasks)
    n_relaxed = sum(c.cage_id in relaxed for c in cages)
    print(f"{len(cages)} cages ({n_relaxed} relaxed), {len(plan)} frames planned, {len(plan) - n_todo} done, "
          f"{n_todo} to label ({workers} worker(s)).", flush=True)
    if not tasks:
        return
    started, n_frames = time.perf_counter(), 0
    with jobs.open_log(cage_file) as cages_out, jobs.open_log(frame_file) as frames_out, \
            jobs.pool_results(_work, tasks, workers) as stream:
        for record, new, frames in stream:
            if new:
                jobs.append_record(cages_out, record)
                print(f"{record['cage_id']}: relaxed in {record['relax_seconds']:.1f} s, point group "
                      f"{record['point_group']}, k = {record['force_constant']:.1f} eV/A^2"
                      f"{'' if record['bonds_intact'] else ', BOND GRAPH BROKEN: no frames'}", flush=True)
            for frame in frames:
                jobs.append_record(frames_out, frame)
            n_frames += len(frames)
            elapsed = time.perf_counter() - started
            per = np.mean([f["seconds"] for f in frames]) if frames else float("nan")
            print(f"  {record['cage_id']}: {len(frames)} frames, {per:.2f} s per frame label; "
                  f"{n_frames}/{n_todo} in {elapsed:.0f} s", flush=True)


# ----------------------------------------------------------------------------- outputs

def collect(cages: list[fl.Cage], plan: list[fl.Frame], cache: Path) -> tuple[dict, list[dict], dict[str, str]]:
    relaxed = read_jsonl(cache / "cages.jsonl", "cage_id")
    done = read_jsonl(cache / "frames.jsonl", "frame_id")
    frames = [done[f.frame_id] for f in plan
              if f.frame_id in done and f.cage_id in relaxed and relaxed[f.cage_id]["bonds_intact"]]
    splits = fl.cage_splits(c.cage_id for c in fl.cage_catalogue())  # splits of the whole catalogue
    return relaxed, frames, splits


def write_dataset(relaxed: dict, frames: list[dict], splits: dict[str, str], path: Path) -> int:
    """Gzipped extended XYZ, one frame per structure (info: see the datasheet)."""
    from scann_core.io import structure_to_ase

    def structures():
        for frame in frames:
            cage = relaxed[frame["cage_id"]]
            atoms = structure_to_ase(cage_structure(cage).with_positions(np.array(frame["positions"])))
            atoms.info.update({
                "config_id": frame["frame_id"], "cage_id": cage["cage_id"], "n_atoms": int(cage["n_atoms"]),
                "isomer": int(cage["isomer"]), "ipr": bool(cage["ipr"]),
                "pentagon_adjacencies": int(cage["pentagon_adjacencies"]), "point_group": cage["point_group"],
                "temperature": float(frame["temperature"]), "frame_index": int(frame["index"]),
                "sigma": fl.displacement_sigma(frame["temperature"], cage["force_constant"]),
                "homo_ev": float(frame["homo_ev"]), "lumo_ev": float(frame["lumo_ev"]),
                "gap_ev": float(frame["lumo_ev"] - frame["homo_ev"]), "split": splits[cage["cage_id"]],
            })
            yield atoms

    return jobs.write_extxyz_gz(structures(), path)


def write_datasheet(cages: list[fl.Cage], plan: list[fl.Frame], relaxed: dict, frames: list[dict],
                    splits: dict[str, str], path: Path, data_path: Path) -> None:
    """The datasheet, with counts taken from the cache (not from the plan)."""
    by_cage = Counter(f["cage_id"] for f in frames)
    by_split = Counter(splits[f["cage_id"]] for f in frames)
    cages_by_split = Counter(splits[c] for c in by_cage)
    seconds = np.array([f["seconds"] for f in frames]) if frames else np.full(1, np.nan)
    relax_seconds = np.array([r["relax_seconds"] for r in relaxed.values()]) if relaxed else np.full(1, np.nan)
    pinned = ", ".join(f"`{c}`" for c in fl.PINNED_TEST)
    broken = ", ".join(f"`{c}`" for c, r in relaxed.items() if not r["bonds_intact"]) or "none"
    lines = [
        f"# Datasheet: fullerene HOMO/LUMO dataset (`{data_path.name}`)",
        "",
        "**The labels are GFN2-xTB (tblite) orbital energies, not DFT.** GFN2-xTB is a semi-empirical "
        "tight-binding method; its HOMO and LUMO energies are not on the B3LYP or any DFT scale (absolute values "
        "and gaps differ by eV), and a model trained on this set learns GFN2-xTB.",
        "",
        "## What it contains",
        "",
        f"- {len(frames)} labelled geometries of {len(by_cage)} fullerene cages (planned: {len(plan)} frames of "
        f"{len(cages)} cages), all-carbon, neutral, closed shell, no periodicity (`pbc = F F F`).",
        "- Per structure (extxyz header): `config_id` (the frame id), `cage_id` (`C<n>-IPR-<k>`: k-th isomer of `buckygen -I`; "
        "`C<n>-<k>`: k-th of all isomers), `n_atoms`, `isomer` (k), `ipr`, `pentagon_adjacencies` (edges shared "
        "by two pentagons), `point_group` (of the relaxed cage, pymatgen, tolerance 0.1), `temperature` (K, "
        "effective; 0 = the relaxed cage), `frame_index`, `sigma` (A, displacement standard deviation per "
        "coordinate), `homo_ev`, `lumo_ev`, `gap_ev` (eV), `split`.",
        "",
        "## How it was made",
        "",
        f"1. Bond graphs: `buckygen` from passagemath-buckygen {jobs.package_version('passagemath-buckygen')} "
        "(`buckygen [-I] -d F`, F = n/2 + 2 faces; planar code). The isomer number is the position in "
        "buckygen's output, which is deterministic for a buckygen version but is not the Fowler-Manolopoulos "
        "spiral number. Checked: C60 has 1812 isomers (1 IPR), C70 8149 (1 IPR).",
        "2. Cages: every IPR isomer of C60, C70, C72, C74, C76 (2), C78 (5), C80 (7), C82 (9) and C84 (24); for "
        "each of C50-C72 the first non-IPR isomer with the fewest pentagon-pentagon edges (the pentagon "
        "adjacency penalty rule); C72 isomer 11190, the only non-IPR C72 whose bond graph has 24 automorphisms "
        "(it relaxes to D6d, like the IPR C72, so no classical C72 fullerene is D6h); and, for variety between "
        f"cages, {fl.SAMPLED_PER_SIZE} more non-IPR isomers of every size C50-C84 drawn (by the SHA-256 of their "
        "id) among those with at most two pentagon-pentagon edges more than the fewest "
        "(`fullerenes.sampled_isomers`).",
        f"3. Geometry: graph Laplacian eigenvectors 2-4 scaled to a {fl.MEAN_BOND} A mean bond, refined with a "
        "spring model of the bond graph (bonds 1.40 A, second neighbours 2.40 A, repulsion below 2.8 A), relaxed "
        f"with GFN2-xTB (tblite {jobs.package_version('tblite')}, ASE {jobs.package_version('ase')} BFGS, "
        f"fmax {fl.FMAX} eV/A, at most {fl.RELAX_STEPS} steps). A cage whose relaxed geometry lost its bond graph "
        "(a bond over 1.65 A or a "
        f"non-bonded pair under it) gets no frames; such cages: {broken}. Relaxation wall time per cage: median "
        f"{np.median(relax_seconds):.1f} s.",
        "4. Thermal frames (random Gaussian displacements, not molecular dynamics): each Cartesian coordinate "
        "of the relaxed cage gets an independent normal displacement of variance kB T / k (net translation "
        "removed), where k = Tr(H) / 3N is the cage's mean diagonal GFN2-xTB force constant (Hutchinson "
        f"estimate with {PROBES} random sign probes of central-difference forces, step 0.005 A). The mean "
        "harmonic energy of a frame is then 3N kB T / 2, the equipartition value, so T is an *effective* "
        "temperature: the frames carry the right strain energy on average, but without the correlations of "
        "real thermal motion (bond stretches are over-represented relative to soft cage modes). "
        f"Temperatures {', '.join(f'{t:g}' for t in fl.TEMPERATURES)} K, {fl.FRAMES_PER_TEMPERATURE} "
        f"frame{'s' if fl.FRAMES_PER_TEMPERATURE != 1 else ''} per temperature and cage, plus the relaxed cage (temperature 0); every frame has its own seed (SHA-256 of its "
        "id), so any frame can be regenerated alone.",
        "5. Labels: one GFN2-xTB single point per frame (tblite, neutral singlet); HOMO = highest occupied, "
        f"LUMO = lowest unoccupied orbital energy, in eV. Label wall time per frame: median "
        f"{np.median(seconds):.2f} s, mean {np.mean(seconds):.2f} s.",
        "6. Script: `scripts/generate_fullerenes.py` (resumable; cache of JSON lines per cage and per frame).",
        "",
        "## Split (by cage, never by frame)",
        "",
        f"`scann_core.data.fullerenes.cage_splits`: {pinned} are always in **test** (the gallery C60, C70 and "
        "C72 the app explains), so predictions and attention maps shown for them are never on training data. "
        "The other cages, ordered by the SHA-256 of their id, go to val and test "
        f"at {fl.SPLIT_FRACTIONS['val']:.0%} each and to train otherwise. All frames of a cage share its split.",
        "",
    ]
    lines += jobs.markdown_table(["split", "cages", "frames"],
                                 [[s, cages_by_split.get(s, 0), by_split.get(s, 0)] for s in ("train", "val", "test")])
    lines += ["", "## Per cage", ""]
    rows = []
    for cage in cages:
        record = relaxed.get(cage.cage_id)
        cage_frames = [f for f in frames if f["cage_id"] == cage.cage_id]
        gaps = [f["lumo_ev"] - f["homo_ev"] for f in cage_frames]
        relaxed_gap = [g for f, g in zip(cage_frames, gaps) if f["temperature"] == 0]
        rows.append([f"`{cage.cage_id}`", cage.n_atoms, "yes" if cage.ipr else "no",
                     record["pentagon_adjacencies"] if record else "", record["point_group"] if record else "",
                     f"{record['force_constant']:.1f}" if record else "", splits[cage.cage_id], len(cage_frames),
                     f"{relaxed_gap[0]:.3f}" if relaxed_gap else "",
                     f"{min(gaps):.3f} - {max(gaps):.3f}" if gaps else ""])
    lines += jobs.markdown_table(["cage", "atoms", "IPR", "pentagon adjacencies", "point group", "k (eV/A^2)", "split",
                                  "frames", "gap relaxed (eV)", "gap range (eV)"], rows)
    lines += ["", "## Licence and reuse", "",
              "Generated by the script above from bond graphs made by buckygen (Brinkmann, Goedgebeur, McKay; "
              "GPL, used as a program, not copied); no external structure data. GFN2-xTB: Bannwarth, Ehlert, "
              "Grimme, J. Chem. Theory Comput. 15, 1652 (2019); tblite (LGPL-3.0).", ""]
    jobs.write_lines(path, lines)


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = jobs.argument_parser(__doc__, DEFAULT_CACHE, limit_help="only the first N planned frames (a trial)",
                                  workers_help="parallel worker processes (one cage each)")
    parser.add_argument("--cages", nargs="*", default=None, help="only these cage ids (default: the catalogue)")
    args = parser.parse_args(argv)

    cages = fl.cage_catalogue()
    if args.cages:
        known = {c.cage_id: c for c in cages}
        cages = [known.get(cid) or fl.Cage.from_id(cid) for cid in args.cages]
    plan = fl.frame_plan(cages)
    if args.limit is not None:
        plan = plan[:args.limit]
        cages = [c for c in cages if c.cage_id in {f.cage_id for f in plan}]
    if not args.write_only:
        run(cages, plan, args.cache, args.workers)
    relaxed, frames, splits = collect(cages, plan, args.cache)
    data_path, sheet_path = (jobs.output_path(args.output_dir, p) for p in (DEFAULT_DATA, DEFAULT_SHEET))
    for cage in cages:
        splits.setdefault(cage.cage_id, fl.cage_splits([cage.cage_id])[cage.cage_id])
    n = write_dataset(relaxed, frames, splits, data_path)
    write_datasheet(cages, plan, relaxed, frames, splits, sheet_path, data_path)
    print(f"wrote {n} frames to {data_path} and the datasheet to {sheet_path}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
