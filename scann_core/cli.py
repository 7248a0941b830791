"""The ``scann`` command: featurize, train, evaluate, predict, export, ga-stats, ga-seeds."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


def _progress(total: int | None = None):
    from tqdm import tqdm

    return lambda iterable: tqdm(iterable, total=total, mininterval=5, file=sys.stderr)


def _featurize(args) -> None:
    from .config import ModelConfig
    from .data.qm9 import qm9_graphs

    graphs = qm9_graphs(ModelConfig(elements=(1, 6, 7, 8, 9), cutoff=args.cutoff), workers=args.workers,
                        progress=_progress(130_831))
    print(f"featurised {len(graphs)} QM9 molecules, {graphs.edge_index.shape[1]} edges")


def _read_run_config(path: Path, overrides: dict):
    from .config import ModelConfig, TrainConfig, config_from_dict

    raw = json.loads(path.read_text())
    train = {**raw.get("train", {}), **{k: v for k, v in overrides.items() if v is not None}}
    return config_from_dict(TrainConfig, train), config_from_dict(ModelConfig, raw["model"])


def _train(args) -> None:
    from .data.sources import dataset_splits
    from .paths import cache_dir
    from .train import pick_device, train

    config, model_config = _read_run_config(Path(args.config), {"epochs": args.epochs, "limit": args.limit})
    data = dataset_splits(config.dataset, config.target, model_config, unit=config.unit, limit=config.limit,
                          workers=config.workers, progress=_progress())
    out = Path(args.out) if args.out else cache_dir("runs", config.name)
    best = train(config, model_config, data, out, device=pick_device(args.device))
    print(f"best checkpoint: {best}")


def _evaluate(args) -> None:
    import numpy as np

    from .data.sources import dataset_splits
    from .predict import Predictor
    from .train import mae_by_heavy_atoms, predict_graphs

    predictor = Predictor.load(args.model, device=args.device)
    data = dataset_splits(predictor.dataset, predictor.target.name, predictor.model.config,
                          unit=predictor.target.unit, limit=args.limit)
    graphs = getattr(data, args.split)
    errors = predict_graphs(predictor.model, graphs, predictor.target, device=predictor.device) - graphs.targets
    print(json.dumps({"model": predictor.card["name"], "split": args.split, "n": len(graphs),
                      "mae": float(np.abs(errors).mean()), "unit": predictor.target.unit,
                      "by_heavy_atoms": mae_by_heavy_atoms(errors, graphs)}))


def _predict(args) -> None:
    from .io import load_structure
    from .predict import Predictor, write_prediction
    from .structure import StructureError

    predictor = Predictor.load(args.model, device=args.device)
    out = Path(args.out)
    failed = False
    for name in args.files:
        try:
            structure = load_structure(name)
            prediction = predictor.predict(structure)
        except StructureError as error:
            print(f"error: {error}", file=sys.stderr)
            failed = True
            continue
        stem = out / Path(name).stem
        write_prediction(prediction, stem, target=predictor.target.name)
        label = ", preliminary" if predictor.card["preliminary"] else ""
        print(f"{name}: {predictor.target.name} = {prediction.value:.4f} {prediction.unit} "
              f"(model {predictor.card['name']}{label}, {predictor.device.type}); GA -> {stem}.extxyz, {stem}.csv")
        for warning in prediction.warnings:
            print(f"  warning: {warning}")
    if failed:
        raise SystemExit(1)


def _export(args) -> None:
    from .cards import export_model
    from .predict import PRETRAINED_DIR

    card = export_model(Path(args.source), args.name, destination=Path(args.to or PRETRAINED_DIR))
    print(json.dumps({k: card[k] for k in ("name", "test_mae", "mean_predictor_test_mae", "preliminary", "unit")}))


def _ga_stats(args) -> None:
    import pandas as pd

    from .ga_stats import ga_summary, plot_ga_summary, qm9_test_rows
    from .predict import Predictor, available_models

    rows = []
    for name in args.models or available_models():
        predictor = Predictor.load(name, device=args.device)
        if predictor.dataset != "qm9":
            if args.models:
                raise SystemExit(f"{name} was not trained on QM9; ga-stats summarises QM9 models only.")
            continue  # a shipped crystal model: not part of the QM9 report
        rows.append(qm9_test_rows(predictor, limit=args.limit))
    summary = ga_summary(pd.concat(rows, ignore_index=True))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "ga_stats.csv", index=False, float_format="%.5g")
    plot_ga_summary(summary, out / "ga_stats.png")
    print(summary.to_string(index=False))


def _ga_seeds(args) -> None:
    import pandas as pd

    from .ga_stats import seed_agreement, seed_agreement_summary, test_set_ga
    from .predict import Predictor
    from .symmetry import symmetry_classes

    reference = Predictor.load(args.first, device=args.device)
    others = [Predictor.load(name, device=args.device) for name in args.others]
    for name, other in zip(args.others, others):
        if (other.dataset, other.target.name) != (reference.dataset, reference.target.name):
            raise SystemExit(f"{name} predicts {other.target.name} on {other.dataset}, but {args.first} predicts "
                             f"{reference.target.name} on {reference.dataset}: their GA cannot be compared.")
    structures, ga_reference = test_set_ga(reference, limit=args.limit)
    classes = None if args.raw_ranks else [symmetry_classes(structure) for structure in structures]
    atoms = [structure.numbers > 1 for structure in structures] if args.heavy_atoms else None
    rows = []
    for name, other in zip(args.others, others):
        _, ga_other = test_set_ga(other, limit=args.limit)
        rows.append({"first": args.first, "second": name,
                     "target": reference.target.name, "ranks": "raw" if args.raw_ranks else "symmetry-averaged",
                     "atoms": "heavy" if args.heavy_atoms else "all",
                     **seed_agreement_summary(seed_agreement(ga_reference, ga_other, classes, atoms))})
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        pd.DataFrame(rows).to_csv(args.out, index=False, float_format="%.4g")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scann", description="SCANN attention networks for molecules and crystals.")
    commands = parser.add_subparsers(dest="command", required=True)

    featurize = commands.add_parser("featurize", help="build the neighbour graphs of QM9 (cached)")
    featurize.add_argument("--cutoff", type=float, default=4.0)
    featurize.add_argument("--workers", type=int, default=2)
    featurize.set_defaults(run=_featurize)

    train = commands.add_parser("train", help="train (or resume) a model from a JSON config")
    train.add_argument("config")
    train.add_argument("--out", help="run folder (default: ~/.cache/scann/runs/NAME)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--limit", type=int, help="use only the first N molecules of each split")
    train.add_argument("--device")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="MAE of a model on a split of the dataset it was trained on, "
                                                    "overall and by number of heavy atoms")
    evaluate.add_argument("model", help="shipped model name or checkpoint path")
    evaluate.add_argument("--split", choices=("train", "val", "test"), default="test")
    evaluate.add_argument("--limit", type=int)
    evaluate.add_argument("--device")
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser("predict", help="predict a property and per-atom GA for structure files")
    predict.add_argument("files", nargs="+")
    predict.add_argument("--model", required=True, help="shipped model name or checkpoint path")
    predict.add_argument("--out", default=".", help="folder for the GA files")
    predict.add_argument("--device")
    predict.set_defaults(run=_predict)

    export = commands.add_parser("export", help="evaluate a checkpoint on its test split and ship it with its card")
    export.add_argument("source", help="run folder holding best.pt, or a checkpoint file (re-export a shipped model)")
    export.add_argument("name", help="shipped model name, e.g. qm9_homo or smfe12_ef")
    export.add_argument("--to", help="folder to write to instead of the package's pretrained models")
    export.set_defaults(run=_export)

    stats = commands.add_parser("ga-stats", help="mean N*GA by element and carbon hybridisation over the QM9 test set")
    stats.add_argument("--models", nargs="*", help="shipped QM9 models (default: all)")
    stats.add_argument("--limit", type=int, help="only the first N test molecules")
    stats.add_argument("--out", default="docs", help="folder for ga_stats.csv and ga_stats.png")
    stats.add_argument("--device")
    stats.set_defaults(run=_ga_stats)

    seeds = commands.add_parser("ga-seeds", help="per-structure Spearman of GA between a model and other models of "
                                                 "its target (another seed: the noise floor; earlier checkpoints: "
                                                 "GA's drift in training), averaged over the test set")
    seeds.add_argument("first", help="shipped model name or checkpoint path")
    seeds.add_argument("others", nargs="+", help="the same target trained from another seed, or other checkpoints")
    seeds.add_argument("--limit", type=int, help="only the first N test structures")
    seeds.add_argument("--out", help="CSV file, one row per compared model")
    seeds.add_argument("--heavy-atoms", action="store_true",
                       help="rank the heavy atoms only (is the agreement more than telling H from the rest?)")
    seeds.add_argument("--raw-ranks", action="store_true",
                       help="rank raw GA instead of averaging over symmetry-equivalent atoms first")
    seeds.add_argument("--device")
    seeds.set_defaults(run=_ga_seeds)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
