"""Training: resumable runs with a warm-up + cosine schedule, per-epoch log, early stopping.

A run lives in one folder: ``state.pt`` (model, optimiser, scheduler, epoch, RNG; written every
few minutes and at each epoch end, so a killed run continues where it stopped), ``log.csv``
(per-epoch train/validation MAE in the target's units) and ``best.pt`` (the checkpoint with the
lowest validation MAE).
"""
from __future__ import annotations

import csv
import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .checkpoint import TargetInfo, save_checkpoint
from .config import ModelConfig, TrainConfig, to_dict
from .dataset import GraphSet
from .graph import collate, element_lookup
from .model import ScannModel

__all__ = ["train", "evaluate_mae", "mae_by_heavy_atoms", "fit_readout_statistics", "predict_graphs", "pick_device",
           "cpu_name", "DataSplits"]


@dataclass
class DataSplits:
    train: GraphSet
    val: GraphSet
    test: GraphSet
    unit: str


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` if given, else CUDA when available, else CPU."""
    return torch.device(requested or ("cuda" if torch.cuda.is_available() else "cpu"))


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (or what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _autocast(device: torch.device, enabled: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


@torch.no_grad()
def predict_graphs(model: ScannModel, graphs: GraphSet, target: TargetInfo, *, batch_size: int = 256,
                   device: torch.device | None = None, bf16: bool = False, return_ga: bool = False):
    """Predictions (n_graphs,) in the target's units; with ``return_ga`` also the list of the
    graphs' GA arrays ((n_atoms,) each)."""
    device = device or next(model.parameters()).device
    lookup = element_lookup(model.config.elements)
    model.eval()
    out, ga = [], []
    for graphs_batch in graphs.batches(batch_size):
        batch = collate(graphs_batch, lookup).to(device)
        with _autocast(device, bf16):
            output = model(batch)
        out.append(output.prediction.float().cpu().numpy() * target.std + target.mean)
        if return_ga:
            sizes = [len(g.numbers) for g in graphs_batch]
            ga += [a.numpy() for a in torch.split(output.ga.double().cpu(), sizes)]
    predictions = np.concatenate(out) if out else np.zeros(0)
    return (predictions, ga) if return_ga else predictions


@torch.no_grad()
def fit_readout_statistics(model: ScannModel, graphs: GraphSet, *, batch_size: int = 256,
                           device: torch.device | None = None, bf16: bool = False) -> None:
    """Give a model with ``readout_norm`` the exact statistics of the structure vectors of ``graphs``
    (the training set) under its current weights; nothing for a model without it."""
    if model.readout_norm is None:
        return
    device = device or next(model.parameters()).device
    lookup = element_lookup(model.config.elements)
    model.eval()
    pooled = []
    for graphs_batch in graphs.batches(batch_size):
        with _autocast(device, bf16):
            pooled.append(model.encode(collate(graphs_batch, lookup).to(device))[0].float())
    model.fit_readout_statistics(torch.cat(pooled))


def evaluate_mae(model: ScannModel, graphs: GraphSet, target: TargetInfo, **kwargs) -> float:
    return float(np.mean(np.abs(predict_graphs(model, graphs, target, **kwargs) - graphs.targets)))


def mae_by_heavy_atoms(errors: np.ndarray, graphs: GraphSet) -> dict[int, dict]:
    """``{heavy-atom count: {"n": structures, "mae": mean |error|, "mean_error": mean error}}`` for
    per-structure ``errors`` (n_graphs,), prediction minus reference: how the error depends on size,
    e.g. on QM9's few small molecules, and whether it is mostly too high (``mean_error`` > 0) or too low."""
    counts = graphs.n_heavy_atoms()
    groups = {int(c): errors[counts == c] for c in np.unique(counts)}
    return {c: {"n": len(e), "mae": float(np.abs(e).mean()), "mean_error": float(e.mean())} for c, e in groups.items()}


def _learning_rate(step: int, total: int, warmup: int, config: TrainConfig) -> float:
    if step < warmup:
        return config.lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1.0 + math.cos(math.pi * progress))


def train(config: TrainConfig, model_config: ModelConfig, data: DataSplits, out_dir: Path, *,
          device: torch.device | None = None, log=print) -> Path:
    """Train (or resume) a run in ``out_dir``; returns the path of ``best.pt``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    device = device or pick_device()
    torch.manual_seed(config.seed)
    model = ScannModel(model_config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    target = TargetInfo(config.target, data.unit, float(data.train.targets.mean()), float(data.train.targets.std()))
    steps_per_epoch = math.ceil(len(data.train) / config.batch_size)
    total_steps, warmup = config.epochs * steps_per_epoch, max(1, int(config.warmup_epochs * steps_per_epoch))
    state = {"epoch": 0, "step": 0, "best_val": math.inf, "best_epoch": -1, "seconds": 0.0,
             "rng": np.random.default_rng(config.seed).bit_generator.state}
    state_path, best_path, log_path = out_dir / "state.pt", out_dir / "best.pt", out_dir / "log.csv"
    if state_path.exists():
        saved = torch.load(state_path, map_location="cpu", weights_only=False)
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        torch.set_rng_state(saved["torch_rng"])
        state = saved["state"]
        log(f"resuming {config.name} at epoch {state['epoch']} (best val MAE {state['best_val']:.5g})")
    (out_dir / "config.json").write_text(json.dumps({"train": to_dict(config), "model": to_dict(model_config)}, indent=2))
    lookup = element_lookup(model_config.elements)
    forward = torch.compile(model, dynamic=True) if config.compile else model
    card = {"target": config.target, "train_config": to_dict(config), "n_train": len(data.train),
            "n_val": len(data.val), "n_test": len(data.test)}

    def save_state() -> None:
        payload = {"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                   "torch_rng": torch.get_rng_state(), "state": state}
        torch.save(payload, state_path.with_suffix(".tmp"))
        state_path.with_suffix(".tmp").replace(state_path)

    last_save, patience_left = time.time(), config.patience - (state["epoch"] - state["best_epoch"] - 1)
    while state["epoch"] < config.epochs and patience_left > 0:
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        epoch_start, errors, count = time.time(), 0.0, 0
        model.train()
        skip = state["step"] - state["epoch"] * steps_per_epoch  # batches already done this epoch
        for k, graphs_batch in enumerate(data.train.batches(config.batch_size, rng)):
            if k < skip:
                continue
            batch = collate(graphs_batch, lookup).to(device)
            for group in optimiser.param_groups:
                group["lr"] = _learning_rate(state["step"], total_steps, warmup, config)
            with _autocast(device, config.bf16):
                prediction = forward(batch).prediction.float()
            residual = prediction - (batch.target - target.mean) / target.std
            loss = residual.abs().mean() if config.loss == "l1" else residual.pow(2).mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            errors += residual.detach().abs().sum().item() * target.std
            count += batch.n_structures
            state["step"] += 1
            if time.time() - last_save > 60 * config.save_every_minutes:
                state["seconds"] += time.time() - epoch_start
                epoch_start = time.time()
                save_state()
                last_save = time.time()
        state["rng"] = rng.bit_generator.state
        fit_readout_statistics(model, data.train, device=device, bf16=config.bf16)
        val_mae = evaluate_mae(model, data.val, target, device=device, bf16=config.bf16)
        state["seconds"] += time.time() - epoch_start
        state["epoch"] += 1
        train_mae = errors / max(count, 1)
        is_best = val_mae < state["best_val"]
        if is_best:
            state["best_val"], state["best_epoch"] = val_mae, state["epoch"]
            save_checkpoint(best_path, model, target, {**card, "epochs": state["epoch"], "val_mae": val_mae,
                                                       "train_hours": state["seconds"] / 3600, "cpu": cpu_name()})
        patience_left = config.patience - (state["epoch"] - state["best_epoch"])
        new_log = not log_path.exists()
        with log_path.open("a", newline="") as handle:
            writer = csv.writer(handle)
            if new_log:
                writer.writerow(["epoch", "train_mae", "val_mae", "lr", "hours"])
            writer.writerow([state["epoch"], f"{train_mae:.6g}", f"{val_mae:.6g}",
                             f"{optimiser.param_groups[0]['lr']:.3g}", f"{state['seconds'] / 3600:.4f}"])
        log(f"epoch {state['epoch']}: train MAE {train_mae:.4g}, val MAE {val_mae:.4g} {target.unit}"
            f"{' (best)' if is_best else ''}, {state['seconds'] / 3600:.2f} h")
        save_state()
        last_save = time.time()
    return best_path
