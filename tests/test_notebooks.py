"""The theorem notebooks execute, end to end, with small trial counts.

Each notebook in ``notebooks/`` (jupytext percent-format ``.py``, the source of truth) ends
with assertions of its statement, so executing it is the test. The paired ``.ipynb`` must be
regenerated from the ``.py`` (``jupytext --sync notebooks/*.py``), which the second test checks.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


def test_every_statement_group_has_a_notebook() -> None:
    names = {p.stem.split("_")[0] for p in NOTEBOOKS}
    assert {"t1", "t3", "t5", "t6", "t7"} <= names


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
    text = "".join(o.get("text", "") for o in last.get("outputs", []))
    assert "hold" in text, f"{path.name}: the final assertion cell printed {text!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_ipynb_is_in_sync(path: Path) -> None:
    ipynb = path.with_suffix(".ipynb")
    assert ipynb.exists(), f"run: jupytext --sync {path}"
    paired = nbformat.read(ipynb, as_version=4)
    source = jupytext.read(path)
    code = [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in paired.cells if c.cell_type == "code"] == code, (
        f"{ipynb.name} is stale: run jupytext --sync {path}"
    )
