"""Attribution: the masking game, Shapley axioms, occlusion, IG completeness, curves, the report."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from scann_core.attribution import (attribution_records, attribution_report, coalition_values, deletion_curve,
                                    empty_value, exact_shapley, ga_sanity, global_attention, insertion_curve,
                                    integrated_gradients, kernel_shapley, masking_game, normalised_area, occlusion,
                                    oriented, random_scores, randomized_model, report_markdown, sampled_shapley,
                                    sampled_shapley_repeatability, shapley_values, spearman, subgraph, summarise,
                                    top_k_overlap)
from scann_core.checkpoint import TargetInfo, save_checkpoint
from scann_core.config import ModelConfig
from scann_core.graph import Graph, build_graph, collate, element_lookup
from scann_core.model import ScannModel
from scann_core.predict import Predictor

TINY = ModelConfig(elements=(1, 6, 7, 8, 9), n_blocks=2, dim=32, n_heads=4)
TARGET = TargetInfo("homo", "eV", -6.5, 0.6)
ATOL = 1e-9  # float64 model, same tolerance as TOL["float64"] in conftest.py


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These tests are small: one thread, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model() -> ScannModel:
    torch.manual_seed(0)
    return ScannModel(TINY).double().eval()


def qm9_molecule(smiles: str):
    from scann_core.data.qm9 import qm9_frame, qm9_structure

    frame = qm9_frame()
    return qm9_structure(frame[frame["SMILES"] == smiles].iloc[0])


@pytest.fixture(scope="module")
def pyridine_graph() -> Graph:
    return build_graph(qm9_molecule("C1=CC=NC=C1"), TINY)  # 11 atoms


@pytest.fixture(scope="module")
def ethanol_graph() -> Graph:
    return build_graph(qm9_molecule("CCO"), TINY)  # 9 atoms


def plain_prediction(model: ScannModel, graph: Graph) -> float:
    batch = collate([graph], element_lookup(model.config.elements)).to("cpu", torch.float64)
    with torch.no_grad():
        return float(model(batch).prediction[0]) * TARGET.std + TARGET.mean


# --- the masking game -------------------------------------------------------------------------

def test_subgraph_drops_an_atom_and_every_edge_touching_it():
    graph = Graph(numbers=np.array([6, 1, 8, 7]), positions=np.arange(12.0).reshape(4, 3),
                  edge_index=np.array([[0, 1, 0, 2, 2, 3, 3, 0], [1, 0, 2, 0, 3, 2, 0, 3]]),
                  edge_shift=np.arange(24.0).reshape(8, 3), solid_angle=np.arange(8.0))
    sub = subgraph(graph, np.array([True, False, True, True]))
    assert sub.numbers.tolist() == [6, 8, 7]
    assert np.array_equal(sub.positions, graph.positions[[0, 2, 3]])
    # edges 0-1 and 1-0 go; atoms 2, 3 become 1, 2; the other edges keep their geometry
    assert sub.edge_index.tolist() == [[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]]
    assert sub.solid_angle.tolist() == [2, 3, 4, 5, 6, 7]
    assert np.array_equal(sub.edge_shift, graph.edge_shift[2:])


def test_game_with_no_atom_removed_is_the_plain_prediction(model, pyridine_graph):
    n = len(pyridine_graph.numbers)
    value = coalition_values(model, pyridine_graph, np.ones(n, bool), TARGET)
    assert value.shape == (1,)
    assert value[0] == pytest.approx(plain_prediction(model, pyridine_graph), abs=ATOL)


def test_removing_every_atom_gives_the_training_mean(model, pyridine_graph):
    n = len(pyridine_graph.numbers)
    assert coalition_values(model, pyridine_graph, np.zeros((2, n), bool), TARGET).tolist() == [TARGET.mean] * 2
    assert empty_value(TARGET) == TARGET.mean
    assert coalition_values(model, pyridine_graph, np.zeros(n, bool)).tolist() == [0.0]  # standardised units


def test_batched_coalitions_equal_one_at_a_time(model, pyridine_graph):
    n = len(pyridine_graph.numbers)
    masks = np.random.default_rng(0).random((12, n)) < 0.6
    masks[3] = masks[7]  # a duplicate
    batched = coalition_values(model, pyridine_graph, masks, TARGET, batch_atoms=20)  # several forward passes
    single = [plain_prediction(model, subgraph(pyridine_graph, m)) if m.any() else TARGET.mean for m in masks]
    assert np.allclose(batched, single, atol=ATOL)


# --- Shapley values on a toy game -------------------------------------------------------------

def toy_game(masks: np.ndarray) -> np.ndarray:
    """Players 0 and 1 interchangeable, player 3 a dummy, player 4 only matters with player 2."""
    x = np.asarray(masks, dtype=float)
    return 1.0 + 3 * x[:, 0] * x[:, 1] + 2 * x[:, 2] + 0.5 * np.maximum(x[:, 0], x[:, 1]) * x[:, 2] \
        + 0.7 * x[:, 2] * x[:, 4]


def test_exact_shapley_symmetry_efficiency_dummy_on_a_toy_game():
    result = exact_shapley(toy_game, 5)
    phi = result.values
    assert result.exact and result.n_coalitions == 32
    assert phi[0] == pytest.approx(phi[1], abs=1e-12)  # symmetry
    assert phi[3] == pytest.approx(0.0, abs=1e-12)  # dummy
    full, empty = toy_game(np.ones((1, 5), bool))[0], toy_game(np.zeros((1, 5), bool))[0]
    assert phi.sum() == pytest.approx(full - empty, abs=1e-12)  # efficiency
    assert phi[4] == pytest.approx(0.35, abs=1e-12)  # half of the 2-player unanimity term


def test_exact_shapley_of_an_additive_plus_unanimity_game_is_known():
    phi = exact_shapley(lambda m: 3.0 * (m[:, 0] & m[:, 1]) + 2.0 * m[:, 2], 4).values
    assert np.allclose(phi, [1.5, 1.5, 2.0, 0.0], atol=1e-12)


def test_exact_shapley_refuses_too_many_players():
    with pytest.raises(ValueError, match="sampled_shapley"):
        exact_shapley(toy_game, 15)


def test_sampled_shapley_is_efficient_and_exact_for_a_dummy():
    result = sampled_shapley(toy_game, 5, n_permutations=10, seed=3)
    assert result.estimator == "permutation" and result.n_samples == 10
    assert result.values.sum() == pytest.approx(toy_game(np.ones((1, 5), bool))[0] - 1.0, abs=1e-12)
    assert result.values[3] == 0.0 and result.standard_error[3] == 0.0
    again = sampled_shapley(toy_game, 5, n_permutations=10, seed=3)
    assert np.array_equal(result.values, again.values)  # fixed seed


# --- Shapley values on a molecule -------------------------------------------------------------

def test_molecule_shapley_values_sum_to_prediction_minus_training_mean(model, pyridine_graph):
    result = shapley_values(model, pyridine_graph, TARGET)
    assert result.exact
    assert result.values.sum() == pytest.approx(plain_prediction(model, pyridine_graph) - TARGET.mean, abs=ATOL)


def test_sampled_shapley_converges_to_exact_on_a_small_molecule(model, ethanol_graph):
    n = len(ethanol_graph.numbers)
    game = masking_game(model, ethanol_graph, TARGET)
    exact = exact_shapley(game, n).values

    def error(result) -> float:
        return np.linalg.norm(result.values - exact) / np.linalg.norm(exact)

    permutation = {p: sampled_shapley(game, n, n_permutations=p, seed=0) for p in (8, 64, 512)}
    kernel = {p: kernel_shapley(game, n, n_samples=p * (n + 1), seed=0) for p in (8, 64, 512)}
    for results in (permutation, kernel):
        assert error(results[512]) < error(results[64]) < error(results[8])
        assert error(results[512]) < 0.3
        assert results[512].values.sum() == pytest.approx(exact.sum(), abs=ATOL)
    big = permutation[512]
    assert np.all(np.abs(big.values - exact) < 5 * big.standard_error + 1e-12)  # the error estimate is honest


def test_sampled_shapley_repeatability(model, pyridine_graph):
    same = sampled_shapley_repeatability(model, pyridine_graph, None, seeds=(3, 3), n_permutations=16)
    assert same == {"repeat_spearman": pytest.approx(1.0), "repeat_topk": pytest.approx(1.0)}
    many = sampled_shapley_repeatability(model, pyridine_graph, None, n_permutations=2048)
    few = sampled_shapley_repeatability(model, pyridine_graph, None, n_permutations=2)
    assert many["repeat_spearman"] > 0.9 and many["repeat_spearman"] > few["repeat_spearman"]


def test_kernel_shapley_is_exact_for_an_additive_game():
    result = kernel_shapley(additive([0.5, -1.0, 2.0, 0.0, 3.0]), 5, n_samples=40, seed=1)
    assert result.estimator == "kernel"
    assert np.allclose(result.values, [0.5, -1.0, 2.0, 0.0, 3.0], atol=1e-10)
    assert np.allclose(result.standard_error, 0.0, atol=1e-10)


# --- occlusion and integrated gradients -------------------------------------------------------

def test_occlusion_is_prediction_minus_prediction_without_the_atom(model, pyridine_graph):
    n = len(pyridine_graph.numbers)
    full = plain_prediction(model, pyridine_graph)
    expected = [full - plain_prediction(model, subgraph(pyridine_graph, np.arange(n) != i)) for i in range(n)]
    assert np.allclose(occlusion(model, pyridine_graph, TARGET), expected, atol=ATOL)


def test_integrated_gradients_is_complete(model, pyridine_graph):
    result = integrated_gradients(model, pyridine_graph, TARGET, n_steps=64)
    assert result.attributions.shape == (len(pyridine_graph.numbers),)
    assert result.prediction == pytest.approx(plain_prediction(model, pyridine_graph), abs=ATOL)
    span = result.prediction - result.baseline_prediction
    assert abs(result.completeness_error) < 1e-4 * abs(span)
    assert result.attributions.sum() == pytest.approx(span, rel=1e-4)


def test_integrated_gradients_agrees_with_captum(model, pyridine_graph):
    captum = pytest.importorskip("captum.attr")
    n = len(pyridine_graph.numbers)
    lookup = element_lookup(model.config.elements)
    single = collate([pyridine_graph], lookup).to("cpu", torch.float64)
    h0 = torch.nn.functional.silu(model.atom_projection(model.embedding(single.species))).detach()

    def forward(embeddings: torch.Tensor) -> torch.Tensor:  # (k, n, dim) -> (k,) standardised predictions
        batch = collate([pyridine_graph] * embeddings.shape[0], lookup).to("cpu", torch.float64)
        handle = model.atom_dropout.register_forward_hook(lambda m, i, o: embeddings.reshape(-1, o.shape[-1]))
        try:
            return model(batch).prediction
        finally:
            handle.remove()

    reference = captum.IntegratedGradients(forward).attribute(h0[None], baselines=torch.zeros_like(h0[None]),
                                                               n_steps=64, method="gausslegendre")
    ours = integrated_gradients(model, pyridine_graph, None, n_steps=64).attributions
    assert np.allclose(ours, reference[0].sum(-1).numpy(), atol=1e-8)
    assert ours.shape == (n,)


# --- metrics ----------------------------------------------------------------------------------

def additive(weights):
    weights = np.asarray(weights, dtype=float)
    return lambda masks: np.asarray(masks, dtype=float) @ weights


def test_deletion_and_insertion_curves_on_a_hand_built_game():
    game, w = additive([3.0, 1.0, 2.0, 0.0]), np.array([3.0, 1.0, 2.0, 0.0])
    deletion = deletion_curve(game, w)  # removes 0, then 2, then 1, then 3
    insertion = insertion_curve(game, w)
    assert deletion.tolist() == [6, 3, 1, 0, 0]
    assert insertion.tolist() == [0, 3, 5, 6, 6]
    # trapezoid areas of [1, 1/2, 1/6, 0, 0] and [0, 1/2, 5/6, 1, 1] over x = 0, 1/4, ..., 1
    assert normalised_area(deletion, 6.0, 0.0) == pytest.approx((1 / 2 + 1 / 2 + 1 / 6) / 4)
    assert normalised_area(insertion, 6.0, 0.0) == pytest.approx((1 / 2 + 5 / 6 + 1 + 1 / 2) / 4)
    reversed_order = deletion_curve(game, -w)  # the worst order removes the dummy first
    assert reversed_order.tolist() == [6, 6, 5, 3, 0]
    several = deletion_curve(game, np.stack([w, -w]))
    assert np.array_equal(several, np.stack([deletion, reversed_order]))


def test_random_orders_sit_between_the_best_and_the_worst():
    game, w = additive([3.0, 1.0, 2.0, 0.0, 0.5, 0.0]), np.array([3.0, 1.0, 2.0, 0.0, 0.5, 0.0])
    full = w.sum()
    best = normalised_area(deletion_curve(game, w), full, 0.0)
    worst = normalised_area(deletion_curve(game, -w), full, 0.0)
    random = normalised_area(deletion_curve(game, random_scores(6, 200, seed=1)), full, 0.0).mean()
    assert best < random < worst
    assert random == pytest.approx(0.5, abs=0.05)  # for an additive game a random order scores 1/2 on average


def test_orientation_agreement_and_top_k():
    assert oriented(np.array([1.0, -2.0]), -7.0, -6.5).tolist() == [-1.0, 2.0]
    assert spearman(np.arange(5), np.arange(5) ** 2) == pytest.approx(1.0)
    assert spearman(np.arange(5), -np.arange(5)) == pytest.approx(-1.0)
    assert np.isnan(spearman(np.ones(4), np.arange(4)))
    assert top_k_overlap(np.array([5, 4, 3, 2, 1]), np.array([5, 1, 4, 2, 3]), 2) == 0.5
    tied = np.array([1.0, 1.0, 1.0, 1.0, 0.5, 0.5])  # a class of four cut by the 3rd place
    assert top_k_overlap(tied, tied, 3) == 1.0
    assert top_k_overlap(tied, np.array([0.9, 0.9, 0.9, 0.9, 1.0, 1.0]), 3) == pytest.approx(1 / 3)
    rand = random_scores(10, 400, seed=0)
    assert np.mean([top_k_overlap(r, np.arange(10), 3) for r in rand]) == pytest.approx(0.3, abs=0.05)


def test_rank_metrics_average_over_symmetry_equivalent_atoms(model, pyridine_graph):
    """Noise between equivalent atoms is not ranked: the metrics compare class means, are unchanged by
    noise that keeps the class means, and are nan when every atom is equivalent."""
    from dataclasses import replace

    from scann_core.attribution import explain_graph, structure_metrics
    from scann_core.symmetry import class_means, symmetry_classes

    classes = symmetry_classes(qm9_molecule("C1=CC=NC=C1"))
    assert len(classes) == 7  # C2v pyridine: N, para C, ortho and meta C pairs, three H classes
    explained = explain_graph(model, pyridine_graph, TARGET, ig_steps=16)
    options = dict(n_random=3, sanity_seeds=(0,))
    even = structure_metrics(model, pyridine_graph, TARGET, explained, classes=classes, **options)
    occlusion_row = even[1]
    magnitude = lambda method: class_means(explained.magnitude(method), classes)  # noqa: E731
    assert occlusion_row["spearman_ga"] == pytest.approx(spearman(magnitude("ga"), magnitude("occlusion")))
    assert occlusion_row["symmetry_classes"] == 7

    pair = next(c for c in classes if len(c) == 2)
    occlusion_values = explained.attributions["occlusion"]
    noise = np.zeros_like(occlusion_values)
    lower_ga_first = pair[np.argsort(explained.attributions["ga"][pair])]
    noise[lower_ga_first] = np.array([0.2, -0.2]) * np.abs(occlusion_values[pair]).min()  # same mean magnitude
    noisy_occlusion = np.sign(occlusion_values) * (np.abs(occlusion_values) + noise)
    noisy = replace(explained, attributions={**explained.attributions, "occlusion": noisy_occlusion})
    again = structure_metrics(model, pyridine_graph, TARGET, noisy, classes=classes, **options)[1]
    for key in ("spearman_ga", "topk_ga", "spearman_shapley", "topk_shapley"):
        assert again[key] == pytest.approx(occlusion_row[key], nan_ok=True)

    raw = structure_metrics(model, pyridine_graph, TARGET, explained, **options)[1]
    raw_noisy = structure_metrics(model, pyridine_graph, TARGET, noisy, **options)[1]
    assert raw_noisy["spearman_ga"] != pytest.approx(raw["spearman_ga"])  # without averaging the noise counts
    assert raw["spearman_ga"] == pytest.approx(spearman(explained.magnitude("ga"), explained.magnitude("occlusion")))
    assert raw["symmetry_classes"] == len(pyridine_graph.numbers)
    assert raw["deletion_area"] == pytest.approx(occlusion_row["deletion_area"])  # curves use the raw scores

    one_class = structure_metrics(model, pyridine_graph, TARGET, explained, classes=[np.arange(11)], **options)[1]
    assert np.isnan(one_class["spearman_ga"]) and np.isnan(one_class["topk_shapley_random"])
    assert np.isnan(one_class["sanity_spearman"]) and np.isfinite(one_class["deletion_area"])


def test_randomised_model_sanity_check(model, pyridine_graph):
    state = torch.random.get_rng_state()
    fresh, again = randomized_model(model, 1), randomized_model(model, 1)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG is left alone
    assert fresh.config == model.config and next(fresh.parameters()).dtype == torch.float64
    assert torch.equal(fresh.readout[0].weight, again.readout[0].weight)  # reproducible from the seed
    assert not torch.equal(fresh.readout[0].weight, model.readout[0].weight)
    rho = ga_sanity(model, pyridine_graph, seeds=(0, 1))
    assert -1.0 <= rho <= 1.0
    assert global_attention(model, pyridine_graph).sum() == pytest.approx(1.0, abs=1e-12)


# --- the report -------------------------------------------------------------------------------

def test_seed_noise_floor_compares_ga_of_two_trainings(model):
    """The floor is GA against GA of another model of the same target: 1 for the model itself."""
    from scann_core.symmetry import class_means, symmetry_classes

    torch.manual_seed(1)
    other = ScannModel(TINY).double().eval()
    structures = [qm9_molecule("C1=CC=NC=C1"), qm9_molecule("CCO")]
    predictor = Predictor(model, TARGET, {"name": "tiny"}, torch.device("cpu"))
    options = dict(n_random=2, sanity_methods=(), n_permutations=8, max_exact=0)

    itself = summarise(attribution_records(structures, predictor, seed_predictor=predictor, **options))
    assert itself["seed_spearman"].tolist() == pytest.approx([1.0] * 4)
    assert itself["seed_topk"].tolist() == pytest.approx([1.0] * 4)

    second = Predictor(other, TARGET, {}, torch.device("cpu"))
    records = attribution_records(structures, predictor, seed_predictor=second, **options)
    ga = records[records["method"] == "ga"]
    for (_, row), structure in zip(ga.iterrows(), structures):  # Spearman of the symmetry-class means
        classes = symmetry_classes(structure)
        first_ga, second_ga = (class_means(global_attention(m, build_graph(structure, TINY)), classes)
                               for m in (model, other))
        assert row["ga_seed_spearman"] == pytest.approx(spearman(first_ga, second_ga))
        assert abs(row["ga_seed_spearman"]) < 1
    text = report_markdown(summarise(records))
    assert "GA seed-to-seed noise floor" in text


def test_report_table_and_script(tmp_path, ch4):
    from scann_core.data.qm9 import qm9_frame, qm9_structure

    torch.manual_seed(0)
    small = ScannModel(TINY).eval()
    predictor = Predictor(small, TARGET, {"name": "tiny"}, torch.device("cpu"))
    structures = [ch4, qm9_structure(qm9_frame().iloc[2])]  # CH4, H2O
    table = attribution_report(structures, predictor, n_random=4, sanity_seeds=(0,))
    assert list(table.index) == ["GA", "occlusion", "integrated gradients", "Shapley"]
    assert "seed_spearman" not in table and "noise floor" not in report_markdown(table)
    assert (table["n_structures"] == 2).all()
    assert table.loc["GA", "spearman_ga"] == pytest.approx(1.0)
    assert table.loc["Shapley", "topk_shapley"] == pytest.approx(1.0)
    for metric in ("deletion_area", "insertion_area", "spearman_ga", "sanity_spearman"):
        assert f"{metric}_random" in table.columns
    text = report_markdown(table)
    assert "| Shapley |" in text and "random" in text

    per_atom = []
    records = attribution_records(structures, predictor, n_random=2, sanity_seeds=(0,), n_permutations=2048,
                                  per_atom=per_atom)
    assert [len(atoms) for atoms in per_atom] == [5, 3]
    methane = per_atom[0]
    assert methane["z"].tolist() == [6, 1, 1, 1, 1] and methane["ga"].sum() == pytest.approx(1.0)
    assert methane["symmetry_class"].nunique() == 2  # Td: the carbon, and four equivalent hydrogens
    assert (methane["shapley_standard_error"] == 0).all()  # exact
    check = records[records["method"] == "shapley"]  # both are small: exact values, and the sampled check
    assert check["shapley_exact"].all() and (check["sampled_vs_exact_max_error"] < 0.3).all()
    assert records.loc[records["method"] != "shapley", "sampled_vs_exact_spearman"].isna().all()

    checkpoint = tmp_path / "tiny.pt"
    save_checkpoint(checkpoint, small, TARGET, {"name": "tiny"})
    out = tmp_path / "ATTRIBUTION.md"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, str(root / "scripts" / "attribution_report.py"), "--model", str(checkpoint),
                    "--n", "1", "--out", str(out), "--threads", "1", "--n-random", "2", "--permutations", "4",
                    "--atoms", str(tmp_path / "atoms.csv.gz"), "--seed-model", str(checkpoint)],
                   check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"},
                   capture_output=True)
    assert "| integrated gradients |" in out.read_text()
    assert "noise floor:** the GA of two trainings of this model from different seeds agree at Spearman 1.000" in (
        out.read_text())  # a model is its own perfect seed
    import pandas as pd

    atoms = pd.read_csv(tmp_path / "atoms.csv.gz")
    assert list(atoms.columns[:4]) == ["structure", "atom", "z", "symmetry_class"] and atoms["structure"].nunique() == 1

    save_checkpoint(checkpoint, small, TARGET, {"name": "tiny", "kind": "molecule", "max_train_atoms": 20})
    subprocess.run([sys.executable, str(root / "scripts" / "attribution_report.py"), "--model", str(checkpoint),
                    "--structures", "gallery", "--out", str(out), "--threads", "1", "--n-random", "2",
                    "--permutations", "4", "--max-exact", "6"],
                   check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"},
                   capture_output=True)
    text = out.read_text()
    assert "8 structures: the 8 gallery structures inside the model's domain (thymine," in text
    assert "C60" not in text and "| Shapley |" in text
    assert text.index("## Importance by element") < text.index("## Heavy atoms only") < text.index("## Notes")

    done = subprocess.run([sys.executable, str(root / "scripts" / "shapley_repeatability.py"), "--model",
                           str(checkpoint), "--draw", "20", "--n", "2", "--permutations", "8", "--threads", "1"],
                          check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"},
                          capture_output=True, text=True)
    assert "2 structures of" in done.stdout and "Spearman" in done.stdout
