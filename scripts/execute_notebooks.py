"""Execute the walkthrough notebooks from their jupytext ``.py`` sources and write the
paired ``.ipynb`` files with their outputs (what ``tests/test_notebooks.py`` checks).

Run ``python scripts/execute_notebooks.py [notebooks/t*.py ...]`` from the repository root
(default: every ``notebooks/t*.py``), with the package importable.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient


def main(argv: list[str]) -> int:
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    paths = [Path(a) for a in argv] or sorted(Path("notebooks").glob("t*.py"))
    for path in paths:
        t0 = time.perf_counter()
        nb = jupytext.read(path)
        client = NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        nbformat.write(nb, path.with_suffix(".ipynb"))
        print(f"{path.with_suffix('.ipynb')}: {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
