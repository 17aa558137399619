"""The one matplotlib style of the paper figures and notebooks, and small figure helpers.

Every script in ``paper_figures/`` and every notebook in ``notebooks/`` draws with this
module so that the figures share fonts, sizes, colours and markers, and are readable at a
paper's column width (:data:`COLUMN_WIDTH` = 3.4 in). A protocol keeps the same colour and
marker in every figure (:func:`protocol_style`).

Besides the style:

* :func:`figure_args` — the command line every figure script accepts (``--quick``,
  ``--trials N``, ``--out DIR``);
* :func:`save` — writes ``<name>.png``, ``<name>.pdf`` and the caption ``<name>.txt``;
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = [
    "COLUMN_WIDTH",
    "DEFAULT_OUT",
    "NOTEBOOK_WIDTH",
    "PROTOCOL_STYLES",
    "STYLE",
    "FigureArgs",
    "band",
    "figure_args",
    "mc_handle",
    "protocol_style",
    "save",
    "style",
    "subplots",
]

COLUMN_WIDTH = 3.4
"""Width in inches of one column of a two-column paper: every figure is drawn at this width."""

NOTEBOOK_WIDTH = 6.0
"""Width in inches of the notebooks' figures (900 px at the style's 150 dpi)."""

DEFAULT_OUT = Path("paper_figures") / "out"
"""Where figure scripts write, relative to the repository root."""

STYLE: dict[Any, Any] = {
    "font.size": 8.0,
    "axes.titlesize": 8.0,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "axes.linewidth": 0.6,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.35,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "figure.dpi": 150,
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
}
"""rcParams of the shared style (8 pt text, thin lines, light grid, no top/right spines)."""

# Colour-blind safe palette (Okabe & Ito); one fixed colour, marker and line style per
# protocol, so that two protocols differ in at least two of the three.
PROTOCOL_STYLES: dict[str, dict[str, Any]] = {
    "Align": {"color": "#D55E00", "marker": "o", "linestyle": "-", "label": "Align"},
    "AlignBayes": {"color": "#CC79A7", "marker": "D", "linestyle": "-", "label": "Align (Bayes)"},
    "SingleAgent": {
        "color": "#0072B2",
        "marker": "s",
        "linestyle": (0, (1, 1)),
        "label": "SingleAgent",
    },
    "RandomPick": {"color": "#999999", "marker": "x", "linestyle": ":", "label": "RandomPick"},
    "MajorityVote": {"color": "#009E73", "marker": "^", "linestyle": "-", "label": "MajorityVote"},
    "Shortlist": {
        "color": "#E69F00",
        "marker": "v",
        "linestyle": (0, (5, 1.5, 1, 1.5)),
        "label": "Shortlist",
    },
    "PrincipalBestOfN": {
        "color": "#56B4E9",
        "marker": "P",
        "linestyle": "--",
        "label": "PrincipalBestOfN",
    },
    "Oracle": {
        "color": "#000000",
        "marker": "*",
        "linestyle": (0, (3, 1, 1, 1, 1, 1)),
        "label": "Oracle",
    },
}


def protocol_style(name: str, **override: Any) -> dict[str, Any]:
    """Line keyword arguments (colour, marker, line style, label) of protocol ``name``."""
    if name not in PROTOCOL_STYLES:
        raise ValueError(f"protocol must be one of {sorted(PROTOCOL_STYLES)}, got {name!r}")
    return {**PROTOCOL_STYLES[name], **override}


@contextmanager
def style() -> Iterator[None]:
    """Context in which matplotlib uses :data:`STYLE`."""
    with plt.rc_context(STYLE):
        yield


def subplots(
    nrows: int = 1, ncols: int = 1, *, height: float = 2.4, width: float | None = None, **kw: Any
) -> tuple[Figure, Any]:
    """A figure ``width`` inches wide (default :data:`COLUMN_WIDTH`; notebooks use
    :data:`NOTEBOOK_WIDTH`) and ``height`` inches tall in the shared style, with constrained
    layout; returns ``(figure, axes)`` as :func:`matplotlib.pyplot.subplots`.

    Examples
    --------
    >>> fig, ax = subplots(height=2.0, width=NOTEBOOK_WIDTH)
    >>> [round(float(v), 1) for v in fig.get_size_inches()]
    [6.0, 2.0]
    >>> plt.close(fig)
    """
    plt.rcParams.update(STYLE)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width or COLUMN_WIDTH, height), layout="constrained", **kw
    )
    return fig, axes


def save(fig: Figure, name: str, caption: str, out: Path | str = DEFAULT_OUT) -> list[Path]:
    """Write ``<out>/<name>.png`` (300 dpi), ``<name>.pdf`` and the caption ``<name>.txt``;
    close the figure and return the three paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.pdf", out / f"{name}.txt"]
    fig.savefig(paths[0])
    fig.savefig(paths[1])
    paths[2].write_text(caption.strip() + "\n", encoding="utf-8")
    plt.close(fig)
    return paths


def band(
    ax: Axes, x: Sequence[float], mean: Sequence[float], se: Sequence[float], **kw: Any
) -> None:
    """Monte Carlo points with ±2 standard-error bars (a 95% band) on ``ax``."""
    kw = {"linestyle": "none", "capsize": 1.5, "elinewidth": 0.8, "markersize": 3.0, **kw}
    ax.errorbar(x, mean, yerr=[2.0 * s for s in se], **kw)


def mc_handle() -> Any:
    """A legend handle for Monte Carlo points with error bars (black, no line)."""
    line = Line2D([], [], color="black", marker="o", linestyle="none", markersize=3.0)
    bars = LineCollection([np.array([[0.0, 0.0], [0.0, 1.0]])], colors="black", linewidths=0.8)
    return ErrorbarContainer((line, (), (bars,)), has_xerr=False, has_yerr=True)


@dataclass(frozen=True)
class FigureArgs:
    """Parsed command line of a figure script: trials per Monte Carlo point, quick mode,
    output folder."""

    trials: int
    quick: bool
    out: Path
    results: Path = Path("results") / "sim"


def figure_args(
    description: str,
    *,
    default_trials: int,
    quick_trials: int,
    argv: Sequence[str] | None = None,
) -> FigureArgs:
    """Parse ``--quick``, ``--trials N``, ``--out DIR`` and ``--results DIR`` (the stored
    studies a figure reads, default ``results/sim``). ``--trials`` wins over the defaults;
    otherwise ``quick_trials`` with ``--quick`` and ``default_trials`` without.

    Examples
    --------
    >>> figure_args("x", default_trials=10, quick_trials=3, argv=["--results", "r"]).results
    PosixPath('r')
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small grids and trial counts")
    parser.add_argument("--trials", type=int, default=None, help="trials per Monte Carlo point")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument(
        "--results", default=str(Path("results") / "sim"), help="folder of the stored studies"
    )
    ns = parser.parse_args(argv)
    trials = ns.trials if ns.trials is not None else (quick_trials if ns.quick else default_trials)
    if trials < 2:
        parser.error(f"--trials must be >= 2, got {trials}")
    return FigureArgs(
        trials=int(trials), quick=bool(ns.quick), out=Path(ns.out), results=Path(ns.results)
    )
