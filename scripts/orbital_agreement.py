"""GA of the shipped orbital models against the per-atom weight of their DFT orbital, per gallery molecule.

Run: python scripts/orbital_agreement.py > docs/ORBITAL_AGREEMENT.md
For every gallery molecule with a shipped B3LYP reference (assets/orbitals) and every shipped
qm9_homo / qm9_lumo model: Spearman rho between GA and the Lowdin weight of that orbital level
(summed over a degenerate level), and the top-3 overlap, beside what random atom scores give.
"""
from __future__ import annotations

import numpy as np


def main() -> None:
    from scann_core.attribution.metrics import spearman, top_k_overlap
    from scann_core.gallery import gallery_entries, load_gallery_structure
    from scann_core.predict import Predictor, available_models
    from scann_core.references import shipped_reference

    rng = np.random.default_rng(0)
    print("# GA against the DFT frontier orbitals (gallery molecules)\n")
    print("Per-atom weight: Lowdin population of the B3LYP/6-31G(2df,p) orbital level (summed over degenerate "
          "orbitals), from the shipped references in assets/orbitals. Random: mean over 200 random atom scores.\n")
    for name in (m for m in available_models() if m in ("qm9_homo", "qm9_lumo")):
        predictor = Predictor.load(name, device="cpu")
        level = predictor.target.name
        card = predictor.card
        print(f"## {name} (test MAE {1000 * card['test_mae']:.1f} meV{', preliminary' if card['preliminary'] else ''})\n")
        print(f"| molecule | atoms | Spearman GA vs {level.upper()} weight | random | top-3 overlap | random |")
        print("|---|---:|---:|---:|---:|---:|")
        rhos = []
        for entry in gallery_entries():
            structure = load_gallery_structure(entry.key)
            reference = shipped_reference(structure)
            if reference is None:
                continue
            ga, weights = predictor.predict(structure).ga, reference.weights(level)
            rho, overlap = spearman(ga, weights), top_k_overlap(ga, weights, 3)
            noise = [rng.random(len(ga)) for _ in range(200)]
            random_rho = np.nanmean([spearman(x, weights) for x in noise])
            random_overlap = np.mean([top_k_overlap(x, weights, 3) for x in noise])
            rhos.append(rho)
            print(f"| {entry.title} | {structure.n_atoms} | {rho:.2f} | {random_rho:.2f} | {overlap:.2f} | "
                  f"{random_overlap:.2f} |")
        print(f"\nMean Spearman over {len(rhos)} molecules: {np.nanmean(rhos):.2f}.\n")


if __name__ == "__main__":
    main()
