"""Put a freshly generated markdown report into a document, between its block markers.

A document keeps generated text between two HTML comments (invisible when rendered)::

    <!-- generated: NAME -->
    ...
    <!-- end generated: NAME -->

and its hand-written prose outside them, so that a report can be regenerated without touching the
prose. ``--drop-title`` removes the report's leading ``# `` title line and ``--demote K`` adds ``K``
levels to every heading, for a report that becomes a sub-section. Used by
scripts/refresh_orbital_model.sh, e.g.

    python scripts/splice_generated.py docs/ATTRIBUTION.md attribution_qm9_lumo_held_out report.md --drop-title --demote 2
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The opening and closing comment lines of block ``name``."""
    return f"<!-- generated: {name} -->", f"<!-- end generated: {name} -->"


def adapt_report(report: str, *, drop_title: bool = False, demote: int = 0) -> str:
    """``report`` without its title line (``drop_title``) and with headings ``demote`` levels deeper,
    stripped of leading and trailing blank lines."""
    lines = report.strip("\n").splitlines()
    if drop_title and lines and lines[0].startswith("# "):
        lines = lines[1:]
    if demote:
        lines = [("#" * demote + line) if re.match(r"#+ ", line) else line for line in lines]
    return "\n".join(lines).strip("\n")


def splice(document: str, name: str, block: str) -> str:
    """``document`` with the text between the markers of ``name`` replaced by ``block``.

    Raises ValueError when the markers are missing, repeated or out of order."""
    begin, end = markers(name)
    if document.count(begin) != 1 or document.count(end) != 1:
        raise ValueError(f"the document needs exactly one '{begin}' and one '{end}' line")
    if document.index(end) < document.index(begin):
        raise ValueError(f"'{end}' comes before '{begin}'")
    head, rest = document.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{block}\n{end}{tail}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", type=Path, help="markdown file holding the block markers")
    parser.add_argument("name", help="block name, as in '<!-- generated: NAME -->'")
    parser.add_argument("report", type=Path, help="the generated markdown to put in")
    parser.add_argument("--drop-title", action="store_true", help="drop the report's leading '# ' title")
    parser.add_argument("--demote", type=int, default=0, help="add this many levels to every heading")
    args = parser.parse_args(argv)
    block = adapt_report(args.report.read_text(), drop_title=args.drop_title, demote=args.demote)
    args.document.write_text(splice(args.document.read_text(), args.name, block))


if __name__ == "__main__":
    main()
