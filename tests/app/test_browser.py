"""End to end: `streamlit run app.py` in a subprocess, driven by Debian's Chromium via playwright.

No network is used: the 3D viewer's 3Dmol.js is inline. Skipped only when there is no
`chromium` executable (the `playwright` package itself is required; never let it
download a browser).
"""
from __future__ import annotations

import re

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
TIMEOUT_MS = 150_000  # software WebGL on 2 busy cores can take a minute and more

ETHANOL_XYZ = b"""9
ethanol
C  -0.0487  1.3758  0.0000
C   0.0487 -0.1483  0.0000
O   1.4218 -0.5434  0.0000
H  -1.0931  1.6828  0.0000
H   0.4398  1.7927  0.8809
H   0.4398  1.7927 -0.8809
H  -0.4398 -0.5650  0.8809
H  -0.4398 -0.5650 -0.8809
H   1.4857 -1.5112  0.0000
"""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable (apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path_factory, launcher: list[str]):
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           "SCANN_CACHE": str(tmp_path_factory.mktemp("cache"))}  # no reference computed before
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *launcher, "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with the real back end (whatever models and gallery exist now)."""
    yield from _serve(tmp_path_factory, ["-m", "streamlit"])


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory):
    """The app with the fake gallery and predictor of fakes.py (known GA, always a model)."""
    yield from _serve(tmp_path_factory, [str(Path(__file__).with_name("fake_server.py"))])


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _no_exception(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, shown.first.inner_text()[:2000]


def _no_page_not_found(page) -> None:
    assert page.get_by_text("Page not found").count() == 0


def _settle(page) -> None:
    """Wait for the app shell, then for the script run to finish."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !/running/i.test(w.innerText);
        }""", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !/running/i.test(w.innerText);
        }""", timeout=TIMEOUT_MS)


def _choose(page, widget, option: str) -> None:
    """Pick ``option`` in a select box or multiselect and wait until the widget shows it.

    A click that lands while Streamlit is still rebuilding the widget can be lost, so the pick is
    retried (a few times) until the widget shows the option (as a chip, or as its input's value).
    """
    shows = """([el, text]) => el.innerText.includes(text)
        || [...el.querySelectorAll('input')].some(i => i.value === text)"""
    for _ in range(4):
        _settle(page)
        if widget.evaluate(f"(el, text) => ({shows})([el, text])", option):
            return
        widget.click(timeout=TIMEOUT_MS)
        page.get_by_role("option", name=option, exact=True).click(timeout=TIMEOUT_MS)
        page.keyboard.press("Escape")
        try:
            page.wait_for_function(shows, arg=[widget.element_handle(), option], timeout=20_000)
        except Exception:  # noqa: BLE001 -- the pick was lost; try again
            continue
    _settle(page)
    if not widget.evaluate(f"(el, text) => ({shows})([el, text])", option):
        raise AssertionError(f"could not choose {option!r}; the widget shows {widget.inner_text()!r}")


def _wait_for_text(page, text: str, failure: str) -> None:
    """Wait until ``text`` shows and the run settles; else fail with ``failure`` and what the page reads."""
    try:
        page.get_by_text(text).wait_for(timeout=TIMEOUT_MS)
    except Exception as exc:  # noqa: BLE001 -- say what the page showed instead
        main = page.locator('[data-testid="stMain"]').inner_text()[:1500]
        raise AssertionError(f"{failure}; the page reads: {main}") from exc
    _settle(page)
    _no_exception(page)


def _drawn_frames(page) -> list:
    """The iframes whose 3Dmol viewer has its canvas now."""
    drawn = []
    for frame in page.frames:
        try:
            if frame is not page.main_frame and frame.query_selector("div[id^='3dmolviewer_'] canvas"):
                drawn.append(frame)
        except Exception:  # noqa: BLE001 -- frames come and go while Streamlit reruns
            pass
    return drawn


def _viewer_frame(page):
    """The iframe that holds a 3Dmol viewer, once its canvas exists."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame is page.main_frame:
                continue
            try:
                if frame.query_selector("div[id^='3dmolviewer_'] canvas"):
                    return frame
            except Exception:  # noqa: BLE001 -- frames come and go while Streamlit reruns
                pass
        page.wait_for_timeout(500)
    raise AssertionError("no 3D viewer canvas appeared")


def test_home_page(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(server, timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    page.get_by_text("What is global attention (GA)?").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    page.locator('[data-testid="stMain"]').get_by_text("Explore a structure").click()
    page.get_by_role("heading", name="Explore a structure").wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)
    page.close()


def _open(browser, url: str, height: int = 1400):
    """A new page at ``url``, settled and checked (found, no exception); returns it with the list
    that collects its JavaScript errors."""
    page = browser.new_page(viewport={"width": 1300, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, timeout=TIMEOUT_MS)
    _settle(page)
    _no_page_not_found(page)
    _no_exception(page)
    return page, errors


def _upload(page, path: Path, content: bytes, caption: str) -> None:
    """Upload ``content`` as the file ``path`` on the Explore page and wait for its ``caption``."""
    page.locator('[data-testid="stSidebar"]').get_by_text("Upload a file").click()
    _settle(page)
    path.write_bytes(content)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text(caption).wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    _no_exception(page)


def test_explore_upload_renders_coloured_3d_view(server, browser, tmp_path):
    page, errors = _open(browser, f"{server}/Explore")
    _upload(page, tmp_path / "ethanol.xyz", ETHANOL_XYZ, "C2H6O · 9 atoms")

    frame = _viewer_frame(page)
    assert frame.query_selector("[id^='3dmolwarning_']") is None  # py3Dmol's "failed to load" note is gone
    atoms = frame.evaluate(
        """() => {
            const key = Object.keys(window).find(k => k.startsWith('viewer_scann'));
            const v = window[key];
            return v.getModel().selectedAtoms({}).map(a => [a.elem, a.style.sphere.color]);
        }""")
    assert [a[0] for a in atoms] == ["C", "C", "O", "H", "H", "H", "H", "H", "H"]
    assert all(isinstance(a[1], str) and a[1].startswith("#") for a in atoms)
    if page.locator('[data-testid="stMetric"]').count():  # a shipped model exists: check its GA colours
        from scann_core.app_support import models_for
        from scann_core.io import load_structure
        from scann_core.predict import Predictor, available_models
        from scann_core.viz import colors_for, value_range

        ethanol = load_structure(ETHANOL_XYZ, name="ethanol.xyz")
        default_model = models_for(available_models(), ethanol)[0]  # what the page opens with
        ga = Predictor.load(default_model, device="cpu").predict(ethanol).ga
        expected = colors_for(ga, *value_range(ga))

        def rgb(c):
            return [int(c[i:i + 2], 16) for i in (1, 3, 5)]

        # within 2/255 per channel: the server may run the model on a GPU, this check on the CPU
        for got, want in zip(atoms, expected):
            assert max(abs(a - b) for a, b in zip(rgb(got[1]), rgb(want))) <= 2, (got, want)
    canvas = frame.query_selector("canvas")
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    page.wait_for_timeout(1500)  # let WebGL draw before the picture
    page.screenshot(path=str(tmp_path / "explore.png"), full_page=True)
    assert not [e for e in errors if "3Dmol" in e or "viewer_" in e], errors
    page.close()


def test_explore_reference_computes_in_the_background(server, browser, tmp_path):
    """Start a B3LYP reference for an uploaded molecule: the page shows the running SCF, stays usable,
    and brings in the orbital view on its own when the calculation ends."""
    page, errors = _open(browser, f"{server}/Explore")
    _upload(page, tmp_path / "ethanol.xyz", ETHANOL_XYZ, "C2H6O · 9 atoms")
    main = page.locator('[data-testid="stMain"]')
    _choose(page, main.locator('[data-testid="stSelectbox"]').filter(has_text="Basis set").first,
            "STO-3G (fast, rough)")
    main.get_by_role("button", name="Compute B3LYP reference").click()
    page.get_by_text("SCF energy").wait_for(timeout=TIMEOUT_MS)  # no click needed: the page reruns itself
    _settle(page)
    _no_exception(page)
    assert main.get_by_text("STO-3G").count() >= 1
    views = [f for f in page.frames if f is not page.main_frame and f.query_selector("div[id^='3dmolviewer_'] canvas")]
    orbital = [f for f in views if "addVolumetricData(cube" in f.content()]
    ga_view = [f for f in views if "addVolumetricData(cube" not in f.content()]
    assert len(orbital) == 1 and len(ga_view) == 1
    # the two views turn together: a turn of the GA view is applied to the orbital view
    viewer = "window[Object.keys(window).find(k => k.startsWith('viewer_scann'))]"
    before = orbital[0].evaluate(f"() => {viewer}.getView()")
    ga_view[0].evaluate(f"() => {{ const v = {viewer}; v.rotate(60, 'y'); v.render(); }}")
    turned, followed = ga_view[0].evaluate(f"() => {viewer}.getView()"), orbital[0].evaluate(f"() => {viewer}.getView()")
    hub = page.evaluate("() => Object.fromEntries(Object.entries(window.__scannLinks || {}).map(([k, v]) => [k, v.length]))")
    assert followed == pytest.approx(turned, abs=1e-6) and followed != pytest.approx(before, abs=1e-3), (before, turned, followed, hub)
    page.screenshot(path=str(tmp_path / "reference.png"), full_page=True)
    assert not [e for e in errors if "3Dmol" in e or "viewer_" in e], errors
    page.close()


def test_explore_gallery_colours_atoms_by_ga(fake_server, browser, tmp_path):
    """Methane from the fake gallery: atom colours in the live viewer are the GA colours."""
    from scann_core.viz import colors_for, value_range

    from .fakes import FAKE_VALUE, METHANE, fake_ga

    page = browser.new_page(viewport={"width": 1300, "height": 1600})
    page.goto(f"{fake_server}/Explore", timeout=TIMEOUT_MS)
    _settle(page)
    _no_page_not_found(page)
    _no_exception(page)
    page.get_by_text(f"{FAKE_VALUE:.4g} eV").wait_for(timeout=TIMEOUT_MS)
    frame = _viewer_frame(page)
    colours = frame.evaluate(
        """() => {
            const key = Object.keys(window).find(k => k.startsWith('viewer_scann'));
            return window[key].getModel().selectedAtoms({}).map(a => a.style.sphere.color);
        }""")
    ga = fake_ga(METHANE)
    assert colours == colors_for(ga, *value_range(ga))
    assert len(set(colours)) == 2  # carbon and the four equivalent hydrogens
    # the colour bar and the per-atom bar chart are drawn (plotly SVG)
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(tmp_path / "explore_ga.png"), full_page=True)
    page.close()


def test_explore_crystal_unit_cell_and_supercell(fake_server, browser, tmp_path):
    """NaCl from a CIF upload: 3Dmol keeps the site order, colours follow GA, images copy them."""
    from scann_core.io import load_structure
    from scann_core.viz import colors_for, value_range

    from .fakes import NACL_CIF, fake_ga

    page = browser.new_page(viewport={"width": 1300, "height": 1400})
    page.goto(f"{fake_server}/Explore", timeout=TIMEOUT_MS)
    _settle(page)
    _upload(page, tmp_path / "nacl.cif", NACL_CIF, "ClNa · 2 atoms")
    script = """() => {
        const key = Object.keys(window).find(k => k.startsWith('viewer_scann'));
        const m = window[key].getModel();
        return [m.selectedAtoms({}).map(a => [a.elem, a.style.sphere.color]), !!m.getCrystData()];
    }"""
    atoms, has_cell = _viewer_frame(page).evaluate(script)
    ga = fake_ga(load_structure(NACL_CIF, name="nacl.cif"))
    expected = colors_for(ga, *value_range(ga))
    assert has_cell
    assert atoms == [["Na", expected[0]], ["Cl", expected[1]]]
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Cells shown").click()
    page.get_by_role("option", name="2×2×2").click()
    _settle(page)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:  # the iframe is rebuilt with the new HTML
        try:
            atoms, _ = _viewer_frame(page).evaluate(script)
        except Exception:  # noqa: BLE001 -- the old frame went away mid-call
            atoms = []
        if len(atoms) == 16:
            break
        page.wait_for_timeout(500)
    assert len(atoms) == 16
    assert [a for a in atoms[:2]] == [["Na", expected[0]], ["Cl", expected[1]]]
    assert sorted(map(tuple, atoms)) == sorted([("Na", expected[0]), ("Cl", expected[1])] * 8)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(tmp_path / "crystal.png"), full_page=True)
    page.close()


def test_smfe12_co_on_an_8i_site(server, browser, tmp_path):
    """The SmFe12 page with the shipped crystal model: substitute Co on an 8i site in variant A and
    see its formation energy, its dataset twin, the ringed site in a drawn 3D view and the map."""
    page, errors = _open(browser, f"{server}/SmFe12_sites", height=1600)
    main = page.locator('[data-testid="stMain"]')
    _choose(page, main.locator('[data-testid="stSelectbox"]').filter(has_text="Substituent").first, "Co")
    _choose(page, main.locator('[data-testid="stMultiSelect"]').filter(has_text="Fe sites to substitute").first,
            "Fe 11 · 8i")
    _wait_for_text(page, "CHGNet E_f of Co10 (meV/atom)", "no dataset twin shown")
    assert main.get_by_text("Predicted E_f (meV/atom)").count() == 2
    ringed = [f for f in page.frames
              if f is not page.main_frame and re.search(r"viewer_\w+\.addSphere", f.content() or "")]
    assert ringed, "the substituted site is not ringed in any 3D view"
    canvas = _viewer_frame(page).query_selector("canvas").bounding_box()
    assert canvas and canvas["width"] > 100
    assert page.locator(".js-plotly-plot").count() >= 2  # colour bar and the dataset map
    page.wait_for_timeout(1500)
    page.screenshot(path=str(tmp_path / "smfe12.png"), full_page=True)
    assert not [e for e in errors if "3Dmol" in e or "viewer_" in e], errors
    page.close()


def test_pt_graphene_snapshot_beside_its_references(server, browser, tmp_path):
    """The Pt page with the shipped dataset and model: a test snapshot's sheet coloured by GA beside
    the bond-elongation reference, both drawn, with the agreement table and the scatter."""
    page, errors = _open(browser, f"{server}/Pt_on_graphene", height=1800)
    main = page.locator('[data-testid="stMain"]')
    _wait_for_text(page, "Does GA rank the carbons like the references?", "no GA agreement shown")
    for text in ("Predicted", "Over all test snapshots"):  # wait: a rerun can rebuild the page meanwhile
        main.get_by_text(text).first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    assert main.get_by_text("Over all test snapshots").count() == 1
    assert "None" not in main.inner_text().split()  # no stray value written by Streamlit's magic
    deadline = time.monotonic() + TIMEOUT_MS / 1000  # software WebGL draws late on a busy machine
    while (drawn := len(_drawn_frames(page))) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert drawn == 2, "the GA view and the reference view should both be drawn"
    assert page.locator(".js-plotly-plot").count() >= 3  # two colour bars and the scatter
    page.wait_for_timeout(1500)
    page.screenshot(path=str(tmp_path / "pt_graphene.png"), full_page=True)
    assert not [e for e in errors if "3Dmol" in e or "viewer_" in e], errors
    page.close()


PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("stem", PAGES)
def test_every_page_opens_without_an_exception(server, browser, tmp_path, stem):
    url_path = stem.split("_", 1)[1] if stem[0].isdigit() else stem
    page, _ = _open(browser, f"{server}/{url_path}")
    page.screenshot(path=str(tmp_path / f"{stem}.png"), full_page=True)
    page.close()


def test_canvas_shows_both_ends_of_the_colour_map(fake_server, browser, tmp_path):
    """The rendered pixels (not only the atom styles) carry the lowest and highest GA colours."""
    import numpy as np
    from PIL import Image

    from scann_core.viz import colors_for

    page = browser.new_page(viewport={"width": 1300, "height": 1600})
    page.goto(f"{fake_server}/Explore", timeout=TIMEOUT_MS)
    _settle(page)
    frame = _viewer_frame(page)
    page.wait_for_timeout(2500)  # software WebGL draws late
    shot = tmp_path / "canvas.png"
    frame.query_selector("canvas").screenshot(path=str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=float).reshape(-1, 3)
    for end in colors_for([0.0, 1.0], 0.0, 1.0):
        rgb = np.array([int(end[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
        # lit spheres are shaded: accept pixels within 40/255 of the colour, and want a visible patch
        assert (np.abs(pixels - rgb).max(axis=1) <= 40).sum() >= 20, end
    with page.expect_download(timeout=TIMEOUT_MS) as download:  # the view's own "Save PNG" link
        frame.click("a[id^='png_']")
    saved = tmp_path / "saved.png"
    download.value.save_as(saved)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(saved).size[0] > 100
    page.close()
