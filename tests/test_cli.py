"""The ``scann`` command end to end: train 2 epochs on 50 molecules, evaluate, predict."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


def scann(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scann_core.cli", *args], cwd=cwd, check=True,
                          capture_output=True, text=True, timeout=600)


def test_train_evaluate_predict(tmp_path):
    config = {"train": {"name": "tiny", "target": "homo", "epochs": 2, "batch_size": 16, "limit": 50, "workers": 1},
              "model": {"elements": [1, 6, 7, 8, 9], "n_blocks": 2, "dim": 32, "n_heads": 4}}
    (tmp_path / "tiny.json").write_text(json.dumps(config))
    scann("train", "tiny.json", "--out", "run", cwd=tmp_path)
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert list(log["epoch"]) == [1, 2] and np.isfinite(log["val_mae"]).all()

    evaluation = json.loads(scann("evaluate", "run/best.pt", "--limit", "50", cwd=tmp_path).stdout)
    assert evaluation["n"] == 50 and evaluation["unit"] == "eV" and evaluation["mae"] > 0
    by_size = evaluation["by_heavy_atoms"]  # QM9 molecules have 1 to 9 heavy atoms
    assert set(map(int, by_size)) <= set(range(1, 10)) and sum(g["n"] for g in by_size.values()) == 50
    assert sum(g["n"] * g["mae"] for g in by_size.values()) / 50 == pytest.approx(evaluation["mae"])
    assert all(abs(g["mean_error"]) <= g["mae"] for g in by_size.values())

    (tmp_path / "water.xyz").write_text("3\nwater\nO 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692\n")
    result = scann("predict", "water.xyz", "--model", "run/best.pt", "--out", "ga", cwd=tmp_path)
    assert "homo =" in result.stdout and "eV" in result.stdout

    import ase.io

    atoms = ase.io.read(tmp_path / "ga" / "water.extxyz")
    assert atoms.get_chemical_symbols() == ["O", "H", "H"]
    assert abs(atoms.arrays["ga"].sum() - 1.0) < 1e-6
    table = pd.read_csv(tmp_path / "ga" / "water.csv")
    assert np.allclose(table["ga"], atoms.arrays["ga"]) and abs(table["n_times_ga"].mean() - 1.0) < 1e-6

    scann("ga-stats", "--models", "run/best.pt", "--limit", "30", "--out", "stats", cwd=tmp_path)
    stats = pd.read_csv(tmp_path / "stats" / "ga_stats.csv")
    assert {"H", "C", "C sp3"} <= set(stats["group"]) and (tmp_path / "stats" / "ga_stats.png").exists()
    atoms_total = stats.loc[stats["group"].isin(["H", "C", "N", "O", "F"]), "atoms"].sum()
    mean_n_ga = (stats["mean"] * stats["atoms"])[stats["group"].isin(["H", "C", "N", "O", "F"])].sum() / atoms_total
    assert mean_n_ga == pytest.approx(1.0, abs=0.5)  # N x GA averages 1 within each molecule

    config["train"]["seed"] = 1
    (tmp_path / "tiny_seed1.json").write_text(json.dumps(config))
    scann("train", "tiny_seed1.json", "--out", "run_seed1", cwd=tmp_path)
    printed = scann("ga-seeds", "run/best.pt", "run/best.pt", "run_seed1/best.pt", "--limit", "20", "--out", "seeds.csv",
                    cwd=tmp_path).stdout.splitlines()
    itself, seed1 = pd.read_csv(tmp_path / "seeds.csv").to_dict("records")
    assert [json.loads(line)["second"] for line in printed] == ["run/best.pt", "run_seed1/best.pt"]
    assert itself["mean_spearman"] == pytest.approx(1.0) and itself["ranks"] == "symmetry-averaged"
    assert itself["n_structures"] + itself["n_undefined"] == 20
    assert -1 <= seed1["mean_spearman"] < 0.999 and seed1["n_structures"] + seed1["n_undefined"] == 20
    heavy = json.loads(scann("ga-seeds", "run/best.pt", "run_seed1/best.pt", "--limit", "20", "--heavy-atoms",
                             cwd=tmp_path).stdout)
    assert heavy["atoms"] == "heavy" and seed1["atoms"] == "all" and heavy["mean_spearman"] != seed1["mean_spearman"]
    assert heavy["n_undefined"] >= seed1["n_undefined"]  # molecules with fewer than 3 heavy atoms drop out


def test_train_evaluate_on_a_labelled_crystal_dataset(tmp_path):
    config = {"train": {"name": "tiny_smfe12", "dataset": "assets/data/smfe12.extxyz.gz",
                        "target": "formation_energy_per_atom", "unit": "eV/atom", "epochs": 1, "batch_size": 8,
                        "limit": 16, "workers": 1},
              "model": {"elements": [13, 22, 26, 27, 29, 30, 31, 42, 62], "n_blocks": 1, "dim": 16, "n_heads": 2,
                        "cutoff": 6.0, "ga_mode": "size_consistent", "ga_normalize": False}}
    (tmp_path / "tiny.json").write_text(json.dumps(config))
    scann("train", "tiny.json", "--out", "run", cwd=tmp_path)  # the dataset path is relative to the repository
    evaluation = json.loads(scann("evaluate", "run/best.pt", "--limit", "16", cwd=tmp_path).stdout)
    assert evaluation["n"] == 16 and evaluation["unit"] == "eV/atom" and 0 < evaluation["mae"] < 1

    scann("export", "run/best.pt", "tiny_ef", "--to", "shipped", cwd=tmp_path)  # the whole test split
    card = json.loads((tmp_path / "shipped" / "tiny_ef.json").read_text())
    assert (tmp_path / "shipped" / "tiny_ef.pt").exists() and (tmp_path / "shipped" / "tiny_ef_parity.png").exists()
    full = json.loads(scann("evaluate", "shipped/tiny_ef.pt", cwd=tmp_path).stdout)
    assert full["n"] == card["n_test"] > 16 and full["mae"] == pytest.approx(card["test_mae"], rel=1e-6)
    assert full["by_heavy_atoms"].keys() == card["test_mae_by_heavy_atoms"].keys() == {"26"}  # every cell: 26 atoms
    assert full["by_heavy_atoms"]["26"]["mae"] == pytest.approx(card["test_mae_by_heavy_atoms"]["26"]["mae"], rel=1e-6)


def test_resume_continues_the_run(tmp_path):
    config = {"train": {"name": "tiny", "target": "lumo", "epochs": 1, "batch_size": 16, "limit": 30, "workers": 1},
              "model": {"elements": [1, 6, 7, 8, 9], "n_blocks": 1, "dim": 16, "n_heads": 2}}
    (tmp_path / "tiny.json").write_text(json.dumps(config))
    scann("train", "tiny.json", "--out", "run", cwd=tmp_path)
    second = scann("train", "tiny.json", "--out", "run", "--epochs", "2", cwd=tmp_path)
    assert "resuming tiny at epoch 1" in second.stdout
    assert list(pd.read_csv(tmp_path / "run" / "log.csv")["epoch"]) == [1, 2]


def test_predict_reports_bad_input_in_one_line(tmp_path):
    config = {"train": {"name": "tiny", "target": "homo", "epochs": 1, "batch_size": 16, "limit": 20, "workers": 1},
              "model": {"elements": [1, 6, 7, 8, 9], "n_blocks": 1, "dim": 16, "n_heads": 2}}
    (tmp_path / "tiny.json").write_text(json.dumps(config))
    scann("train", "tiny.json", "--out", "run", cwd=tmp_path)
    (tmp_path / "iron.xyz").write_text("1\niron\nFe 0 0 0\n")
    result = subprocess.run([sys.executable, "-m", "scann_core.cli", "predict", "iron.xyz", "--model", "run/best.pt"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "Fe" in result.stderr and "Traceback" not in result.stderr
