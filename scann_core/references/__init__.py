"""Quantum-chemistry references to compare global attention with (see :mod:`.orbitals`).

Nothing here imports PySCF at import time; :mod:`.orbitals` imports it inside the
functions that need it.  The package exports the public names of :mod:`.orbitals`; :mod:`.background` runs them
in a worker thread for the app.
"""
from .orbitals import *  # noqa: F401,F403 -- the names listed in orbitals.__all__
from .orbitals import __all__  # noqa: F401
