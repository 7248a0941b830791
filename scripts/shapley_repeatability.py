"""How reproducible are sampled Shapley values? Two estimates with different seeds, compared.

Structures above the exact limit get sampled Shapley values in ``scripts/attribution_report.py``,
and no exact values exist to check them against. This script takes the same draw of held-out
structures (``--draw`` and ``--seed`` as the report's ``--n`` and ``--seed``), keeps the first
``--n`` structures too large for exact values, and compares the report's estimate (seed 0) with an
independent one (seed 1): Spearman and top-k overlap of |value|. That agreement is the ceiling for
any method's agreement with the sampled Shapley values in the report.

    PYTHONPATH=. python scripts/shapley_repeatability.py --model smfe12_ef --draw 200 --n 40
"""
from __future__ import annotations

import argparse
import sys
import time


def parse_args(argv=None) -> argparse.Namespace:
    from scann_core.attribution import DEFAULT_PERMUTATIONS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="shipped model name or checkpoint path")
    parser.add_argument("--draw", type=int, default=200, help="the report's --n (which structures were drawn)")
    parser.add_argument("--n", type=int, default=40,
                        help="structures to check (the first of the draw with sampled values)")
    parser.add_argument("--seed", type=int, default=0, help="the report's --seed; the second estimate uses seed + 1")
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS, help="orders per estimate")
    parser.add_argument("--top-k", type=int, default=3, help="k of the top-k overlap")
    parser.add_argument("--raw-ranks", action="store_true",
                        help="rank raw values instead of averaging over symmetry-equivalent atoms (as the report)")
    parser.add_argument("--device", default=None, help="torch device (default: CUDA when available, else CPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    import numpy as np
    import torch
    from scipy.stats import sem

    if args.threads:
        torch.set_num_threads(args.threads)
    from scann_core.attribution import MAX_EXACT_PLAYERS, sampled_shapley_repeatability
    from scann_core.data.sources import held_out_structures
    from scann_core.predict import Predictor
    from scann_core.symmetry import symmetry_classes

    predictor = Predictor.load(args.model, device=args.device)
    drawn, _ = held_out_structures(predictor.dataset, args.draw, args.seed)
    chosen = [structure for structure in drawn if structure.n_atoms > MAX_EXACT_PLAYERS][:args.n]
    if not chosen:
        sys.exit(f"None of the {len(drawn)} structures has more than {MAX_EXACT_PLAYERS} atoms.")
    start = time.perf_counter()
    rows = [sampled_shapley_repeatability(predictor.model, predictor.model_input(structure)[0], predictor.target,
                                          seeds=(args.seed, args.seed + 1), top_k=args.top_k,
                                          classes=None if args.raw_ranks else symmetry_classes(structure),
                                          n_permutations=args.permutations)
            for structure in chosen]
    elapsed = time.perf_counter() - start
    rho = np.array([row["repeat_spearman"] for row in rows])
    topk = np.array([row["repeat_topk"] for row in rows])
    ranked = "raw values" if args.raw_ranks else "values averaged over symmetry-equivalent atoms"
    sizes = f"{min(s.n_atoms for s in chosen)}-{max(s.n_atoms for s in chosen)}"
    print(f"Sampled Shapley repeatability, model `{args.model}`: {len(chosen)} structures of {sizes} atoms (the first "
          f"of the report's draw above {MAX_EXACT_PLAYERS} atoms), two estimates of {args.permutations} permutations "
          f"(seeds {args.seed} and {args.seed + 1}), {ranked}: Spearman {rho.mean():.3f} ± {sem(rho):.3f} (lowest "
          f"{rho.min():.3f}), top-{args.top_k} overlap {topk.mean():.3f} ± {sem(topk):.3f}; {elapsed / 60:.1f} min on "
          f"{predictor.device.type} ({torch.get_num_threads()} thread(s)).")

if __name__ == "__main__":
    main()
