"""Datasets: QM9 from the ``qm9pack`` wheel and the project's generated, labelled structure sets."""
