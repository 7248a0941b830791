"""GA of the shipped orbital models against the per-atom weight of their DFT orbital.

Two samples: the gallery molecules with a shipped B3LYP reference (``--sample gallery``, the
default), or ``--n`` molecules of the QM9 test split drawn with ``--seed`` (``--sample qm9``; each
needs one B3LYP calculation in ``--basis``, 1-8 min on 2 cores in QM9's 6-31G(2df,p) and 10-40 s in
6-31G, cached under ~/.cache/scann, so a second run is instant). For every shipped HOMO / LUMO model and every molecule it can speak about:
Spearman rho between GA and the Lowdin weight of that orbital level (summed over a degenerate level)
and the top-3 overlap, beside what random atom scores give. Scores are first averaged over each class
of symmetry-equivalent atoms (as in the app and docs/FULLERENES.md), so that numerical noise does not
rank atoms that symmetry makes equal; a molecule whose atoms are all equivalent (C60) has no ranking
and is listed, not scored. Writes markdown to stdout, e.g.

    PYTHONPATH=. python scripts/orbital_agreement.py > docs/ORBITAL_AGREEMENT.md
    PYTHONPATH=. python scripts/orbital_agreement.py --sample qm9 --n 30 --basis 6-31G \
        --summary assets/data/orbital_agreement_qm9.csv > docs/ORBITAL_AGREEMENT_QM9.md
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

LEVELS = ("homo", "lumo")
N_RANDOM = 200


def orbital_models() -> list[str]:
    """Shipped models whose target is a HOMO or LUMO energy."""
    from scann_core.predict import Predictor, available_models

    return [name for name in available_models()
            if Predictor.load(name, device="cpu").target.name.removesuffix("_ev") in LEVELS]


def molecules(sample: str, n: int, seed: int, basis: str, threads: int | None) -> tuple[list, str]:
    """(title, structure, reference) triples and a sentence saying what the sample is; the QM9 sample's
    references are computed (or read from the cache) in ``basis`` on ``threads`` threads."""
    from scann_core.data.sources import held_out_structures
    from scann_core.gallery import gallery_entries, load_gallery_structure
    from scann_core.references import shipped_reference
    from scann_core.references.orbitals import cached_reference

    if sample == "gallery":
        out = []
        for entry in gallery_entries():
            structure = load_gallery_structure(entry.key)
            reference = shipped_reference(structure)
            if reference is not None:
                out.append((entry.title, structure, reference))
        return out, ("the gallery molecules with a shipped reference (assets/orbitals); a small, unusual sample (three of "
                     "its small molecules are not in QM9, two have only two classes of equivalent atoms): for 30 random QM9 "
                     "test molecules see docs/ORBITAL_AGREEMENT_QM9.md")
    structures, drawn = held_out_structures("qm9", n, seed)
    out = []
    for k, structure in enumerate(structures):
        print(f"reference {k + 1}/{len(structures)}: {structure.name} ({structure.n_atoms} atoms)", file=sys.stderr)
        out.append((structure.name, structure, cached_reference(structure, basis=basis, threads=threads)))
    return out, f"QM9 molecules: {drawn}; B3LYP/{basis} references computed on demand and cached"


def finite_mean_sem(values: list[float]) -> tuple[float, float, int]:
    """Mean, standard error and count of the finite values (nan where undefined)."""
    finite = np.array([v for v in values if np.isfinite(v)])
    mean = finite.mean() if len(finite) else float("nan")
    sem = finite.std(ddof=1) / np.sqrt(len(finite)) if len(finite) > 1 else float("nan")
    return mean, sem, len(finite)


def mean_and_error(values: list[float]) -> str:
    """'mean ± standard error' of the finite values, with their count when some are not."""
    mean, sem, n = finite_mean_sem(values)
    if n == 0:
        return "n/a"
    return f"{mean:.2f} ± {sem:.2f}" + (f" ({n} molecules)" if n < len(values) else "")


def main(argv: list[str] | None = None) -> int:
    from scann_core.predict import Predictor
    from scann_core.ranks import spearman, top_k_overlap
    from scann_core.references.orbitals import DEFAULT_METHOD
    from scann_core.structure import StructureError
    from scann_core.symmetry import class_averager, symmetry_classes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", choices=("gallery", "qm9"), default="gallery")
    parser.add_argument("--n", type=int, default=30, help="QM9 test molecules (--sample qm9)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--basis", default=DEFAULT_METHOD["basis"],
                        help="basis of the QM9 sample's references (docs/ORBITAL_BASIS.md: how much a cheaper one moves "
                             "the weights)")
    parser.add_argument("--threads", type=int, default=None, help="PySCF threads (default: all)")
    parser.add_argument("--models", nargs="+", default=None,
                        help="model names or checkpoint paths (default: every shipped HOMO or LUMO model)")
    parser.add_argument("--summary", default=None,
                        help="also write one CSV row per model (the Explore page reads assets/data/"
                             "orbital_agreement_qm9.csv to put a molecule's numbers in context)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    sample, what = molecules(args.sample, args.n, args.seed, args.basis, args.threads)
    # point groups once, not per model
    averages = [class_averager(symmetry_classes(structure)) for _, structure, _ in sample]
    print("# GA against the DFT frontier orbitals\n")
    print(f"Sample: {what}. Per-atom weight: Lowdin population of the B3LYP orbital level (summed over "
          f"degenerate orbitals). GA, weights and random scores are averaged over each class of "
          f"symmetry-equivalent atoms (pymatgen, 0.1 A) before ranking. Heavy atoms only: the same Spearman "
          f"without hydrogens (nan when fewer than three distinct heavy-atom weights remain), which asks whether "
          f"GA follows the orbital beyond telling hydrogens from heavy atoms. Random: mean over {N_RANDOM} random atom "
          f"scores. Generated by "
          f"`scripts/orbital_agreement.py --sample {args.sample}"
          f"{f' --n {args.n} --seed {args.seed} --basis {args.basis}' if args.sample == 'qm9' else ''}`.\n")
    summary = []
    for name in args.models or orbital_models():
        predictor = Predictor.load(name, device="cpu")
        level, card = predictor.target.name.removesuffix("_ev"), predictor.card
        mae = f"test MAE {1000 * card['test_mae']:.1f} meV" if card.get("test_mae") else "test MAE not recorded"
        print(f"## {name} ({mae}{', preliminary' if card.get('preliminary') else ''})\n")
        table = [f"| molecule | atoms | Spearman GA vs {level.upper()} weight | random | heavy atoms only | "
                 "top-3 overlap | random |", "|---|---:|---:|---:|---:|---:|---:|"]
        rhos, heavy_rhos, overlaps, outside, uniform, unreadable = [], [], [], [], [], []
        for (title, structure, reference), average in zip(sample, averages):
            try:
                out_of_domain = bool(predictor.check(structure))  # e.g. a fullerene for a QM9 model
                prediction = predictor.predict(structure)
            except StructureError:  # e.g. a QM9 molecule for a fullerene model
                unreadable.append(title)
                continue
            if out_of_domain:
                outside.append(title)
                continue
            if average is None:
                uniform.append(title)
                continue
            ga, weights = average(prediction.ga), average(reference.weights(level))
            rho, overlap = spearman(ga, weights), top_k_overlap(ga, weights, 3)
            heavy = structure.numbers > 1
            heavy_rho = spearman(ga[heavy], weights[heavy]) if len(np.unique(weights[heavy])) > 2 else np.nan
            noise = [average(rng.random(len(ga))) for _ in range(N_RANDOM)]
            random_rho = np.nanmean([spearman(x, weights) for x in noise])
            random_overlap = np.mean([top_k_overlap(x, weights, 3) for x in noise])
            rhos.append(rho)
            heavy_rhos.append(heavy_rho)
            overlaps.append((overlap, random_overlap))
            table.append(f"| {title} | {structure.n_atoms} | {rho:.2f} | {random_rho:.2f} | {heavy_rho:.2f} | "
                         f"{overlap:.2f} | {random_overlap:.2f} |")
        if rhos:
            print("\n".join(table))
            top, random_top = np.mean(overlaps, axis=0)
            mean, sem, n = finite_mean_sem(rhos)
            summary.append({"model": name, "model_epochs": card.get("epochs"), "level": level, "sample": what,
                            "basis": args.basis if args.sample == "qm9" else "shipped references",
                            "molecules": n, "mean_spearman": mean, "sem_spearman": sem,
                            "mean_top3_overlap": top, "random_top3_overlap": random_top})
            print(f"\nOver {len(rhos)} molecules: mean Spearman {mean_and_error(rhos)} (random about 0); "
                  f"heavy atoms only {mean_and_error(heavy_rhos)}; mean top-3 overlap {top:.2f} "
                  f"(random {random_top:.2f}).\n")
        if uniform:
            print(f"Not scored, every atom symmetry-equivalent (no ranking to compare): {', '.join(uniform)}.\n")
        if outside:
            print(f"Left out as outside this model's domain: {', '.join(outside)}.\n")
        if unreadable and not rhos:
            print(f"None of the {len(unreadable)} molecules can be predicted by this model (its elements or "
                  f"structure type differ).\n")
        elif unreadable:
            print(f"Not predictable by this model: {', '.join(unreadable)}.\n")
    if args.summary:
        import pandas as pd

        pd.DataFrame(summary).to_csv(args.summary, index=False, float_format="%.4f")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
