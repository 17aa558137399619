"""Copy the stored run's report (runs/<run>/report.md) into docs/empirical.md.

The tables in docs/empirical.md between the markers ``<!-- report:begin -->`` and
``<!-- report:end -->`` are the report verbatim, so the page cannot drift from the data;
tests/llm/test_report.py checks that they match. Run after ``align llm report``:

    python scripts/empirical_doc.py [runs/gsm8k-qwen0.5b-m4k4]
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "<!-- report:begin -->", "<!-- report:end -->"


def splice(doc: str, report: str) -> str:
    """``doc`` with the text between the markers replaced by ``report``."""
    head, sep, rest = doc.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"docs/empirical.md needs the markers {BEGIN} and {END}")
    return f"{head}{BEGIN}\n\n{report.strip()}\n\n{END}{tail}"


def main() -> None:
    """Splice the run's report into docs/empirical.md."""
    root = Path(__file__).resolve().parent.parent
    run = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "runs/gsm8k-qwen0.5b-m4k4"
    doc_path = root / "docs/empirical.md"
    report = (run / "report.md").read_text()
    doc_path.write_text(splice(doc_path.read_text(), report))
    print(f"{doc_path}: report of {run} spliced in")


if __name__ == "__main__":
    main()
