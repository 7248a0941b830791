"""Models: every shipped model with its card, its errors beside the paper's, and its parity plot."""
import streamlit as st

from scann_core import app_support as sup

st.set_page_config(page_title="Models · SCANN Studio", layout="wide")
st.title("Models")
st.markdown(
    "Every model shipped in `scann_core/pretrained/`, read from its card (`NAME.json`). Errors are mean "
    "absolute errors on each dataset's fixed test split, beside the paper's test MAE where it reports one "
    "(QM9: Vu, Ha et al. 2023, Table 2) and the error of always predicting the training mean; orbital "
    "energies are shown in meV, formation energies in meV/atom. A model is **preliminary** until its test "
    "MAE is at most half the mean predictor's and, where the paper has a number, at most twice its SCANN+ "
    "value (docs/MODELS.md).")

rows, error = sup.try_call(sup.model_card_rows)
if error:
    st.error(error)
    st.stop()
if not rows:
    st.info("No trained model is installed yet.")
    st.stop()

st.dataframe(
    [{"model": r["name"], "property": r["property"], "preliminary": "yes" if r["preliminary"] else "no",
      "test MAE": f"{sup.format_number(r['test_mae'])} {r['unit']}",
      "paper SCANN+": f"{sup.format_number(r['paper_scann_plus_mae'])} {r['unit']}",
      "mean predictor": f"{sup.format_number(r['mean_predictor_mae'])} {r['unit']}",
      "epochs": r["epochs"]} for r in rows],
    hide_index=True, key="models_overview")

for row in rows:
    st.divider()
    st.subheader(f"{row['name']} · {row['property']}")
    if row["preliminary"]:
        st.badge("preliminary model", icon=":material/warning:", color="orange")
    if row["problem"]:
        st.warning(row["problem"])
    left, right = st.columns([3, 2])
    with left:
        facts = [
            ("Target", f"{row['target'] or 'unknown'} ({row['card_unit'] or 'no unit'})"),
            ("Level of theory", row["level_of_theory"] or "unknown"),
            ("Data", row["dataset"] or "unknown"),
            ("Split", row["split"] or "unknown"),
            ("Training", f"{row['epochs'] if row['epochs'] is not None else '?'} epoch(s), "
                         f"{sup.format_number(row['train_hours'], 2)} h on {row['cpu'] or 'unknown hardware'}"),
        ]
        if floor := sup.seed_floor_phrase(row["name"]):
            facts.append(("GA noise floor", "a second training seed ranks the atoms of a test structure by GA "
                                            f"alike at Spearman {floor}"))
        st.markdown("  \n".join(f"**{k}** {v}" for k, v in facts))
        cols = st.columns(3)
        cols[0].metric("Test MAE", f"{sup.format_number(row['test_mae'])} {row['unit']}")
        cols[1].metric(f"Paper SCANN+ / SCANN ({row['unit']})",
                       f"{sup.format_number(row['paper_scann_plus_mae'], 0)} / "
                       f"{sup.format_number(row['paper_scann_mae'], 0)}")
        cols[2].metric("Mean predictor", f"{sup.format_number(row['mean_predictor_mae'])} {row['unit']}")
        st.dataframe(sup.mae_table(row), hide_index=True, key=f"models_mae_{row['name']}")
        if row["mae_by_heavy_atoms"]:
            st.caption("Test MAE by number of heavy (non-hydrogen) atoms: how far to trust the model at a "
                       "molecule's size. A prediction warns where this is more than twice the overall test MAE. "
                       "The mean error says whether predictions at that size run high (+) or low (-).")
            st.dataframe(sup.size_table(row), hide_index=True, key=f"models_size_{row['name']}")
    with right:
        if row["parity_png"]:
            st.image(row["parity_png"], caption=f"{row['name']}: test-set parity plot")
        else:
            st.caption("No parity plot shipped with this model.")
