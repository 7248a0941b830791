"""Model physics: invariances, batching, supercells, GA properties, save/load."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scann_core.checkpoint import TargetInfo, load_checkpoint, save_checkpoint
from scann_core.config import ModelConfig
from scann_core.crystal import conventional_standard_cell, supercell, to_pymatgen, from_pymatgen
from scann_core.graph import build_graph, collate, element_lookup
from scann_core.model import ScannModel
from scann_core.structure import Structure

MOLECULE_CONFIG = ModelConfig(elements=(1, 6, 7, 8, 9), n_blocks=2, dim=32, n_heads=4)
CRYSTAL_CONFIG = ModelConfig(elements=(26, 62), n_blocks=2, dim=32, n_heads=4, cutoff=6.0, ga_mode="size_consistent",
                             ga_normalize=False)


def make_model(config: ModelConfig, seed: int = 0) -> ScannModel:
    torch.manual_seed(seed)
    return ScannModel(config).double().eval()


def run(model: ScannModel, *structures: Structure, **kwargs):
    graphs = [build_graph(s, model.config) for s in structures]
    return model(collate(graphs, element_lookup(model.config.elements)).to("cpu", torch.float64), **kwargs)


@pytest.fixture
def pyridine() -> Structure:
    from scann_core.data.qm9 import qm9_frame, qm9_structure

    frame = qm9_frame()
    return qm9_structure(frame[frame["SMILES"] == "C1=CC=NC=C1"].iloc[0])


@pytest.mark.parametrize("variant", ["scann+", "scann"])
def test_rotation_and_translation_leave_prediction_and_ga_unchanged(pyridine, variant):
    model = make_model(ModelConfig(**{**vars(MOLECULE_CONFIG), "variant": variant}))
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    moved = pyridine.with_positions(pyridine.positions @ rotation.T + [3.0, -2.0, 10.0])
    a, b = run(model, pyridine), run(model, moved)
    assert torch.allclose(a.prediction, b.prediction, atol=1e-9)
    assert torch.allclose(a.ga, b.ga, atol=1e-9)


def test_permutation_permutes_ga(pyridine):
    model = make_model(MOLECULE_CONFIG)
    order = np.random.default_rng(2).permutation(pyridine.n_atoms)
    shuffled = Structure(pyridine.numbers[order], pyridine.positions[order])
    a, b = run(model, pyridine), run(model, shuffled)
    assert torch.allclose(a.prediction, b.prediction, atol=1e-9)
    assert torch.allclose(a.ga[order], b.ga, atol=1e-9)


def test_batch_of_two_equals_two_single_runs(pyridine, ch4):
    model = make_model(MOLECULE_CONFIG)
    both, first, second = run(model, pyridine, ch4), run(model, pyridine), run(model, ch4)
    assert torch.allclose(both.prediction, torch.cat([first.prediction, second.prediction]), atol=1e-10)
    assert torch.allclose(both.ga, torch.cat([first.ga, second.ga]), atol=1e-10)


def test_no_gradient_flows_between_structures_of_a_batch(pyridine, ch4):
    model = make_model(MOLECULE_CONFIG)
    graphs = [build_graph(s, model.config) for s in (pyridine, ch4)]
    batch = collate(graphs, element_lookup(model.config.elements)).to("cpu", torch.float64)
    batch.positions.requires_grad_(True)
    model(batch).prediction[0].backward()
    gradient = batch.positions.grad
    assert gradient[: pyridine.n_atoms].abs().sum() > 0
    assert torch.all(gradient[pyridine.n_atoms:] == 0)


def test_ga_is_a_distribution(pyridine, ch4):
    output = run(make_model(MOLECULE_CONFIG), pyridine, ch4)
    assert torch.all(output.ga >= 0)
    assert output.ga[: pyridine.n_atoms].sum().item() == pytest.approx(1.0, abs=1e-12)
    assert output.ga[pyridine.n_atoms:].sum().item() == pytest.approx(1.0, abs=1e-12)


def test_ga_matches_the_formula_on_a_tiny_input():
    """s_i = k_i . sum_{j != i} q_j, divided by ||s||_2, softmax; x = sum_i GA_i k_i."""
    from scann_core.nn import GlobalAttention

    torch.manual_seed(3)
    layer = GlobalAttention(dim=4, mode="paper", normalize=True).double()
    h = torch.randn(3, 4, dtype=torch.float64)
    pooled, ga = layer(h, torch.zeros(3, dtype=torch.long), 1)
    q, k = layer.query(h), layer.key(h)
    attention = q @ k.T  # A_ji = q_j . k_i
    s = attention.sum(0) - attention.diagonal()
    s = s / s.norm()
    expected = torch.softmax(s, 0)
    assert torch.allclose(ga, expected, atol=1e-12)
    assert torch.allclose(pooled[0], (expected[:, None] * k).sum(0), atol=1e-12)
    assert ga.max() / ga.min() <= math.exp(math.sqrt(2)) + 1e-12  # the bounded contrast of the paper's GA


def test_supercell_with_size_consistent_ga(smfe12):
    model = make_model(CRYSTAL_CONFIG)
    big = supercell(smfe12, (2, 2, 1))
    small_out, big_out = run(model, smfe12), run(model, big)
    n = smfe12.n_atoms
    assert torch.allclose(big_out.embeddings, small_out.embeddings.repeat(4, 1), atol=1e-9)
    assert torch.allclose(big_out.prediction, small_out.prediction, atol=1e-9)
    assert torch.allclose(big_out.ga, (small_out.ga / 4).repeat(4), atol=1e-12)
    assert big_out.ga.shape[0] == 4 * n


def test_paper_ga_is_not_size_consistent(smfe12):
    """The published formula changes with the cell choice (why crystal models use the other one)."""
    config = ModelConfig(**{**vars(CRYSTAL_CONFIG), "ga_mode": "paper", "ga_normalize": True})
    model = make_model(config)
    small_out, big_out = run(model, smfe12), run(model, supercell(smfe12, (2, 2, 1)))
    assert torch.allclose(big_out.embeddings, small_out.embeddings.repeat(4, 1), atol=1e-9)
    assert not torch.allclose(big_out.ga, (small_out.ga / 4).repeat(4), atol=1e-6)


def test_primitive_and_conventional_cells_agree_after_canonicalisation(smfe12):
    primitive = from_pymatgen(to_pymatgen(smfe12).get_primitive_structure(), "primitive")
    assert primitive.n_atoms == 13
    model = make_model(CRYSTAL_CONFIG)
    a = run(model, conventional_standard_cell(primitive))
    b = run(model, conventional_standard_cell(smfe12))
    assert torch.allclose(a.prediction, b.prediction, atol=1e-8)
    assert torch.allclose(torch.sort(a.ga).values, torch.sort(b.ga).values, atol=1e-10)


def test_save_load_gives_identical_outputs(tmp_path, pyridine):
    model = make_model(MOLECULE_CONFIG).float()
    target = TargetInfo("homo", "eV", -6.5, 0.6)
    save_checkpoint(tmp_path / "m.pt", model, target, {"note": "test"})
    loaded, loaded_target, card = load_checkpoint(tmp_path / "m.pt")
    graph = build_graph(pyridine, model.config)
    batch = collate([graph], element_lookup(model.config.elements)).to("cpu")
    assert torch.equal(model(batch).prediction, loaded(batch).prediction)
    assert torch.equal(model(batch).ga, loaded(batch).ga)
    assert loaded_target == target and card["note"] == "test" and loaded.config == model.config


def test_checkpoint_of_another_format_is_refused(tmp_path, pyridine):
    from scann_core.checkpoint import CheckpointError

    model = make_model(MOLECULE_CONFIG).float()
    save_checkpoint(tmp_path / "m.pt", model, TargetInfo("homo", "eV", 0.0, 1.0))
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="format 99"):
        load_checkpoint(tmp_path / "future.pt")


def test_readout_norm_learns_running_statistics_and_predicts_independently_of_the_batch(tmp_path, pyridine, ch4):
    model = make_model(ModelConfig(**{**vars(MOLECULE_CONFIG), "readout_norm": True}))
    graphs = [build_graph(s, model.config) for s in (pyridine, ch4)]
    batch = collate(graphs, element_lookup(model.config.elements)).to("cpu", torch.float64)
    model.train()
    trained = model(batch)  # batch statistics: the two standardised vectors are opposite
    model(collate(graphs[:1], element_lookup(model.config.elements)).to("cpu", torch.float64))  # one: no error
    assert torch.isfinite(trained.prediction).all()
    assert (model.readout_norm.running_var != 1).any() and int(model.readout_norm.num_batches_tracked) == 1
    model.eval()
    both, first = run(model, pyridine, ch4), run(model, pyridine)
    assert torch.allclose(both.prediction[:1], first.prediction, atol=1e-10)  # inference: running statistics
    assert torch.allclose(both.ga, torch.cat([first.ga, run(model, ch4).ga]), atol=1e-10)
    target = TargetInfo("homo", "eV", -6.5, 0.6)
    save_checkpoint(tmp_path / "m.pt", model.float(), target, {})
    loaded, _, _ = load_checkpoint(tmp_path / "m.pt")
    assert loaded.config.readout_norm and torch.equal(loaded.readout_norm.running_mean, model.readout_norm.running_mean)


def test_fit_readout_statistics_gives_the_exact_training_set_statistics(pyridine, ch4, benzene):
    """After the refit, inference standardises each structure vector with the mean and variance of
    the whole set, whatever the running average was; a model without readout_norm is untouched."""
    from scann_core.dataset import GraphSet
    from scann_core.train import fit_readout_statistics

    model = make_model(ModelConfig(**{**vars(MOLECULE_CONFIG), "readout_norm": True})).float()
    structures = (pyridine, ch4, benzene)
    graphs = GraphSet.from_graphs([build_graph(s, model.config) for s in structures])
    fit_readout_statistics(model, graphs, batch_size=2)  # the set spans two batches
    batch = collate([graphs[k] for k in range(3)], element_lookup(model.config.elements))
    model.eval()
    pooled = model.encode(batch)[0]
    assert torch.allclose(model.readout_norm.running_mean, pooled.mean(0), atol=1e-5)
    assert torch.allclose(model.readout_norm.running_var, pooled.var(0), rtol=1e-4, atol=1e-7)
    standardised = model._standardise(pooled)  # eval mode: the fitted statistics
    expected = (pooled - pooled.mean(0)) / torch.sqrt(pooled.var(0) + model.readout_norm.eps)
    assert torch.allclose(standardised, expected * model.readout_norm.weight + model.readout_norm.bias, atol=1e-4)
    plain = make_model(MOLECULE_CONFIG)
    before = {k: v.clone() for k, v in plain.state_dict().items()}
    fit_readout_statistics(plain, graphs)
    assert all(torch.equal(before[k], v) for k, v in plain.state_dict().items())


def test_mae_by_heavy_atoms_groups_structures_by_their_non_hydrogen_atoms(pyridine, ch4, benzene):
    from scann_core.dataset import GraphSet
    from scann_core.train import mae_by_heavy_atoms

    graphs = GraphSet.from_graphs([build_graph(s, MOLECULE_CONFIG) for s in (pyridine, ch4, benzene)])
    assert graphs.n_heavy_atoms().tolist() == [6, 1, 6]
    assert mae_by_heavy_atoms(np.array([0.1, -0.4, -0.3]), graphs) == {
        1: {"n": 1, "mae": pytest.approx(0.4), "mean_error": pytest.approx(-0.4)},
        6: {"n": 2, "mae": pytest.approx(0.2), "mean_error": pytest.approx(-0.1)}}


def test_predictor_warns_where_the_test_error_at_this_size_is_large(pyridine, ch4):
    """The card's test MAE by heavy-atom count: a warning above twice the overall MAE or for an unmeasured size."""
    from scann_core.predict import Predictor

    def predictor(mae_at_six: float, by_size: bool = True, **bias_at_six) -> Predictor:
        table = {"3": {"n": 2, "mae": 4.9}, "6": {"n": 57, "mae": mae_at_six, **bias_at_six},
                 "9": {"n": 9083, "mae": 0.4}}
        card = {"name": "tiny", "test_mae": 0.5, **({"test_mae_by_heavy_atoms": table} if by_size else {})}
        return Predictor(make_model(MOLECULE_CONFIG), TargetInfo("alpha", "bohr^3", 75.0, 8.0), card,
                         torch.device("cpu"))

    assert predictor(0.9).predict(pyridine).warnings == []  # 6 heavy atoms, 0.9 < 2 x 0.5
    assert predictor(1.5).check(pyridine) == []  # in the model's domain, just less accurate
    [note] = predictor(1.5).predict(pyridine).warnings
    assert "57 test structures with 6 heavy atoms" in note and "1.5 bohr^3, 3.0 times" in note
    assert "on average" not in note  # a card without the mean signed error says nothing about the sign
    [note] = predictor(1.5, mean_error=-0.93).predict(pyridine).warnings
    assert note.endswith("(0.5 bohr^3); on average its predictions there are 0.93 bohr^3 too low.")
    [note] = predictor(0.9).predict(ch4).warnings  # one heavy atom: no test molecule that small
    assert "No test structure has 1 heavy atom (the test set has 3 to 9)" in note
    assert predictor(1.5, by_size=False).predict(pyridine).warnings == []  # cards exported before the table: no note
