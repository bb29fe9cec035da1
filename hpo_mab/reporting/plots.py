"""PNG plots of a tidy frame, drawn on Agg canvases of standalone figures (no pyplot state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hpo_mab.reporting.summary import GOAL_TOLERANCE, best_at_times, checkpoint_table, rank_table, strategy_arm_shares

GRID_POINTS = 200


def _benchmark_rows(tidy: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    bench = tidy[tidy["benchmark"] == benchmark]
    if bench.empty:
        raise ValueError(f"no trials for benchmark {benchmark!r}")
    return bench


def time_grid(bench: pd.DataFrame, points: int = GRID_POINTS) -> np.ndarray:
    """``points`` evenly spaced times from the first to the last trial clock of ``bench``."""
    clock = bench["clock"].to_numpy(dtype=float)
    return np.linspace(float(clock.min()), float(clock.max()), points)


def _time_unit(seconds: float) -> tuple[float, str]:
    """Divisor and axis label for a time axis ending at ``seconds``."""
    if seconds >= 2 * 3600:
        return 3600.0, "simulated time (h)"
    if seconds >= 120:
        return 60.0, "simulated time (min)"
    return 1.0, "simulated time (s)"


def _new_axes(title: str) -> tuple[Figure, object]:
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100)
    return path


def anytime_plot(tidy: pd.DataFrame, benchmark: str, path: Path) -> Path:
    """Median best error over time per strategy (step function), with the interquartile band."""
    bench = _benchmark_rows(tidy, benchmark)
    table = checkpoint_table(bench, time_grid(bench))
    scale, label = _time_unit(float(bench["clock"].max()))
    fig, ax = _new_axes(f"{benchmark}: best error so far (median, IQR)")
    for strategy, rows in table.groupby("strategy", sort=True):
        x = rows["checkpoint"].to_numpy() / scale
        (line,) = ax.step(x, rows["median"], where="post", label=strategy)
        ax.fill_between(x, rows["q25"], rows["q75"], step="post", alpha=0.2, color=line.get_color())
    values = table[["median", "q25", "q75"]].to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    if values.size and np.all(values > 0):
        ax.set_yscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel("best error")
    ax.legend(fontsize="small")
    return _save(fig, path)


def rank_plot(tidy: pd.DataFrame, benchmark: str, path: Path) -> Path:
    """Mean rank over reps of each strategy's best error over time (1 = best)."""
    bench = _benchmark_rows(tidy, benchmark)
    table = rank_table(bench, time_grid(bench))
    scale, label = _time_unit(float(bench["clock"].max()))
    fig, ax = _new_axes(f"{benchmark}: mean rank over repetitions")
    for strategy, rows in table.groupby("strategy", sort=True):
        ax.step(rows["checkpoint"].to_numpy() / scale, rows["mean_rank"], where="post", label=strategy)
    ax.set_ylim(0.5, bench["strategy"].nunique() + 0.5)
    ax.set_xlabel(label)
    ax.set_ylabel("mean rank (1 = best)")
    ax.legend(fontsize="small")
    return _save(fig, path)


def success_plot(tidy: pd.DataFrame, benchmark: str, goal_error: float, path: Path) -> Path:
    """Fraction of reps whose best error is at most ``goal_error`` over time, per strategy."""
    bench = _benchmark_rows(tidy, benchmark)
    best = best_at_times(bench, time_grid(bench))
    best["reached"] = best["best_error"] <= goal_error + GOAL_TOLERANCE
    rates = best.groupby(["strategy", "time"], sort=True)["reached"].mean().reset_index()
    scale, label = _time_unit(float(bench["clock"].max()))
    fig, ax = _new_axes(f"{benchmark}: success rate (error <= {goal_error:.6g})")
    for strategy, rows in rates.groupby("strategy", sort=True):
        ax.step(rows["time"].to_numpy() / scale, rows["reached"], where="post", label=strategy)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(label)
    ax.set_ylabel("fraction of repetitions")
    ax.legend(fontsize="small")
    return _save(fig, path)


def arm_share_plot(tidy: pd.DataFrame, benchmark: str, strategy: str, path: Path, bins: int = 12) -> Path:
    """Stacked area of the share of trials proposed by each arm, per time bin (bins with trials only)."""
    bench = _benchmark_rows(tidy, benchmark)
    group = bench[bench["strategy"] == strategy]
    if group.empty:
        raise ValueError(f"no trials for strategy {strategy!r} on benchmark {benchmark!r}")
    shares = strategy_arm_shares(group, bins)
    table = shares.pivot(index="bin", columns="arm", values="share")
    edges = shares.groupby("bin")[["bin_start", "bin_end"]].first()
    scale, label = _time_unit(float(group["clock"].max()))
    centres = (edges["bin_start"] + edges["bin_end"]).to_numpy() / 2 / scale
    fig, ax = _new_axes(f"{benchmark}, {strategy}: arm shares")
    arm_labels = [a if a else "(none)" for a in table.columns]
    ax.stackplot(centres, *table.to_numpy(dtype=float).T, labels=arm_labels, alpha=0.85)
    ax.set_ylim(0, 1)
    ax.set_xlabel(label)
    ax.set_ylabel("share of trials")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def stop_figure(curves: np.ndarray, epochs: np.ndarray, goal_accuracy: float | None, title: str) -> Figure:
    """Learning curves of one repetition's candidates: solid up to the epoch trained, dotted beyond, ``x`` at a stop.

    ``curves`` holds each candidate's full per-epoch accuracy (n, E) from the table, ``epochs`` the
    epochs it was trained (< E: stopped). The dotted part is what the stop did not see; a dotted
    curve ending above the goal line is a false stop.
    """
    fig, ax = _new_axes(title)
    max_epoch = curves.shape[1]
    x = np.arange(1, max_epoch + 1)
    for curve, trained in zip(curves, epochs, strict=True):
        trained = int(trained)
        colour = "tab:red" if trained < max_epoch else "tab:blue"
        ax.plot(x[:trained], curve[:trained], color=colour, alpha=0.5, linewidth=0.8, gid="trained")
        if trained < max_epoch:
            ax.plot(x[trained - 1 :], curve[trained - 1 :], color="tab:gray", alpha=0.3, linewidth=0.6, linestyle=":")
            ax.plot([trained], [curve[trained - 1]], marker="x", color="tab:red", markersize=4, gid="stop")
    if goal_accuracy is not None and np.isfinite(goal_accuracy):
        ax.axhline(goal_accuracy, color="black", linewidth=0.8, linestyle="--", label="goal")
        ax.legend(loc="lower right")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    return fig


def stop_plot(curves: np.ndarray, epochs: np.ndarray, goal_accuracy: float | None, title: str, path: Path) -> Path:
    """``stop_figure`` saved as a PNG at ``path``."""
    return _save(stop_figure(curves, epochs, goal_accuracy, title), path)
