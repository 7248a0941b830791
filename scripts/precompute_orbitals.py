"""Precompute the B3LYP orbital references of the gallery into ``assets/orbitals/<key>/``.

Default: every gallery entry except the fullerenes, at B3LYP/6-31G(2df,p) (QM9's level) with
density fitting and 48-point cubes.  ``--fullerenes`` computes only C60 / C70 / C72 at
B3LYP/6-31G with density fitting (an hour or more per cage; the SCF keeps a checkpoint under
~/.cache/scann/orbitals/checkpoints, so a stopped run resumes near its last cycle).  Each molecule's
folder holds gzip-compressed HOMO, LUMO and deformation-density cubes and ``reference.json``
(see :mod:`scann_core.references.orbitals`); the cube values are stored with 3 significant
digits (``--digits``) to keep ``assets/orbitals`` under about 10 MB.  Existing folders are
skipped unless ``--force``; ``--recompress`` only rewrites existing folders' cubes.

    OMP_NUM_THREADS=1 python scripts/precompute_orbitals.py --threads 1
    python scripts/precompute_orbitals.py --fullerenes
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scann_core.gallery import gallery_entries, load_gallery_structure  # noqa: E402
from scann_core.paths import cache_dir  # noqa: E402
from scann_core.references.orbitals import (  # noqa: E402
    SHIPPED_DIR,
    compute_orbital_reference,
    load_reference,
    reference_key,
    save_reference,
)

FULLERENES = ("C60", "C70", "C72")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fullerenes", action="store_true",
                        help="compute the fullerenes (B3LYP/6-31G) instead of the small molecules")
    parser.add_argument("--keys", nargs="*", help="only these gallery keys")
    parser.add_argument("--basis", default=None, help="default 6-31G(2df,p), or 6-31G with --fullerenes")
    parser.add_argument("--grid-points", type=int, default=None, help="default 48, or 40 with --fullerenes")
    parser.add_argument("--threads", type=int, default=None, help="PySCF OpenMP threads (default: all)")
    parser.add_argument("--max-memory-mb", type=int, default=None,
                        help="PySCF memory limit (default 4000, or 12000 with --fullerenes: the C60-C72 "
                             "density-fitting tensors need 5-7 GB, and on disk every SCF cycle rereads them)")
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR)
    parser.add_argument("--force", action="store_true", help="recompute existing folders")
    parser.add_argument("--digits", type=int, default=3, help="significant digits of the stored cube values")
    parser.add_argument("--recompress", action="store_true",
                        help="rewrite the existing folders' cubes with --digits, compute nothing")
    args = parser.parse_args(argv)

    basis = args.basis or ("6-31G" if args.fullerenes else "6-31G(2df,p)")
    grid = args.grid_points or (40 if args.fullerenes else 48)
    max_memory = args.max_memory_mb or (12000 if args.fullerenes else 4000)
    keys = [e.key for e in gallery_entries() if (e.key in FULLERENES) == args.fullerenes]
    if args.keys:
        keys = [k for k in keys if k in args.keys]
    print(f"{len(keys)} molecules at B3LYP/{basis}, {grid}^3 cubes -> {args.out}", flush=True)
    total = time.perf_counter()
    for key in keys:
        folder = args.out / key
        if args.recompress:
            if (folder / "reference.json").exists():
                save_reference(load_reference(folder), folder, significant_digits=args.digits)
                print(f"{key}: rewritten, {folder_size(folder) / 1e6:.2f} MB", flush=True)
            continue
        if (folder / "reference.json").exists() and not args.force:
            print(f"{key}: exists, skipped", flush=True)
            continue
        structure = load_gallery_structure(key)
        checkpoints = cache_dir("orbitals", "checkpoints")  # a stopped SCF resumes from its last cycle
        checkpoints.mkdir(parents=True, exist_ok=True)
        checkpoint = checkpoints / f"{reference_key(structure, basis=basis, grid_points=grid)}.chk"
        ref = compute_orbital_reference(structure, basis=basis, xc="b3lyp", density_fit=True, grid_points=grid,
                                        max_atoms=max(30, structure.n_atoms), threads=args.threads,
                                        max_memory_mb=max_memory, checkpoint=checkpoint,
                                        progress=lambda cycle, e: print(f"{key}: SCF cycle {cycle}, E = {e:.8f} Ha",
                                                                        flush=True))
        ref.record["gallery_key"] = key
        save_reference(ref, folder, significant_digits=args.digits)
        r = ref.record
        print(f"{key}: {structure.n_atoms} atoms, {r['n_basis']} basis functions, E = {r['scf_energy_ha']:.6f} Ha, "
              f"HOMO {r['homo_ev']:.3f} eV (x{r['homo_degeneracy']}), LUMO {r['lumo_ev']:.3f} eV "
              f"(x{r['lumo_degeneracy']}), SCF {r['scf_seconds']:.0f} s, cubes {r['cube_seconds']:.1f} s, "
              f"{folder_size(folder) / 1e6:.2f} MB", flush=True)
    size = folder_size(args.out) if args.out.exists() else 0
    print(f"done in {time.perf_counter() - total:.0f} s; {args.out} holds {size / 1e6:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
