"""Upload-to-coloured-view latency (warm), the work the Explore page does per structure.

Run: python bench/app_latency.py > docs/app_latency.json
Steps timed: parse the uploaded bytes, predict with the shipped qm9_homo model, build the 3D
view HTML with per-atom colours. "Warm" means the model is loaded and one structure has
already gone through, as in a running app.
"""
from __future__ import annotations

import json
import os
import time

import numpy as np


def main() -> None:
    from scann_core.gallery import GALLERY_DIR, load_gallery_structure
    from scann_core.io import load_structure
    from scann_core.predict import Predictor
    from scann_core.viz import ga_scale, molecule_view_html

    predictor = Predictor.load("qm9_homo")

    def upload_to_view(data: bytes, name: str) -> None:
        structure = load_structure(data, name=name)
        prediction = predictor.predict(structure)
        molecule_view_html(structure, ga_scale(prediction.ga, "n_times"))

    def gallery_to_view(key: str) -> None:
        structure = load_gallery_structure(key)
        prediction = predictor.predict(structure)
        molecule_view_html(structure, ga_scale(prediction.ga, "n_times"))

    record = {"load_average_at_start": os.getloadavg()[0], "device": predictor.device.type}
    for key in ("thymine", "C70"):
        data = (GALLERY_DIR / f"{key}.xyz").read_bytes()
        upload_to_view(data, f"{key}.xyz")  # warm-up
        times = []
        for _ in range(5):
            start = time.perf_counter()
            upload_to_view(data, f"{key}.xyz")
            times.append(time.perf_counter() - start)
        record[f"upload_to_view_s_{key}"] = float(np.median(times))
        gallery_to_view(key)
        start = time.perf_counter()
        gallery_to_view(key)
        record[f"gallery_to_view_s_{key}"] = time.perf_counter() - start
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
