"""SCANN Studio: home page and navigation.  Run with ``streamlit run app.py``."""
import re
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
PAGES_DIR = ROOT / "pages"
# Titles and icons for known pages; any other pages/N_Some_name.py shows as "Some name".
PAGE_TITLES = {
    "1_Explore.py": ("Explore a structure", ":material/biotech:"),
    "2_Models.py": ("Models", ":material/model_training:"),
    "3_Attention_vs_attribution.py": ("Attention vs attribution", ":material/compare:"),
    "4_Attention_on_images.py": ("Attention on images", ":material/image:"),
    "5_SmFe12_sites.py": ("SmFe12 substitution sites", ":material/grid_view:"),
    "6_Pt_on_graphene.py": ("Pt on graphene", ":material/blur_on:"),
}


def _page_order(path: Path) -> tuple[int, str]:
    match = re.match(r"(\d+)", path.name)
    return (int(match.group(1)) if match else 10**6, path.name)


def _page(path: Path) -> st.Page:
    title, icon = PAGE_TITLES.get(path.name, (re.sub(r"^\d+_", "", path.stem).replace("_", " "), None))
    # No custom url_path: while no session has run st.navigation yet, Streamlit treats pages/
    # as the old folder convention and resolves a direct link (/Explore) against the file
    # names; another path would show "Page not found".
    return st.Page(f"pages/{path.name}", title=title, icon=icon)


def open_gallery_example(key: str) -> None:
    """Preselect a gallery molecule in the explorer and go there."""
    from scann_core import app_support as sup

    entries, _ = sup.list_gallery()
    titles = {k: t for t, k in sup.gallery_options(entries).items()}
    if key in titles:
        st.session_state["explore_input"] = "Gallery"
        st.session_state["explore_gallery"] = titles[key]
    st.switch_page(pages[0])


def orbital_agreement() -> str:
    """How far the HOMO (and LUMO) model's GA follows its B3LYP orbital, from the committed QM9-sample summary."""
    from scann_core import app_support as sup

    row = sup.orbital_agreement_row("qm9_homo")
    if row is None:
        return "How far it follows where the B3LYP HOMO sits is measured in docs/ORBITAL_AGREEMENT_QM9.md."
    text = (f"For the HOMO model it follows where the B3LYP HOMO sits only moderately: on {int(row['molecules'])} "
            "random QM9 test molecules the rank correlation between an atom's GA and its share of the HOMO "
            f"averages {row['mean_spearman']:.2f} (1 would be the same order, 0 no relation).")
    lumo = sup.orbital_agreement_row("qm9_lumo")
    if lumo is not None:
        text += f" For the LUMO model and the B3LYP LUMO the same number is {lumo['mean_spearman']:.2f}."
    return text


def home() -> None:
    st.title("SCANN Studio")
    st.markdown(
        "Predict molecular properties with **SCANN**, a self-consistent attention neural network "
        "(Vu, Ha et al., *npj Comput. Mater.* 2023), and see **which atoms the model looks at**."
    )
    st.subheader("What is global attention (GA)?")
    st.markdown(
        """
SCANN first learns a vector for every atom's *local environment* (the atom and its Voronoi
neighbours, refined over several attention layers). It then builds one vector for the whole
material as a weighted sum of these local vectors. The weights are the **global attention**:

- every atom gets a score of **how much its local environment weighs in the material
  representation** that the property is predicted from;
- the scores are positive and **sum to 1 over the atoms**, so raw GA shrinks like 1/N in larger
  structures. **N × GA** (mean 1) or a **ratio to a reference atom** compare better across
  structures;
- with the paper's normalisation the GA contrast between any two atoms is **bounded**: the
  largest GA is at most about e^√2 ≈ **4.1×** the smallest. A 2× difference is therefore a
  strong signal, not a weak one.

GA is the model's own weighting, not a physical observable. """ + orbital_agreement() + """ Check it
against the reference beside it before reading chemistry into it.
"""
    )
    picture, example = st.columns([3, 2])
    picture.image(str(ROOT / "assets" / "home_thymine.png"),
                  caption="Thymine coloured by N×GA of the HOMO model (yellow high, purple low).")
    example.markdown("**One click:** thymine with its GA map beside the B3LYP HOMO and LUMO.")
    if example.button("Open the thymine example", key="home_example", type="primary"):
        open_gallery_example("thymine")
    for page in pages:
        st.page_link(page, label=page.title, icon=page.icon)
    st.caption("3D views use a vendored copy of 3Dmol.js (BSD-3-Clause) and work without internet access.")


st.set_page_config(page_title="SCANN Studio", page_icon=":material/hub:", layout="wide")
pages = [_page(p) for p in sorted(PAGES_DIR.glob("*.py"), key=_page_order) if not p.name.startswith("_")]
navigation = st.navigation([st.Page(home, title="Home", icon=":material/home:", default=True), *pages])
navigation.run()
