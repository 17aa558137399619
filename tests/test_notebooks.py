"""The walkthrough notebooks execute, end to end, and the committed ones are current.

Each notebook in ``notebooks/`` (jupytext percent-format ``.py``, the source of truth) ends
with assertions of its statement, so executing it is the test. The paired ``.ipynb`` is
committed *executed*, with its outputs, so a reader sees the plots without running it; the
second test fails when its code cells drift from the ``.py`` or when it was not executed
(regenerate with ``python scripts/execute_notebooks.py``).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))
THEOREM_NOTEBOOKS = [p for p in NOTEBOOKS if p.stem.startswith("t")]
SECTIONS = ("## Intuition", "## Where the statement fails", "## The check")


def test_every_statement_group_has_a_notebook() -> None:
    names = {p.stem.split("_")[0] for p in NOTEBOOKS}
    assert {"t1", "t3", "t5", "t6", "t7"} <= names


def _text(outputs: list) -> str:
    return "".join(o.get("text", "") for o in outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_and_its_claim_holds(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGN_NB_TRIALS", "4000")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = jupytext.read(path)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    last = nb.cells[-1]
    text = _text(last.get("outputs", []))
    assert "hold" in text, f"{path.name}: the final assertion cell printed {text!r}"
    stderr = "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stderr"
    )
    assert "IProgress" not in stderr and "Warning" not in stderr, stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_ipynb_is_current_and_executed(path: Path) -> None:
    ipynb = path.with_suffix(".ipynb")
    assert ipynb.exists(), f"run: python scripts/execute_notebooks.py {path}"
    paired = nbformat.read(ipynb, as_version=4)
    source = jupytext.read(path)
    code = [c.source for c in source.cells if c.cell_type == "code"]
    stored = [c for c in paired.cells if c.cell_type == "code"]
    assert [c.source for c in stored] == code, (
        f"{ipynb.name} drifted from {path.name}: run python scripts/execute_notebooks.py {path}"
    )
    markdown = [c.source for c in source.cells if c.cell_type == "markdown"]
    assert [c.source for c in paired.cells if c.cell_type == "markdown"] == markdown
    assert all(c.get("execution_count") for c in stored), f"{ipynb.name} was not executed"
    assert "hold" in _text(stored[-1].get("outputs", [])), f"{ipynb.name}: no final check output"
    images = [o for c in stored for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, f"{ipynb.name} has no plot output"
    assert not any(o.get("output_type") == "error" for c in stored for o in c.get("outputs", []))
    text = "\n".join(markdown)
    for heading in SECTIONS if path in THEOREM_NOTEBOOKS else ():
        assert heading in text, f"{path.name} lacks the section {heading!r}"
