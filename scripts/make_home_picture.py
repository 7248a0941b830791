"""Render the home page's picture: thymine coloured by the shipped qm9_homo model's N*GA.

Run: python scripts/make_home_picture.py   (needs Debian's chromium and the playwright package)
Writes assets/home_thymine.png from the same viewer HTML the app shows.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from scann_core.gallery import load_gallery_structure
    from scann_core.predict import Predictor
    from scann_core.viz import ga_scale, molecule_view_html

    import numpy as np

    structure = load_gallery_structure("thymine")
    centred = structure.positions - structure.positions.mean(axis=0)
    axes = np.linalg.svd(centred, full_matrices=False)[2]  # rows: principal axes, flattest last
    structure = structure.with_positions(centred @ axes.T)  # the ring faces the camera (z)
    ga = ga_scale(Predictor.load("qm9_homo", device="cpu").predict(structure).ga, "n_times")
    html = molecule_view_html(structure, ga, height=360)
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "view.html"
        page_file.write_text(html)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 560, "height": 380})
            page.goto(page_file.as_uri())
            page.wait_for_selector("canvas", timeout=120_000)
            page.wait_for_timeout(3000)
            page.screenshot(path=str(ROOT / "assets" / "home_thymine.png"))
            browser.close()
    print("wrote assets/home_thymine.png")


if __name__ == "__main__":
    main()
