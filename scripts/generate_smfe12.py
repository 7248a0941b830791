"""Generate the SmFe12 substitution dataset with CHGNet: ``assets/data/smfe12.extxyz.gz`` and
``docs/DATASHEET_SMFE12.md``.

Resumable: every finished relaxation is appended (and flushed) as one JSON line to
``<cache>/results.jsonl`` (default cache ``~/.cache/scann/smfe12``); on restart the configurations
already there (same fmax, steps and CHGNet model) are skipped. The elemental references are
cached in ``<cache>/references.json``. The outputs are written from the results file at the end
(or alone with ``--write-only``).

Run from the repository root, e.g.::

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/generate_smfe12.py --workers 2
    PYTHONPATH=. python scripts/generate_smfe12.py --limit 5 --output-dir /tmp/smfe12_trial \
        --cache /tmp/smfe12_trial/cache

The full run (about 2,000 relaxations of 26 atoms, some seconds each) takes hours.
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scann_core.data import jobs, smfe12  # noqa: E402
from scann_core.data.jobs import quiet_torch  # noqa: E402
from scann_core.data.smfe12 import (  # noqa: E402
    CHGNET_MODEL, FMAX, SUBSTITUENTS, Configuration, all_configurations, build_structure,
    formation_energy_per_atom, relax_chgnet, relax_references, sm_polymorph_energies)
from scann_core.paths import cache_dir  # noqa: E402
from scann_core.structure import Structure  # noqa: E402

DEFAULT_CACHE = cache_dir("smfe12")
DEFAULT_DATA = ROOT / "assets" / "data" / "smfe12.extxyz.gz"
DEFAULT_SHEET = ROOT / "docs" / "DATASHEET_SMFE12.md"
STEPS = 1000
SEED = 0
N_A4 = 80  # sampled a = 4 classes per substituent
N_MIXED = 25  # sampled mixed classes per pair of substituents


def _settings(fmax: float, steps: int) -> dict:
    return {"fmax_threshold": fmax, "max_steps": steps, "model": CHGNET_MODEL}


# ----------------------------------------------------------------------------- relaxations

_WORKER: dict = {}


def _init_worker(threads: int, fmax: float, steps: int) -> None:
    quiet_torch(threads)
    _WORKER.update(fmax=fmax, steps=steps)
    smfe12.chgnet_model()


def _relax_one(config: Configuration) -> dict:
    start = time.perf_counter()
    structure = build_structure(config)
    relaxed, energy, converged, final_fmax = relax_chgnet(structure, fmax=_WORKER["fmax"], steps=_WORKER["steps"])
    return {
        "config_id": config.config_id, "kind": config.kind, "a": config.a,
        "fe_sites": list(config.fe_sites), "atom_indices": list(config.atom_indices),
        "elements": list(config.elements), "sites": list(config.wyckoff), "multiplicity": config.multiplicity,
        "energy": energy, "converged": converged, "fmax": final_fmax,
        "seconds": time.perf_counter() - start,
        "numbers": relaxed.numbers.tolist(), "positions": relaxed.positions.tolist(), "cell": relaxed.cell.tolist(),
        **_settings(_WORKER["fmax"], _WORKER["steps"]),
    }


def read_results(path: Path, fmax: float, steps: int) -> dict[str, dict]:
    """Finished relaxations in the results file with these settings (a torn last line is ignored)."""
    return jobs.read_log(path, "config_id", _settings(fmax, steps))


def run_relaxations(configs: list[Configuration], results: Path, *, workers: int, threads: int, fmax: float,
                    steps: int) -> None:
    done = read_results(results, fmax, steps)
    todo = [c for c in configs if c.config_id not in done]
    print(f"{len(configs)} configurations, {len(configs) - len(todo)} already done, {len(todo)} to relax "
          f"({workers} worker(s) x {threads} thread(s)).", flush=True)
    if not todo:
        return
    started = time.perf_counter()
    with jobs.open_log(results) as handle, \
            jobs.pool_results(_relax_one, todo, workers, _init_worker, (threads, fmax, steps)) as stream:
        for k, record in enumerate(stream, 1):
            jobs.append_record(handle, record)
            rate = (time.perf_counter() - started) / k
            print(f"[{k}/{len(todo)}] {record['config_id']}: E = {record['energy']:.4f} eV, "
                  f"fmax {record['fmax']:.3f}{'' if record['converged'] else ' NOT CONVERGED'}, "
                  f"{record['seconds']:.1f} s; about {rate * (len(todo) - k) / 60:.0f} min left", flush=True)


def load_references(path: Path, *, threads: int, fmax: float, steps: int) -> dict[str, dict]:
    """Relaxed elemental references, from the cache when it was made with these settings."""
    settings = _settings(fmax, steps)
    if path.exists():
        cached = json.loads(path.read_text())
        if cached.get("settings") == settings:
            return cached["references"]
    quiet_torch(threads)
    references = relax_references(fmax=fmax, steps=steps)
    references["Sm"]["polymorphs"] = sm_polymorph_energies(fmax=fmax, steps=steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"settings": settings, "references": references}, indent=1))
    return references


# ----------------------------------------------------------------------------- outputs

def _substituents(record: dict) -> str:
    return ",".join(x for x in SUBSTITUENTS if x in record["elements"])


def write_dataset(records: list[dict], references: dict[str, dict], path: Path) -> int:
    """Write the converged relaxations as gzipped extended XYZ; returns how many were written.

    Header info per structure: config_id, kind, substituents (comma-separated), elements (one per
    substituted site), a, sites (Wyckoff labels of the substituted sites), atom_indices,
    multiplicity, energy (eV, total; ASE's reader moves it to ``atoms.get_potential_energy()``),
    energy_per_atom, formation_energy_per_atom (eV/atom), converged, fmax (eV/A).
    """
    from scann_core.io import structure_to_ase

    def structures():
        for record in records:
            if not record["converged"]:
                continue
            structure = Structure(record["numbers"], record["positions"], record["cell"], (True, True, True),
                                  record["config_id"])
            atoms = structure_to_ase(structure)
            atoms.info.update({
                "config_id": record["config_id"], "kind": record["kind"],
                "substituents": _substituents(record) or "none", "elements": ",".join(record["elements"]) or "none",
                "a": int(record["a"]), "sites": ",".join(record["sites"]) or "none",
                "atom_indices": ",".join(map(str, record["atom_indices"])) or "none",
                "multiplicity": int(record["multiplicity"]), "energy": float(record["energy"]),
                "energy_per_atom": float(record["energy"]) / structure.n_atoms,
                "formation_energy_per_atom": formation_energy_per_atom(record["energy"], structure, references),
                "converged": bool(record["converged"]), "fmax": float(record["fmax"]),
            })
            yield atoms

    return jobs.write_extxyz_gz(structures(), path)


def _tally(records: list[dict], row, column) -> tuple[dict, dict]:
    """Relaxed and converged counts of ``records``, by ``row(record)`` then ``column(record)``."""
    relaxed: dict = defaultdict(Counter)
    converged: dict = defaultdict(Counter)
    for r in records:
        relaxed[row(r)][column(r)] += 1
        converged[row(r)][column(r)] += int(r["converged"])
    return relaxed, converged


def write_datasheet(configs: list[Configuration], records: list[dict], references: dict[str, dict], path: Path,
                    data_path: Path, *, fmax: float, steps: int, n_written: int) -> None:
    """Write the datasheet with counts taken from the results (not from the plan)."""
    planned = len(configs)
    n_done = len(records)
    converged = [r for r in records if r["converged"]]
    failed = [r for r in records if not r["converged"]]
    seconds = np.array([r["seconds"] for r in records]) if records else np.zeros(1)
    ef = {r["config_id"]: formation_energy_per_atom(r["energy"], r["numbers"], references) for r in converged}
    counts_plan = smfe12.configuration_counts(4)

    lines = [
        "# Datasheet: SmFe12 substitution dataset (`" + data_path.name + "`)",
        "",
        "**The labels are CHGNet " + CHGNET_MODEL + " predictions, a machine-learned surrogate of the "
        "Materials Project's PBE(+U) DFT. They are not DFT.** Errors of CHGNet against DFT (its reported energy "
        "MAE on the MPtrj test set is about 30 meV/atom; it can be worse for unusual chemistry) carry over into every label, and a "
        "model trained on this set learns CHGNet, not DFT.",
        "",
        "## What it contains",
        "",
        f"- {n_written} relaxed structures of ThMn12-type SmFe12 (I4/mmm, No. 139) and substituted "
        "SmFe(12-a)X(a), each in the 26-atom conventional cell (Sm2 Fe(24-n) X(n), n substituted Fe "
        "atoms per cell; `a` below is n, the number of substituted Fe atoms in the 26-atom cell).",
        f"- Substituents X: {', '.join(SUBSTITUENTS)}, on the Fe sites (8f, 8i, 8j); Sm stays on 2a.",
        f"- Relaxations finished: {n_done} of {planned} planned; converged to fmax <= {fmax} eV/A: "
        f"{len(converged)}; not converged within {steps} steps: {len(failed)}. "
        "**Only converged relaxations are in the data file; the others are excluded.**",
        "- Per structure (extxyz header): `config_id` (element + atom index in the parent cell of each "
        "substituted site, e.g. `Mo02_Mo10`; `SmFe12` for the parent), `kind`, `substituents`, `elements` "
        "(one per substituted site), `a`, `sites` (Wyckoff labels of the substituted sites in the parent "
        "cell), `atom_indices`, `multiplicity` (number of symmetry-equivalent cells the configuration "
        "stands for), `energy` (total, eV; ASE's reader moves it into `atoms.get_potential_energy()`), "
        "`energy_per_atom`, `formation_energy_per_atom` (eV/atom), `converged`, `fmax` (eV/A).",
        "",
        "## How it was made",
        "",
        f"1. Parent cell: `scann_core.data.smfe12.parent_cell()`, a = {smfe12.LATTICE_A} A, "
        f"c = {smfe12.LATTICE_C} A, Sm 2a (0,0,0), Fe 8f (1/4,1/4,1/4), 8i (0.36,0,0), 8j (0.27,1/2,0) "
        "(pymatgen `Structure.from_spacegroup`). Every relaxation starts from this ideal cell with the "
        "substituents put on their sites.",
        "2. Symmetry: the 32 operations of the conventional cell (16 point operations x 2 centring "
        "translations; spglib via pymatgen), written as permutations of the 24 Fe sites.",
        "3. Configurations: every symmetry-distinct set of a = 1, 2, 3 substituted Fe sites for each X "
        "(canonical form = lexicographically smallest sorted site tuple over the 32 permutations); per X: "
        + ", ".join(f"a = {a}: {counts_plan[a]}" for a in (1, 2, 3))
        + f" classes, {sum(counts_plan[a] for a in (1, 2, 3))} in all; multiplicities sum to C(24, a). "
        f"Then, with seed {SEED}: {N_A4} of the {counts_plan[4]} a = 4 classes per X (uniform over classes, "
        f"without replacement), and {N_MIXED} distinct mixed classes for each of the 21 pairs of different "
        "substituents (patterns XY, XXY, XYY in turn, random sites, de-duplicated by canonical form). "
        "The pure parent cell is included once.",
        f"4. Relaxation: CHGNet {CHGNET_MODEL} (`chgnet` {jobs.package_version('chgnet')}, weights shipped in the "
        f"wheel, CPU), ASE {jobs.package_version('ase')} FIRE on a FrechetCellFilter (positions and cell free), "
        f"fmax = {fmax} eV/A on the filter's generalised forces (atomic forces and cell gradient), at most {steps} "
        "steps. CHGNet takes no magnetic moments as input; magnetism enters only through its training data.",
        "5. Formation energy per atom: E_f = (E - sum_el n_el mu_el) / N with mu_el the CHGNet energy "
        "per atom of the relaxed elemental reference below (negative = lower in energy than the elements).",
        f"6. Script: `scripts/generate_smfe12.py` (resumable; results cached one JSON line per structure). "
        f"Wall time per relaxation: median {np.median(seconds):.1f} s, mean {seconds.mean():.1f} s "
        f"(max {seconds.max():.1f} s), per worker process.",
        "",
        "## Elemental references (CHGNet, relaxed with the same settings)",
        "",
    ]
    lines += jobs.markdown_table(["element", "state", "atoms in cell", "energy (eV/atom)", "volume (A^3/atom)",
                                  "converged"],
                                 [[el, ref["state"], ref["n_atoms"], f"{ref['energy_per_atom']:.4f}",
                                   f"{ref['volume_per_atom']:.2f}", "yes" if ref["converged"] else "NO"]
                                  for el, ref in references.items()])
    polymorphs = references.get("Sm", {}).get("polymorphs", {})
    lines += ["", "Sm: the dhcp structure is the reference (the room-temperature ground state alpha-Sm is the "
              "9-layer Sm-type, R-3m)."]
    if polymorphs:
        dhcp = polymorphs.get("dhcp", references["Sm"]["energy_per_atom"])
        lines[-1] += " CHGNet energies of the Sm polymorphs relative to dhcp: " + ", ".join(
            f"{name} {(e - dhcp) * 1000:+.2f} meV/atom" for name, e in polymorphs.items()) + "."
    lines.append("")

    # single-substituent counts per (X, a, sites)
    single = [r for r in records if r["kind"] in ("enumerated", "sampled")]
    by_key, ok_key = _tally(single, lambda r: (r["a"], ",".join(sorted(r["sites"]))), lambda r: r["elements"][0])
    lines += ["## Single-substituent configurations: converged / relaxed, per (a, sites, X)", ""]
    if by_key:
        rows = []
        for key in sorted(by_key):
            rows.append([key[0], key[1]] + [f"{ok_key[key][x]}/{by_key[key][x]}" if by_key[key][x] else "-"
                                            for x in SUBSTITUENTS])
        totals = ["all", ""] + [f"{sum(ok_key[k][x] for k in by_key)}/{sum(by_key[k][x] for k in by_key)}"
                                for x in SUBSTITUENTS]
        lines += jobs.markdown_table(["a", "sites"] + list(SUBSTITUENTS), rows + [totals])
    else:
        lines.append("(none relaxed yet)")
    lines.append("")

    mixed = [r for r in records if r["kind"] == "mixed"]
    lines += ["## Mixed-substituent configurations: converged / relaxed, per pair and a", ""]
    if mixed:
        pairs, pairs_ok = _tally(mixed, _substituents, lambda r: r["a"])
        a_values = sorted({r["a"] for r in mixed})
        lines += jobs.markdown_table(["pair"] + [f"a = {a}" for a in a_values],
                                     [[p] + [f"{pairs_ok[p][a]}/{pairs[p][a]}" for a in a_values]
                                      for p in sorted(pairs)])
    else:
        lines.append("(none relaxed yet)")
    lines.append("")

    parent = [r for r in records if r["kind"] == "parent"]
    lines += ["## Summary of the labels", ""]
    if parent:
        r = parent[0]
        lattice = np.linalg.norm(np.array(r["cell"]), axis=1)
        lines.append(f"- Parent SmFe12: E = {r['energy']:.4f} eV per 26-atom cell, E_f = "
                     f"{ef.get(r['config_id'], float('nan')) * 1000:.1f} meV/atom, relaxed a = {lattice[0]:.3f} A, "
                     f"c = {lattice[2]:.3f} A.")
    rows = []
    for x in SUBSTITUENTS:
        values = [ef[r["config_id"]] for r in single if r["converged"] and r["elements"][0] == x]
        if values:
            rows.append([x, len(values), f"{min(values) * 1000:.1f}", f"{np.mean(values) * 1000:.1f}",
                         f"{max(values) * 1000:.1f}"])
    if rows:
        lines += ["", *jobs.markdown_table(["X", "structures", "min E_f (meV/atom)", "mean E_f", "max E_f"], rows)]
    lines.append("")
    if failed:
        shown = ", ".join(f"`{r['config_id']}` ({r['fmax']:.3f})" for r in failed[:60])
        more = f" and {len(failed) - 60} more" if len(failed) > 60 else ""
        lines += ["## Excluded (not converged; final fmax in eV/A)", "", shown + more, ""]
    lines += ["## Licence and reuse", "",
              "Generated by the script above from the parent cell built in code; no external structure data. "
              "CHGNet (BSD-3-Clause) and its pretrained weights are by Deng et al., Nat. Mach. Intell. 5, "
              "1031 (2023).", ""]
    jobs.write_lines(path, lines)


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = jobs.argument_parser(
        __doc__, DEFAULT_CACHE, limit_help="only the first N configurations (a trial)",
        workers_help="parallel worker processes",
        output_help="write smfe12.extxyz.gz and DATASHEET_SMFE12.md here instead of assets/data and docs",
        write_only_help="only write the outputs from the results file")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument("--fmax", type=float, default=FMAX)
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)

    configs = all_configurations(n_a4=N_A4, n_mixed=N_MIXED, seed=SEED)
    if args.limit is not None:
        configs = configs[:args.limit]
    results = args.cache / "results.jsonl"
    references = load_references(args.cache / "references.json", threads=args.threads, fmax=args.fmax,
                                 steps=args.steps)
    if not args.write_only:
        run_relaxations(configs, results, workers=args.workers, threads=args.threads, fmax=args.fmax,
                        steps=args.steps)
    done = read_results(results, args.fmax, args.steps)
    records = [done[c.config_id] for c in configs if c.config_id in done]
    data_path, sheet_path = (jobs.output_path(args.output_dir, p) for p in (DEFAULT_DATA, DEFAULT_SHEET))
    n_written = write_dataset(records, references, data_path)
    write_datasheet(configs, records, references, sheet_path, data_path, fmax=args.fmax, steps=args.steps,
                    n_written=n_written)
    print(f"wrote {n_written} structures to {data_path} and the datasheet to {sheet_path}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
