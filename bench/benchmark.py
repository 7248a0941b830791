"""Featurisation and training/inference throughput of scann_core; prints one JSON record.

Run: python bench/benchmark.py [--quick] > docs/benchmark.json   (with scann_core installed)
Peak FLOP/s is measured, not taken from a data sheet: the best of large fp32 and bf16 matmuls
on all threads, so the model FLOP utilisation (MFU) is relative to what this CPU can do.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from scann_core.train import cpu_name


def timed(fn, repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def matmul_peak(dtype: torch.dtype, n: int = 2048) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    seconds = min(timed(lambda: a @ b) for _ in range(5))
    return 2 * n**3 / seconds


def pymatgen_ms(structures, cutoff: float) -> float:
    """The original code's path: pymatgen VoronoiNN per atom (molecules boxed as in the paper's code)."""
    from pymatgen.analysis.local_env import VoronoiNN

    from scann_core.crystal import to_pymatgen
    from scann_core.structure import Structure

    finder = VoronoiNN(tol=0.2, cutoff=13.0, weight="solid_angle", compute_adj_neighbors=False)
    seconds = 0.0
    for s in structures:
        if not s.is_periodic:  # the published code boxes molecules: side max(10, extent + 0.1) A
            side = max(10.0, float(np.ptp(s.positions, axis=0).max()) + 0.1)
            s = Structure(s.numbers, s.positions - s.positions.min(0), np.eye(3) * side, (True,) * 3)
        crystal = to_pymatgen(s)
        start = time.perf_counter()
        for i in range(len(crystal)):
            finder.get_voronoi_polyhedra(crystal, i)
        seconds += time.perf_counter() - start
    return 1e3 * seconds / len(structures)


def featurisation(quick: bool) -> dict:
    from scann_core.config import ModelConfig
    from scann_core.data.qm9 import qm9_frame, qm9_structure
    from scann_core.gallery import load_gallery_structure
    from scann_core.graph import build_graph
    from scann_core.data.smfe12 import parent_cell

    frame = qm9_frame()
    rows = np.random.default_rng(0).choice(len(frame), 200 if quick else 1000, replace=False)
    molecules = [qm9_structure(frame.iloc[int(k)]) for k in rows]
    molecule_config, crystal_config = ModelConfig(elements=(1, 6, 7, 8, 9)), ModelConfig(elements=(26, 62), cutoff=6.0)
    c60, smfe12 = load_gallery_structure("C60"), parent_cell()
    ours = {
        "qm9": 1e3 * timed(lambda: [build_graph(s, molecule_config) for s in molecules]) / len(molecules),
        "c60": 1e3 * timed(lambda: build_graph(c60, molecule_config), 5),
        "smfe12": 1e3 * timed(lambda: build_graph(smfe12, crystal_config), 5),
    }
    reference = {"qm9": pymatgen_ms(molecules[: 20 if quick else 100], 4.0), "c60": pymatgen_ms([c60], 4.0),
                 "smfe12": pymatgen_ms([smfe12], 6.0)}
    return {"ms_per_structure_ours": ours, "ms_per_structure_pymatgen_voronoinn": reference,
            "speedup": {k: reference[k] / ours[k] for k in ours},
            "n_qm9_molecules_ours": len(molecules), "n_qm9_molecules_pymatgen": 20 if quick else 100}


def training(quick: bool) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    from scann_core.config import ModelConfig
    from scann_core.data.qm9 import qm9_frame, qm9_structure
    from scann_core.dataset import featurize
    from scann_core.graph import collate, element_lookup
    from scann_core.model import ScannModel
    from scann_core.train import predict_graphs
    from scann_core.checkpoint import TargetInfo

    config = ModelConfig(elements=(1, 6, 7, 8, 9))
    frame = qm9_frame()
    rows = np.random.default_rng(1).choice(len(frame), 128 * 6, replace=False)
    graphs = featurize([qm9_structure(frame.iloc[int(k)]) for k in rows], frame["homo"].to_numpy()[rows], config)
    lookup = element_lookup(config.elements)
    batches = [collate([graphs[i] for i in range(k, k + 128)], lookup).to("cpu") for k in range(0, len(graphs), 128)]
    results = {}
    for name, bf16, compiled in (("fp32", False, False), ("bf16", True, False), ("bf16_compile", True, True)):
        if quick and compiled:
            continue
        torch.manual_seed(0)
        model = ScannModel(config)
        forward = torch.compile(model, dynamic=True) if compiled else model
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step(batch):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = forward(batch).prediction.float().abs().mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()

        for batch in batches[:2]:  # warm-up (and compilation)
            step(batch)
        seconds = timed(lambda: [step(b) for b in batches[2:]]) / len(batches[2:])
        results[name] = {"molecules_per_s": 128 / seconds, "s_per_step": seconds}
    with FlopCounterMode(display=False) as counter:
        model = ScannModel(config)
        model(batches[0]).prediction.abs().mean().backward()
    flops = counter.get_total_flops()
    peak = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    for name, record in results.items():
        record["mfu"] = flops / record["s_per_step"] / peak["bf16" if "bf16" in name else "fp32"]
    model = ScannModel(config).eval()
    inference = len(graphs) / timed(lambda: predict_graphs(model, graphs, TargetInfo("homo", "eV", 0, 1)))
    return {"train": results, "gflop_per_step_128_molecules": flops / 1e9,
            "parameters": sum(p.numel() for p in model.parameters()),
            "measured_matmul_peak_gflops": {k: v / 1e9 for k, v in peak.items()},
            "inference_molecules_per_s_fp32": inference,
            "qm9_epoch_minutes_at_best": 110_000 / max(r["molecules_per_s"] for r in results.values()) / 60}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller samples, no torch.compile")
    args = parser.parse_args()
    record = {"cpu": cpu_name(), "threads": torch.get_num_threads(),
              "cores": os.cpu_count(), "torch": torch.__version__, "quick": args.quick,
              "load_average_at_start": os.getloadavg()[0]}
    record["featurisation"] = featurisation(args.quick)
    record["training"] = training(args.quick)
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
