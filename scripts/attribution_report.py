"""Compare GA with occlusion, integrated gradients and Shapley values on held-out structures.

Writes a markdown report (``--out``) and, with ``--records``, the per-structure metrics as CSV.
The structures are ``--n`` structures of the model's own dataset that it never trained on
(:func:`scann_core.data.sources.held_out_structures`: the test split, topped up from validation),
or with ``--structures gallery`` the gallery structures inside the model's domain.

Run from the repository root, e.g.
``PYTHONPATH=. python scripts/attribution_report.py --model qm9_homo --n 200 --out docs/ATTRIBUTION.md``.
Cost is dominated by Shapley values: 2^n coalitions for molecules of up to ``--max-exact`` atoms
(16,384 at 14 atoms, 14-21 s for the full-size model on one busy CPU thread), ``--permutations``
x (n + 1) coalitions above (about 10 s for a 20-atom molecule with the default 256); 200 molecules
take roughly half an hour on one thread.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    from scann_core.attribution import DEFAULT_PERMUTATIONS, MAX_EXACT_PLAYERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="shipped model name or checkpoint path")
    parser.add_argument("--structures", choices=("held-out", "gallery"), default="held-out",
                        help="evaluation set: held-out structures of the model's dataset, or the gallery "
                             "structures inside the model's domain")
    parser.add_argument("--n", type=int, default=200, help="number of held-out structures")
    parser.add_argument("--out", default="docs/ATTRIBUTION.md", help="markdown file to write")
    parser.add_argument("--records", default=None, help="optional CSV of per-structure metrics")
    parser.add_argument("--atoms", default=None,
                        help="optional CSV (gzip when it ends in .gz) of every atom's attributions and symmetry class")
    parser.add_argument("--table", default=None,
                        help="optional CSV of the per-method table the app shows (docs/attribution_<model>.csv), "
                             "stamped with the model's epochs and test MAE and the evaluation set")
    parser.add_argument("--seed", type=int, default=0, help="structure draw, Shapley permutations, random orders")
    parser.add_argument("--max-exact", type=int, default=MAX_EXACT_PLAYERS, help="largest structure with exact Shapley")
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS,
                        help="orders for sampled Shapley values (antithetic pairs); KernelSHAP gets as many calls")
    parser.add_argument("--estimator", choices=("permutation", "kernel"), default="permutation",
                        help="Shapley estimator above --max-exact atoms")
    parser.add_argument("--ig-steps", type=int, default=64, help="Gauss-Legendre points for integrated gradients")
    parser.add_argument("--top-k", type=int, default=3, help="k of the top-k overlap")
    parser.add_argument("--n-random", type=int, default=10, help="random orders for the random baseline")
    parser.add_argument("--seed-model", default=None,
                        help="the same target trained from another seed (shipped name or checkpoint): adds the GA "
                             "seed-to-seed noise floor")
    parser.add_argument("--raw-ranks", action="store_true",
                        help="rank the raw per-atom scores instead of averaging over symmetry-equivalent atoms first")
    parser.add_argument("--device", default=None, help="torch device (default: CUDA when available, else CPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    return parser.parse_args(argv)


def sampled_check_note(shap, permutations: int) -> str:
    """A sentence on the sampled estimator against the exact values of the small structures."""
    checked = shap.dropna(subset=["sampled_vs_exact_spearman"]) if "sampled_vs_exact_spearman" in shap else shap[:0]
    if checked.empty:
        return "Sampled Shapley values were not checked against exact ones (no structure small enough)."
    rho, error = checked["sampled_vs_exact_spearman"], checked["sampled_vs_exact_max_error"]
    return (f"Sampled estimator checked against the exact values on the {len(checked)} structures small enough: "
            f"the same estimator and sample size ({permutations}) gives Spearman {rho.mean():.3f} (lowest "
            f"{rho.min():.3f}) with the exact values; its largest error is a median {error.median():.2f} x the mean "
            "|exact value| of the structure.")


def rank_note(per_structure, raw: bool) -> str:
    """A sentence on how the rank statistics treat symmetry-equivalent atoms (one record per structure)."""
    what = "Rank statistics (Spearman, top-k, the sanity check and their random baselines)"
    if raw:
        return f"{what} compare raw per-atom scores."
    classes, atoms = per_structure["symmetry_classes"], per_structure["n_atoms"]
    uniform = int((classes == 1).sum())
    return (f"{what} first average every score over each class of symmetry-equivalent atoms (molecules: pymatgen "
            "point group, 0.1 A; crystal cells: spglib, 0.01 A), so that noise between equivalent atoms is not "
            f"ranked; {int((classes < atoms).sum())} of the {len(per_structure)} structures have equivalent atoms"
            + (f", {uniform} only one class (no ranking, left out)" if uniform else "") + ".")


def main(argv=None) -> None:
    args = parse_args(argv)
    import pandas as pd
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from tqdm import tqdm

    from scann_core.attribution import attribution_records, by_element_markdown, report_markdown, summarise
    from scann_core.data.sources import held_out_structures
    from scann_core.gallery import gallery_in_domain
    from scann_core.predict import Predictor

    predictor = Predictor.load(args.model, device=args.device)
    seed_predictor = Predictor.load(args.seed_model, device=args.device) if args.seed_model else None
    if seed_predictor and (seed_predictor.dataset, seed_predictor.target.name) != (predictor.dataset,
                                                                                  predictor.target.name):
        sys.exit(f"--seed-model {args.seed_model} does not predict {predictor.target.name} on {predictor.dataset}.")
    if args.structures == "gallery":
        structures, drawn = gallery_in_domain(predictor)
        which = "structures"
    else:
        structures, drawn = held_out_structures(predictor.dataset, args.n, args.seed)
        which = "structures it never trained on"
    if not structures:
        sys.exit(f"No {args.structures} structures for {args.model}: {drawn}.")

    start = time.perf_counter()
    per_atom = []
    records = attribution_records(
        structures, predictor, top_k=args.top_k, n_random=args.n_random, seed=args.seed, symmetrise=not args.raw_ranks,
        per_atom=per_atom, seed_predictor=seed_predictor,
        max_exact=args.max_exact, estimator=args.estimator, n_permutations=args.permutations,
        ig_steps=args.ig_steps,
        progress=lambda items: tqdm(items, file=sys.stderr, mininterval=5))
    elapsed = time.perf_counter() - start
    table = summarise(records)

    ig = records[records["method"] == "integrated_gradients"]
    relative = (ig["completeness_error"].abs() / ig["completeness_span"].abs().clip(lower=1e-12)).median()
    shap = records[records["method"] == "shapley"]
    n_exact = int(shap["shapley_exact"].sum())
    sampled = shap[~shap["shapley_exact"].astype(bool)]
    unit = predictor.target.unit
    per_structure = records.drop_duplicates("structure")
    atoms = per_structure["n_atoms"]
    preamble = (
        f"Model `{predictor.card.get('name', args.model)}` (target {predictor.target.name}, {unit}; "
        f"preliminary: {predictor.card.get('preliminary')}), {len(structures)} {which}: "
        f"{drawn} ({atoms.min()}-{atoms.max()} atoms, mean {atoms.mean():.1f}). Generated by "
        f"`scripts/attribution_report.py` in {elapsed / 60:.1f} min on {predictor.device.type} "
        f"({torch.get_num_threads()} thread(s)).\n\n"
        "Masking game (`scann_core.attribution.masking`): removing atoms drops them and every edge touching "
        "them from the neighbour graph and from the GA pooling (neighbour lists are not recomputed); the empty "
        f"structure is worth the training mean ({predictor.target.mean:.4f} {unit}). Occlusion, Shapley values "
        "and both curves use this game. Agreement compares GA with |attribution|; the curves order atoms by "
        "attribution x sign(prediction - mean) (GA as is). Curve areas are normalised to 1 = full prediction, "
        "0 = training mean, and averaged with weights |prediction - mean| (mean |prediction - mean| here: "
        f"{per_structure['weight'].mean():.3f} {unit}); values outside [0, 1] mean that "
        "partial structures are predicted beyond the training mean or beyond the full prediction. Random: the "
        f"same metric for {args.n_random} uniformly random atom orders. Top-k uses k = {args.top_k}. "
        + rank_note(per_structure, args.raw_ranks))
    notes = [
        f"Shapley values: exact for {n_exact} structures (at most {args.max_exact} atoms), sampled for "
        f"{len(sampled)} ("
        + (f"{args.permutations} permutations in antithetic pairs" if args.estimator == "permutation" else
           f"KernelSHAP, {args.permutations} x (n + 1) paired coalitions")
        + (f"; median largest standard error {sampled['shapley_max_standard_error'].median():.2g} {unit}"
           if len(sampled) else "") + ").",
        sampled_check_note(shap, args.permutations),
        f"Integrated gradients ({args.ig_steps} Gauss-Legendre points, baseline: all atom embeddings zero): "
        f"median |completeness error| / |f(x) - f(baseline)| = {relative:.2g}.",
        "Sanity check (Adebayo et al. 2018): Spearman between the trained model's importance and that of the "
        "same architecture with random weights (3 seeds); Shapley is not re-run for random weights (n/a).",
        "Random baselines of agreement metrics are the same metric between a random order and the method.",
    ]
    atom_table = pd.concat(per_atom, ignore_index=True)
    if args.records:
        records.to_csv(args.records, index=False)
    if args.atoms:
        atom_table.to_csv(args.atoms, index=False, float_format="%.6g")
    if args.table:
        table.assign(evaluation_set=drawn, model_epochs=predictor.card.get("epochs"),
                     model_test_mae=predictor.card.get("test_mae"),
                     rank_statistics="raw" if args.raw_ranks else "symmetry-averaged").to_csv(args.table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_markdown(table, title="GA against other attributions", preamble=preamble,
                                   sections=by_element_markdown(atom_table), notes=notes))
    print(f"wrote {out} ({len(structures)} structures, {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
