"""Write the synthetic image benchmark as a window-set .npz; optionally train, explain and print metrics.

    python scripts/make_image_benchmark.py --out image_benchmark.npz
    python scripts/make_image_benchmark.py --evaluate --window-size 7 --epochs 30 --seeds 0 1 2 > result.json

The evaluation prints JSON: per seed, test R2, the attention/SHAP/random metrics rows and the
attention top-k recovery over all test windows; then means over the seeds.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the benchmark .npz here")
    parser.add_argument("--window-size", type=int, default=9)
    parser.add_argument("--image-size", type=int, default=48)
    parser.add_argument("--n-images", type=int, default=6)
    parser.add_argument("--stride", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic images")
    parser.add_argument("--evaluate", action="store_true", help="train, explain and print metrics as JSON")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-explain", type=int, default=24)
    parser.add_argument("--n-pairs", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training/split seeds for --evaluate")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)

    from scann_core.images import BenchmarkSpec, ImageTrainConfig, make_benchmark, run_image_experiment, save_window_set

    spec = BenchmarkSpec(window_size=args.window_size, image_size=args.image_size, n_images=args.n_images,
                         stride=args.stride, seed=args.seed)
    window_set = make_benchmark(spec)
    if args.out:
        save_window_set(args.out, window_set)
    if not args.evaluate:
        print(json.dumps({"out": str(args.out), "n_windows": window_set.n_windows, "spec": spec.__dict__}))
        return 0

    import torch

    torch.set_num_threads(args.threads)
    runs = []
    for seed in args.seeds:
        start = time.perf_counter()
        result = run_image_experiment(window_set, ImageTrainConfig(epochs=args.epochs, seed=seed),
                                      n_explain=args.n_explain, n_pairs=args.n_pairs, seed=seed)
        y = window_set.targets[result.test_index, 0]
        runs.append({"seed": seed, "seconds": round(time.perf_counter() - start, 1),
                     "n_train": len(result.train_index), "n_test": len(result.test_index),
                     "test_r2": float(1 - np.mean((y - result.test_pred[:, 0]) ** 2) / np.var(y)),
                     "attention_recovery_all_test": result.attention_recovery_all,
                     "shap_rel_stderr": float(np.mean(result.shap_stderr) / np.mean(np.abs(result.shap))),
                     "k": result.k, "metrics": result.metrics})
    summary = {}
    for row_index, row in enumerate(runs[0]["metrics"]):
        for column in row:
            if column != "map":
                values = [r["metrics"][row_index].get(column) for r in runs]
                summary[f"{row['map']} | {column}"] = float(np.mean(values))
    summary["test_r2"] = float(np.mean([r["test_r2"] for r in runs]))
    summary["attention_recovery_all_test"] = float(np.mean([r["attention_recovery_all_test"] for r in runs]))
    print(json.dumps({"spec": spec.__dict__, "epochs": args.epochs, "n_explain": args.n_explain,
                      "n_pairs": args.n_pairs, "runs": runs, "mean": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
