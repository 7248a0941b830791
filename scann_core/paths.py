"""Where the package keeps data it makes at run time (never inside the repository)."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(*parts: str) -> Path:
    """``$SCANN_CACHE`` (default ``~/.cache/scann``) joined with ``parts``: featurised data,
    training runs, orbital references and dataset-generation state live below it."""
    return Path(os.environ.get("SCANN_CACHE", Path.home() / ".cache" / "scann"), *parts)
