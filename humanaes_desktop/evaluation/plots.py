"""Pictures of an evaluation (PNG, matplotlib): what people look at rather than read.

Figures are drawn with matplotlib's object API on an Agg canvas, so nothing touches a display or
pyplot's global state. A synthetic model's pictures say so in their title.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from humanaes_desktop.engine.dimensions import BY_KEY, LEVELS
from humanaes_desktop.evaluation import metrics
from humanaes_desktop.evaluation.predict import Prediction

SYNTHETIC_TITLE = "SYNTHETIC model — scores mean nothing"


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _title(figure, text: str, synthetic: bool) -> None:
    figure.suptitle(
        f"{text}\n{SYNTHETIC_TITLE}" if synthetic else text,
        color="#b00020" if synthetic else "black",
    )


def scatter(predictions: list[Prediction], summary: dict[str, Any], path: Path) -> None:
    """Predicted vs true overall score, the identity line and the fitted logistic."""
    scored = [p for p in predictions if p.assessment is not None]
    x = np.array([p.assessment.overall for p in scored])  # type: ignore[union-attr]
    y = np.array([p.sample.overall for p in scored])
    figure = _figure(6.0, 5.4)
    ax = figure.add_subplot()
    ax.scatter(x, y, s=12, alpha=0.6, color="#3366aa", label="photos")
    ax.plot(
        [0, 1], [0, 1], color="#999999", linewidth=1, linestyle="--", label="prediction = truth"
    )
    betas = metrics.logistic_betas(x, y)
    if betas is not None:
        grid = np.linspace(x.min(), x.max(), 200)
        ax.plot(grid, metrics.logistic_4(grid, *betas), color="#cc5500", linewidth=2,
                label="4-parameter logistic fit")  # fmt: skip
    a = summary["authors"]
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted (MetaVoter)", ylabel="ground truth")
    ax.set_title(f"|PLCC| {_fmt(a['plcc'])}   |SRCC| {_fmt(a['srcc'])}   n = {len(x)}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    _title(figure, "Overall score: prediction vs ground truth", summary["synthetic"])
    figure.savefig(path)


def confusion(summary: dict[str, Any], path: Path) -> None:
    """The 5x5 level confusion matrix (rows: ground truth), counts and row shares."""
    matrix = np.array(summary["confusion"]["matrix"])
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure = _figure(6.0, 5.4)
    ax = figure.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if shares[row, col] > 0.5 else "black"
        ax.text(
            col,
            row,
            f"{count}\n{shares[row, col]:.0%}",
            ha="center",
            va="center",
            color=colour,
            fontsize=8,
        )
    ax.set(
        xticks=range(len(LEVELS)), yticks=range(len(LEVELS)), xticklabels=LEVELS, yticklabels=LEVELS
    )
    ax.set(xlabel="predicted level", ylabel="ground-truth level")
    ax.set_title(f"accuracy {_fmt(summary['authors']['accuracy'])}", fontsize=10)
    figure.colorbar(image, ax=ax, label="share of the ground-truth row")
    _title(figure, "Rating levels", summary["synthetic"])
    figure.savefig(path)


def dimension_bars(summary: dict[str, Any], path: Path) -> None:
    """PLCC and SRCC per dimension over the expert-labelled photos."""
    dims = summary["dimensions"]
    keys = list(dims)
    plcc = [dims[k]["plcc"] if dims[k]["plcc"] is not None else np.nan for k in keys]
    srcc = [dims[k]["srcc"] if dims[k]["srcc"] is not None else np.nan for k in keys]
    figure = _figure(7.5, 5.8)
    ax = figure.add_subplot()
    rows = np.arange(len(keys))
    ax.barh(rows - 0.2, plcc, height=0.4, color="#3366aa", label="PLCC")
    ax.barh(rows + 0.2, srcc, height=0.4, color="#cc5500", label="SRCC")
    ax.set(yticks=rows, yticklabels=[BY_KEY[k].name for k in keys], xlim=(-1, 1))
    ax.invert_yaxis()
    ax.axvline(0, color="#666666", linewidth=0.8)
    ax.set_xlabel(
        f"correlation with the ground truth (n = {dims[keys[0]]['n']} expert-labelled photos)"
    )
    ax.legend(loc="lower right", fontsize=8)
    _title(figure, "Per-dimension agreement", summary["synthetic"])
    figure.savefig(path)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def draw_all(predictions: list[Prediction], summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Every picture the summary supports; returns the files written."""
    if "authors" not in summary:
        return []
    written = [out_dir / "scatter.png", out_dir / "confusion.png"]
    scatter(predictions, summary, written[0])
    confusion(summary, written[1])
    if "dimensions" in summary:
        written.append(out_dir / "dimensions.png")
        dimension_bars(summary, written[-1])
    return written
