"""Generated blocks in the docs: scripts/splice_generated.py replaces them and leaves the prose alone."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import load_script

DOCS = Path(__file__).resolve().parents[1] / "docs"
splice_generated = load_script("splice_generated")

DOCUMENT = """# Title

Prose before, quoting 0.22.

<!-- generated: report -->
old table
<!-- end generated: report -->

Prose after.
"""


def test_splice_replaces_only_the_block():
    report = "# Report title\n\nModel line.\n\n## Agreement\n\n| a |\n\n"
    block = splice_generated.adapt_report(report, drop_title=True, demote=2)
    assert block == "Model line.\n\n#### Agreement\n\n| a |"
    new = splice_generated.splice(DOCUMENT, "report", block)
    assert "old table" not in new
    assert new.startswith("# Title\n\nProse before, quoting 0.22.\n\n<!-- generated: report -->\nModel line.")
    assert new.endswith("| a |\n<!-- end generated: report -->\n\nProse after.\n")
    assert splice_generated.splice(new, "report", block) == new  # idempotent


def test_splice_refuses_missing_repeated_or_reversed_markers():
    with pytest.raises(ValueError, match="exactly one"):
        splice_generated.splice(DOCUMENT, "other", "x")
    with pytest.raises(ValueError, match="exactly one"):
        splice_generated.splice(DOCUMENT + DOCUMENT, "report", "x")
    reversed_markers = "<!-- end generated: report -->\ntext\n<!-- generated: report -->\n"
    with pytest.raises(ValueError, match="comes before"):
        splice_generated.splice(reversed_markers, "report", "x")


def test_splice_command_rewrites_the_file(tmp_path):
    document, report = tmp_path / "doc.md", tmp_path / "report.md"
    document.write_text(DOCUMENT)
    report.write_text("# Fresh\n\n## Section\nnew numbers\n")
    splice_generated.main([str(document), "report", str(report), "--drop-title", "--demote", "1"])
    assert "<!-- generated: report -->\n### Section\nnew numbers\n<!-- end generated: report -->" in document.read_text()


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_committed_blocks_are_well_formed(path):
    """Every block in the docs can be spliced: one opening and one closing marker, in order, and
    putting its own content back changes nothing."""
    text = path.read_text()
    for name in re.findall(r"^<!-- generated: (\S+) -->$", text, flags=re.MULTILINE):
        begin, end = splice_generated.markers(name)
        content = text.split(begin + "\n", 1)[1].split("\n" + end, 1)[0]
        assert splice_generated.splice(text, name, content) == text


@pytest.mark.parametrize("document, name", [
    ("ORBITAL_AGREEMENT_QM9.md", "orbital_agreement_qm9"),
    *[("ATTRIBUTION.md", f"attribution_{model}_{kind}") for model in ("qm9_homo", "qm9_lumo")
      for kind in ("held_out", "gallery")],
])
def test_the_blocks_refresh_orbital_model_writes_exist(document, name):
    """scripts/refresh_orbital_model.sh splices into these blocks; each must be there exactly once."""
    text = (DOCS / document).read_text()
    for marker in splice_generated.markers(name):
        assert text.count(marker) == 1


def test_refresh_orbital_model_stops_at_once_on_a_missing_checkpoint(tmp_path):
    """The script checks its checkpoints before any work. It runs in an empty folder with a no-op
    `scann`, so had it gone on it would have failed on `git show` instead, without touching the docs."""
    script = DOCS.parent / "scripts" / "refresh_orbital_model.sh"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "scann").write_text("#!/bin/sh\nexit 0\n")
    (fake_bin / "scann").chmod(0o755)
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "REFRESH_OUT": str(tmp_path / "out")}
    run = subprocess.run(["sh", str(script), "qm9_lumo", str(tmp_path / "missing.pt")], cwd=tmp_path,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 2
    assert f"no such checkpoint: {tmp_path / 'missing.pt'}" in run.stderr
