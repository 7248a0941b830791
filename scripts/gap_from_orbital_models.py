"""Baseline for a QM9 gap model: the shipped LUMO model's prediction minus the HOMO model's.

Prints, as JSON, the MAE of that difference against QM9's gap labels on a split (the test split
by default), beside the MAE of predicting the training mean, so a dedicated ``qm9_gap`` model can
be compared with what the two orbital models already give. With ``--out`` the JSON is also written
there; the Explore page reads ``assets/data/gap_from_orbitals.json`` to quote the difference's test MAE.

    PYTHONPATH=. python scripts/gap_from_orbital_models.py [--split test] [--limit N] [--out FILE]
"""
import argparse
import json
from pathlib import Path

import numpy as np

from scann_core.data.sources import dataset_splits
from scann_core.predict import Predictor
from scann_core.train import predict_graphs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "val", "test"), default="test")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--device")
    parser.add_argument("--out", type=Path, help="also write the JSON record to this file")
    args = parser.parse_args()

    homo, lumo = (Predictor.load(name, device=args.device) for name in ("qm9_homo", "qm9_lumo"))
    if homo.model.config != lumo.model.config:
        raise SystemExit("qm9_homo and qm9_lumo use different graph settings; the baseline needs one featurisation.")
    data = dataset_splits("qm9", "gap", homo.model.config, unit="eV", limit=args.limit)
    graphs = getattr(data, args.split)
    gap = (predict_graphs(lumo.model, graphs, lumo.target, device=lumo.device)
           - predict_graphs(homo.model, graphs, homo.target, device=homo.device))
    record = json.dumps({"split": args.split, "n": len(graphs), "unit": "eV",
                         "mae_lumo_minus_homo": float(np.mean(np.abs(gap - graphs.targets))),
                         "mae_training_mean": float(np.mean(np.abs(graphs.targets - data.train.targets.mean())))})
    print(record)
    if args.out:
        args.out.write_text(record + "\n")


if __name__ == "__main__":
    main()
