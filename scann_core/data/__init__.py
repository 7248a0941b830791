"""Datasets: QM9 from the ``qm9pack`` wheel."""
