"""The Models page's data: the shipped models' cards as rows and MAE tables, and whether a
committed result table was made with the shipped weights."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .formatting import display_unit, finite_number, format_number, model_options, user_message

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _pretrained_dir():
    from pathlib import Path

    try:
        from scann_core.predict import PRETRAINED_DIR

        return Path(PRETRAINED_DIR)
    except (ImportError, AttributeError):  # a stand-in predict module without the folder
        return Path(__file__).resolve().parents[1] / "pretrained"


def model_card_rows(directory=None) -> list[dict]:
    """One dict per shipped model (``NAME.pt`` or ``NAME.json`` in ``directory``, default the
    package's ``pretrained/`` folder), read from its JSON card: models past the shipping floor first,
    then the preliminary ones, each group in name order.

    Keys: ``name``, ``property`` (UI label), ``target``, ``unit`` (display unit), ``card_unit``,
    ``preliminary``, ``level_of_theory``, ``dataset``, ``split``, ``epochs``, ``train_hours``, ``cpu``,
    ``n_train`` / ``n_val`` / ``n_test``, the MAEs ``val_mae``, ``test_mae``, ``paper_scann_plus_mae``,
    ``paper_scann_mae``, ``mean_predictor_mae`` in the display unit (eV orbital energies as meV; None
    where the card has no number), ``mae_by_heavy_atoms`` (``(heavy atoms, test structures, MAE, mean
    signed error)`` tuples in size order, in the display unit, the mean error None on cards exported
    before it was recorded; empty where the card has no such table),
    ``parity_png`` (path or None) and ``problem`` (a sentence when the card is missing or unreadable,
    else None).
    """
    import json
    from pathlib import Path

    folder = Path(directory) if directory is not None else _pretrained_dir()
    names = sorted({p.stem for p in folder.glob("*.pt")} | {p.stem for p in folder.glob("*.json")})
    labels = {name: label for label, name in model_options(names).items()}
    rows = []
    for name in names:
        card, problem = {}, None
        path = folder / f"{name}.json"
        if path.exists():
            try:
                card = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(card, dict):
                    card, problem = {}, f"The card {path.name} is not a JSON object."
            except (OSError, ValueError) as exc:
                problem = f"The card {path.name} could not be read ({user_message(exc)})"
        else:
            problem = f"No card ({name}.json) was shipped with this model."
        unit, factor = display_unit(card)
        parity = folder / f"{name}_parity.png"
        rows.append({
            "name": name, "property": labels.get(name, name), "target": card.get("target"),
            "unit": unit, "card_unit": card.get("unit"),
            "preliminary": bool(card.get("preliminary", True)),
            "level_of_theory": card.get("level_of_theory"), "dataset": card.get("dataset"),
            "split": card.get("split"), "epochs": card.get("epochs"),
            "train_hours": finite_number(card.get("train_hours")), "cpu": card.get("cpu"),
            "n_train": card.get("n_train"), "n_val": card.get("n_val"), "n_test": card.get("n_test"),
            "val_mae": finite_number(card.get("val_mae"), factor),
            "test_mae": finite_number(card.get("test_mae"), factor),
            "paper_scann_plus_mae": finite_number(card.get("paper_scann_plus_mae"), factor),
            "paper_scann_mae": finite_number(card.get("paper_scann_mae"), factor),
            "mean_predictor_mae": finite_number(card.get("mean_predictor_test_mae"), factor),
            "mae_by_heavy_atoms": _mae_by_heavy_atoms(card, factor),
            "parity_png": str(parity) if parity.exists() else None,
            "problem": problem,
        })
    return sorted(rows, key=lambda row: row["preliminary"])  # stable: name order within each group


def _mae_by_heavy_atoms(card: dict, factor: float) -> list[tuple[int, int, float | None, float | None]]:
    table, rows = card.get("test_mae_by_heavy_atoms"), []
    for key, group in (table.items() if isinstance(table, dict) else ()):
        try:
            rows.append((int(key), int(group["n"]), finite_number(group["mae"], factor),
                         finite_number(group.get("mean_error"), factor)))
        except (TypeError, ValueError, KeyError):
            continue  # a malformed entry: leave it out
    return sorted(rows)


def size_table(row: dict) -> "pd.DataFrame":
    """Test MAE and mean signed error (prediction minus reference, ``+`` = too high) by number of
    heavy atoms of one :func:`model_card_rows` row, as text."""
    import pandas as pd

    in_unit = f" ({row['unit']})" if row.get("unit") else ""
    sizes = row.get("mae_by_heavy_atoms") or []
    return pd.DataFrame({"heavy atoms": [h for h, *_ in sizes], "test structures": [n for _, n, *_ in sizes],
                         f"MAE{in_unit}": [format_number(m) for _, _, m, _ in sizes],
                         f"mean error{in_unit}": [("+" if e and e > 0 else "") + format_number(e)
                                                  for *_, e in sizes]})


def mae_table(row: dict) -> "pd.DataFrame":
    """The MAE comparison of one :func:`model_card_rows` row: one line per model / reference, MAE in
    the display unit as text (``'n/a'`` where unknown)."""
    import pandas as pd

    unit = row.get("unit") or ""
    lines = [("this model, validation", row.get("val_mae")), ("this model, test", row.get("test_mae")),
             ("paper SCANN+ (test)", row.get("paper_scann_plus_mae")),
             ("paper SCANN (test)", row.get("paper_scann_mae")),
             ("mean predictor (test)", row.get("mean_predictor_mae"))]
    return pd.DataFrame({"model": [k for k, _ in lines],
                         f"MAE ({unit})" if unit else "MAE": [format_number(v) for _, v in lines]})


def weights_note(model_name: str, table_epochs: Any, directory=None) -> str:
    """A sentence when a committed table was computed with other weights than the shipped ones
    (its ``model_epochs`` differs from the shipped card's ``epochs``, or was not recorded); else ''."""
    import json
    from pathlib import Path

    card_path = Path(directory or _pretrained_dir()) / f"{model_name}.json"
    try:
        shipped = json.loads(card_path.read_text()).get("epochs")
    except (OSError, ValueError):
        return ""
    if finite_number(table_epochs) is None:
        return (f" **These numbers may come from other weights than the shipped ones** (epoch {shipped}): "
                "the table does not record which.")
    if shipped is not None and int(float(table_epochs)) != int(shipped):
        return (f" **These numbers come from the epoch-{int(float(table_epochs))} weights; the shipped model "
                f"has trained for {shipped} epochs**, so they are out of date.")
    return ""
