"""The package's public surface: cheap to import, every advertised name resolves."""
from __future__ import annotations

import subprocess
import sys


def test_import_runs_nothing_heavy():
    code = "import sys, scann_core; print(sorted(m for m in ('torch', 'pymatgen', 'rdkit', 'streamlit') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_resolves():
    import scann_core

    for name in scann_core.__all__:
        assert getattr(scann_core, name) is not None, name
