"""Where things live: the bundled assets, and the data the package makes at run time (never
inside the repository)."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["REPO_ROOT", "ASSETS", "cache_dir"]

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS = REPO_ROOT / "assets"  # bundled data: 3Dmol.js, the gallery, orbital cubes, generated datasets


def cache_dir(*parts: str) -> Path:
    """``$SCANN_CACHE`` (default ``~/.cache/scann``) joined with ``parts``: featurised data,
    training runs, orbital references and dataset-generation state live below it."""
    return Path(os.environ.get("SCANN_CACHE", Path.home() / ".cache" / "scann"), *parts)
