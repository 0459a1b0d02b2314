"""The course's plots in one house style (all lectures).

Every function draws into `ax` (or a new figure of size FIGSIZE), returns the
Axes and never calls plt.show(), so it works under the Agg backend and in
nbconvert. The style is applied with matplotlib.rc_context inside each function;
matplotlib's global settings are left alone unless you call apply_style().
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from numpy.typing import ArrayLike, NDArray

from shared.mdp import ACTION_DELTAS

if TYPE_CHECKING:  # matplotlib >= 3.9 names its rcParams keys for type checkers
    from matplotlib.typing import RcKeyType

__all__ = [
    "FIGSIZE",
    "PALETTE",
    "STYLE",
    "apply_style",
    "estimator_histogram",
    "gridworld_heatmap",
    "learning_curves",
    "style",
]

FIGSIZE: tuple[float, float] = (6.0, 3.5)

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]

STYLE: dict[RcKeyType, Any] = {
    "figure.figsize": FIGSIZE,
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "image.cmap": "viridis",
}

# z-score of a two-sided 95% normal confidence interval
_Z95 = 1.959963984540054


@contextmanager
def style() -> Iterator[None]:
    """Context manager applying the house style temporarily (all lectures)."""
    with mpl.rc_context(STYLE):
        yield


def apply_style() -> None:
    """Make the house style the default for the rest of the session (all lectures)."""
    mpl.rcParams.update(STYLE)


def _new_axes() -> Axes:
    _, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    return ax


def _float_1d(what: str, x: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be a 1-D array of numbers ({err}).") from None
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{what} is empty.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} contains NaN or inf.")
    return arr


def _is_numbers_1d(x: object) -> bool:
    try:
        return np.asarray(x, dtype=np.float64).ndim == 1
    except (TypeError, ValueError):
        return False


def _seed_curves(
    name: str, runs: Sequence[tuple[ArrayLike, ArrayLike]]
) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Validate one method's runs: a list of (steps (K,), returns (K,)) pairs."""
    if len(runs) == 2 and _is_numbers_1d(runs[0]) and _is_numbers_1d(runs[1]):
        raise ValueError(
            f"curves[{name!r}] looks like a single (steps, returns) pair; pass a "
            "list with one pair per seed, e.g. {name: [(steps, returns)]}."
        )
    if len(runs) == 0:
        raise ValueError(f"curves[{name!r}] has no seeds; give at least one run.")
    out = []
    for i, run in enumerate(runs):
        if len(run) != 2:
            raise ValueError(
                f"curves[{name!r}][{i}] must be a (steps, returns) pair, got "
                f"{len(run)} items."
            )
        steps = _float_1d(f"curves[{name!r}][{i}] steps", run[0])
        rets = _float_1d(f"curves[{name!r}][{i}] returns", run[1])
        if steps.shape != rets.shape:
            raise ValueError(
                f"curves[{name!r}][{i}]: steps has shape {steps.shape} but returns "
                f"has shape {rets.shape}; they must match."
            )
        if (np.diff(steps) <= 0).any():
            raise ValueError(
                f"curves[{name!r}][{i}] steps must be strictly increasing."
            )
        out.append((steps, rets))
    return out


def _common_grid(
    name: str,
    runs: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
    num_points: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Every seed's returns on one grid of steps: grid (K,), values (num_seeds, K)."""
    first = runs[0][0]
    if all(s.shape == first.shape and (s == first).all() for s, _ in runs):
        return first, np.stack([r for _, r in runs])
    # Only the range that every seed covers: np.interp would otherwise extend a
    # seed's first/last value flat and fake data that was never measured.
    lo = max(float(s[0]) for s, _ in runs)
    hi = min(float(s[-1]) for s, _ in runs)
    if lo > hi:
        raise ValueError(
            f"the seeds of {name!r} cover no common range of environment steps "
            f"(latest start {lo:g} > earliest end {hi:g}); cannot average them."
        )
    grid = np.linspace(lo, hi, num_points) if hi > lo else np.array([lo])
    return grid, np.stack([np.interp(grid, s, r) for s, r in runs])


def learning_curves(
    curves: Mapping[str, Sequence[tuple[ArrayLike, ArrayLike]]],
    ax: Axes | None = None,
    band: Literal["std", "ci95"] = "std",
    *,
    num_points: int = 200,
    xlabel: str = "environment steps",
    ylabel: str = "episode return",
    title: str | None = None,
) -> Axes:
    """Mean return over seeds with a shaded band, one curve per method (all lectures).

    curves: {method name: [(steps (K_i,), returns (K_i,)) for each seed]}.
    Seeds with different step grids are interpolated onto num_points common steps
    inside the range that all of them cover. band: "std" = mean +- one standard
    deviation over seeds; "ci95" = 95% normal confidence interval of the mean.
    With a single seed only the line is drawn.
    """
    if band not in ("std", "ci95"):
        raise ValueError(f"band must be 'std' or 'ci95', got {band!r}.")
    if not isinstance(curves, Mapping) or len(curves) == 0:
        raise ValueError(
            "curves must be a non-empty dict {method name: [(steps, returns), ...]}."
        )
    if num_points < 2:
        raise ValueError(f"num_points must be at least 2, got {num_points}.")
    prepared = [(str(k), _seed_curves(str(k), v)) for k, v in curves.items()]

    with mpl.rc_context(STYLE):
        ax = _new_axes() if ax is None else ax
        for i, (name, runs) in enumerate(prepared):
            colour = PALETTE[i % len(PALETTE)]
            grid, values = _common_grid(name, runs, num_points)
            num_seeds = values.shape[0]
            mean = values.mean(axis=0)
            seeds = f"{num_seeds} seed" + ("s" if num_seeds > 1 else "")
            ax.plot(grid, mean, color=colour, label=f"{name} ({seeds})")
            if num_seeds >= 2:
                # sample std over seeds; CI of the mean: z_0.975 * std / sqrt(n)
                std = values.std(axis=0, ddof=1)
                half = std if band == "std" else _Z95 * std / np.sqrt(num_seeds)
                ax.fill_between(
                    grid, mean - half, mean + half, color=colour, alpha=0.2, lw=0
                )
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title is not None:
            ax.set_title(title)
        what = "1 std" if band == "std" else "95% CI"
        ax.legend(title=f"mean $\\pm$ {what} over seeds", loc="best")
    return ax


def estimator_histogram(
    samples: ArrayLike,
    true_value: float | ArrayLike | None,
    ax: Axes | None = None,
    *,
    label: str = "estimate",
    xlabel: str = "estimate",
    component: int = 0,
    bins: int = 40,
    color: str | None = None,
) -> Axes:
    """Histogram of an estimator's samples against the true value (lectures 02-04).

    samples: (N,) draws of a scalar estimator, or (N, D) draws of a vector one
    (then `component` selects which coordinate to show).
    true_value: scalar, (D,) vector, or None when unknown.
    Call it twice on the same ax to compare two estimators (colours alternate).
    """
    arr = np.asarray(samples, dtype=np.float64)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise ValueError(
            f"samples must have shape (N,) or (N, D) with N >= 1, got {arr.shape}."
        )
    if arr.ndim == 2:
        if not -arr.shape[1] <= component < arr.shape[1]:
            raise ValueError(
                f"component={component} is out of range for samples of shape "
                f"{arr.shape} (D = {arr.shape[1]})."
            )
        x = arr[:, component]
    else:
        x = arr
    if not np.isfinite(x).all():
        raise ValueError(
            f"samples contain {int((~np.isfinite(x)).sum())} NaN/inf value(s)."
        )
    truth: float | None = None
    if true_value is not None:
        tv = np.asarray(true_value, dtype=np.float64)
        if tv.size == 1:
            truth = float(tv.reshape(-1)[0])
        elif arr.ndim == 2 and tv.shape == (arr.shape[1],):
            truth = float(tv[component])
        else:
            raise ValueError(
                f"true_value has shape {tv.shape}; expected a scalar or shape "
                f"({arr.shape[1] if arr.ndim == 2 else 1},)."
            )

    with mpl.rc_context(STYLE):
        ax = _new_axes() if ax is None else ax
        num_before = sum(1 for ln in ax.get_lines() if ln.get_gid() == "sample_mean")
        colour = color or PALETTE[num_before % len(PALETTE)]
        mean, std = float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0
        ax.hist(
            x,
            bins=bins,
            density=True,
            histtype="stepfilled",
            alpha=0.35,
            color=colour,
            label=f"{label} (N={x.size})",
        )
        ax.axvline(
            mean,
            color=colour,
            ls="--",
            lw=1.5,
            gid="sample_mean",
            label=f"mean {mean:.3g} (std {std:.3g})",
        )
        drawn = [
            ln for ln in ax.get_lines() if ln.get_gid() == "true_value"
        ]  # one truth line even when estimators are overlaid
        if truth is not None and not any(
            np.allclose(np.asarray(ln.get_xdata(), dtype=float), truth) for ln in drawn
        ):
            ax.axvline(
                truth,
                color="black",
                lw=2,
                gid="true_value",
                label=f"true value {truth:.3g}",
            )
        ax.set_xlabel(f"{xlabel} (component {component})" if arr.ndim == 2 else xlabel)
        ax.set_ylabel("density")
        ax.legend(loc="best")
    return ax


def gridworld_heatmap(
    values: ArrayLike,
    shape: tuple[int, int],
    policy: ArrayLike | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    arrows: Literal["argmax", "prob"] = "argmax",
    terminal: ArrayLike | None = None,
    annotate: bool = True,
    label: str = "V(s)",
) -> Axes:
    """Heatmap of state values with policy arrows on a gridworld (lectures 01-04).

    values: (S,) or (H, W) with S = H * W, state s = r * W + c.
    policy: (S, 4) pi(a|s), actions as in shared.mdp.ACTION_DELTAS (0 up, 1 right,
    2 down, 3 left). arrows="argmax" draws the greedy action(s) (ties all drawn);
    "prob" draws every action with length proportional to pi(a|s).
    terminal: (S,) bool; no arrows are drawn in terminal states.
    """
    height, width = (int(d) for d in shape)
    num_states = height * width
    v = np.asarray(values, dtype=np.float64)
    if v.size != num_states or v.ndim not in (1, 2):
        raise ValueError(
            f"values has shape {v.shape}, but shape {(height, width)} needs "
            f"{num_states} states, given as ({num_states},) or {(height, width)}."
        )
    grid = v.reshape(height, width)
    if arrows not in ("argmax", "prob"):
        raise ValueError(f"arrows must be 'argmax' or 'prob', got {arrows!r}.")
    pi = None
    if policy is not None:
        pi = np.asarray(policy, dtype=np.float64)
        if pi.shape != (num_states, len(ACTION_DELTAS)):
            raise ValueError(
                f"policy has shape {pi.shape}, expected "
                f"({num_states}, {len(ACTION_DELTAS)}) = (S, A) for a "
                f"{height}x{width} gridworld."
            )
    skip = np.zeros(num_states, dtype=bool)
    if terminal is not None:
        skip = np.asarray(terminal, dtype=bool).reshape(-1)
        if skip.shape != (num_states,):
            raise ValueError(
                f"terminal has shape {skip.shape}, expected ({num_states},)."
            )

    with mpl.rc_context(STYLE):
        ax = _new_axes() if ax is None else ax
        image = ax.imshow(grid, cmap="viridis", origin="upper")
        ax.figure.colorbar(image, ax=ax, label=label)
        ax.set_xticks(range(width))
        ax.set_yticks(range(height))
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        ax.grid(False)
        if annotate:
            lo, hi = float(grid.min()), float(grid.max())
            for r in range(height):
                for c in range(width):
                    # dark text on the bright (high) end of viridis
                    bright = hi > lo and (grid[r, c] - lo) / (hi - lo) > 0.6
                    ax.text(
                        c - 0.45,
                        r - 0.42,
                        f"{grid[r, c]:.2f}",
                        ha="left",
                        va="top",
                        fontsize=7,
                        color="black" if bright else "white",
                    )
        if pi is not None:
            xs, ys, us, vs = [], [], [], []
            for s in range(num_states):
                if skip[s]:
                    continue
                r, c = divmod(s, width)
                for a, (dr, dc) in enumerate(ACTION_DELTAS):
                    if arrows == "argmax":
                        if pi[s, a] < pi[s].max() - 1e-9:
                            continue
                        length = 0.4
                    else:
                        length = 0.45 * pi[s, a]
                        if length < 0.01:
                            continue
                    xs.append(c)
                    ys.append(r)
                    # image coordinates: x = column, y = row (rows grow downward)
                    us.append(dc * length)
                    vs.append(dr * length)
            ax.quiver(
                xs,
                ys,
                us,
                vs,
                angles="xy",
                scale_units="xy",
                scale=1.0,
                pivot="tail",
                color="white",
                edgecolor="black",
                linewidth=0.5,
                width=0.012,
                headwidth=3.0,
                headlength=3.5,
                headaxislength=3.0,
            )
        if title is not None:
            ax.set_title(title)
    return ax
