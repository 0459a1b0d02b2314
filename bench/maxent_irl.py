"""Benchmark: milliseconds per MaxEnt IRL iteration, lecture 07's code vs a dense one.

One iteration is one backward pass, one forward pass and the gradient
mu_tilde - x^T D, with a finite horizon, on slippery gridworlds (slip 0.1) of
7x4 (H=40), 20x20 (H=80) and 100x100 (H=200) cells. The lecture's functions are
executed from solutions/07_maxent_irl/07_maxent_irl.ipynb (the cells with grade_ids
backward_pass, forward_pass and maxent_gradient), so the figures are those of the code
students are graded against, with the sparse transitions of shared.irl_world.

The comparison is the `imitation` library's mce_partition_fh and
mce_occupancy_measures. imitation does not install next to this course's packages
(its only version for gymnasium pins gymnasium 0.29, and older ones need gym), so
the baseline here is a straightforward dense NumPy transcription of those two
functions, on the same transition matrix and horizon. Both compute the same soft
values and occupancies; the script prints how closely they agree.

Prints figures; asserts nothing.

    .venv/bin/python bench/maxent_irl.py [--repeats N] [--dense-large]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from shared.irl_world import SparseTransitions, gridworld_transitions

NOTEBOOK = (
    Path(__file__).resolve().parents[1]
    / "solutions"
    / "07_maxent_irl"
    / "07_maxent_irl.ipynb"
)
CELLS = ("backward_pass", "forward_pass", "maxent_gradient")
# (height, width, horizon): "7x4" is 7 columns by 4 rows
SIZES = ((4, 7, 40), (20, 20, 80), (100, 100, 200))
SLIP = 0.1
NUM_TERRAINS = 4
DENSE_LIMIT_STATES = 2_500  # a dense (S, A, S) array above this is > 200 MB


def lecture_passes() -> dict[str, Any]:
    """The lecture's backward pass, forward pass and gradient, from the notebook."""
    by_id = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if c.cell_type == "code"
    }
    namespace: dict[str, Any] = {"np": np, "SparseTransitions": SparseTransitions}
    for grade_id in CELLS:
        exec(by_id[grade_id], namespace)  # the solution cells define the functions
    return namespace


# --------------------------------------------------------------------------
# The dense baseline: imitation's mce_partition_fh / mce_occupancy_measures


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """scipy.special.logsumexp (scipy is not a dependency of the course)."""
    m = x.max(axis=axis, keepdims=True)
    return np.squeeze(m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True)), axis)


def dense_partition_fh(
    T: np.ndarray, reward: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft V[t, s], Q[t, s, a] and pi[t, s, a] with a dense T[s, a, s']."""
    n_states, n_actions = T.shape[:2]
    V = np.full((horizon, n_states), -np.inf)
    Q = np.zeros((horizon, n_states, n_actions))
    Q[horizon - 1] = reward[:, None]
    V[horizon - 1] = _logsumexp(Q[horizon - 1], axis=1)
    for t in reversed(range(horizon - 1)):
        Q[t] = reward[:, None] + T @ V[t + 1]
        V[t] = _logsumexp(Q[t], axis=1)
    return V, Q, np.exp(Q - V[:, :, None])


def dense_occupancy(
    T: np.ndarray, pi: np.ndarray, mu0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """D[t, s] for t = 0..H (H + 1 rows, as in imitation) and their sum."""
    horizon, n_actions = pi.shape[0], T.shape[1]
    D = np.zeros((horizon + 1, T.shape[0]))
    D[0] = mu0
    for t in range(horizon):
        for a in range(n_actions):
            D[t + 1] += (D[t] * pi[t, :, a]) @ T[:, a, :]
    return D, D.sum(axis=0)


def dense_iteration(
    T: np.ndarray,
    features: np.ndarray,
    w: np.ndarray,
    mu_tilde: np.ndarray,
    mu0: np.ndarray,
    horizon: int,
) -> np.ndarray:
    """One MaxEnt iteration with the dense baseline: the gradient, as the lecture's."""
    _, _, pi = dense_partition_fh(T, features @ w, horizon)
    D, _ = dense_occupancy(T, pi, mu0)
    # the lecture sums the H visited steps; imitation's extra row D[H] is not visited
    return mu_tilde - features.T @ D[:horizon].sum(axis=0)


# --------------------------------------------------------------------------


def _timed_ms(
    runs: dict[str, Callable[[], object]], repeats: int
) -> dict[str, tuple[float, float]]:
    """{name: (best, median) wall time in ms}, calls interleaved after a warm-up.

    Taking turns exposes every implementation to the same background load, which
    on a shared machine changes from one second to the next.
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(1e3 * (time.perf_counter() - start))
    return {name: (min(t), float(np.median(t))) for name, t in times.items()}


def main() -> None:
    """Time the lecture's sparse iteration and the dense one on three grid sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed calls per size")
    parser.add_argument(
        "--dense-large",
        action="store_true",
        help="also run the dense baseline at 100x100 (3.2 GB, minutes per call)",
    )
    args = parser.parse_args()

    lecture = lecture_passes()
    backward, forward = lecture["backward_pass"], lecture["forward_pass"]
    gradient = lecture["maxent_gradient"]
    rng = np.random.default_rng(0)
    print(
        f"numpy {np.__version__}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
        f"(ms per iteration: best / median of {args.repeats} interleaved calls, "
        "fewer at 100x100)"
    )
    print(
        f"{'grid':>8} {'H':>4} {'S':>6} | {'lecture ms':>17} | {'dense ms':>17} | "
        f"{'speed-up':>8} | {'max |D diff|':>12} {'max |V diff|':>12}"
    )
    for height, width, horizon in SIZES:
        S = height * width
        P = gridworld_transitions(height, width, SLIP)
        features = np.eye(NUM_TERRAINS)[rng.integers(NUM_TERRAINS, size=S)]
        w = rng.normal(size=NUM_TERRAINS)
        mu_tilde = rng.uniform(0.0, horizon / NUM_TERRAINS, size=NUM_TERRAINS)
        mu0 = np.full(S, 1.0 / S)
        runs: dict[str, Callable[[], object]] = {
            "lecture": lambda P=P, f=features, w=w, m=mu_tilde, d=mu0, h=horizon: (
                gradient(w, P, f, m, d, h)
            )
        }
        with_dense = S <= DENSE_LIMIT_STATES or args.dense_large
        if with_dense:
            T = P.dense()
            runs["dense"] = lambda T=T, f=features, w=w, m=mu_tilde, d=mu0, h=horizon: (
                dense_iteration(T, f, w, m, d, h)
            )
        if S <= DENSE_LIMIT_STATES:
            repeats = args.repeats
        else:  # seconds per call at 100x100 (minutes with the dense baseline)
            repeats = 1 if with_dense else max(3, args.repeats // 2)
        timed = _timed_ms(runs, repeats)
        lecture_best, lecture_median = timed["lecture"]
        lecture_cell = f"{lecture_best:8.2f} /{lecture_median:8.2f}"
        if with_dense:
            dense_best, dense_median = timed["dense"]
            V_ref, _, pi_ref = dense_partition_fh(T, features @ w, horizon)
            D_ref, _ = dense_occupancy(T, pi_ref, mu0)
            V, pi = backward(P, features @ w, horizon)
            D = forward(P, pi, mu0)
            grad_gap = np.abs(
                gradient(w, P, features, mu_tilde, mu0, horizon)
                - dense_iteration(T, features, w, mu_tilde, mu0, horizon)
            ).max()
            dense_cell = f"{dense_best:8.2f} /{dense_median:8.2f}"
            ratio = f"{dense_best / lecture_best:7.1f}x"
            diffs = (
                f"{np.abs(D - D_ref[:horizon]).max():12.1e} "
                f"{np.abs(V - V_ref).max():12.1e}"
            )
            del T
        else:
            dense_cell, ratio = f"{'skipped':>17}", f"{'-':>8}"
            diffs = f"{'-':>12} {'-':>12}"
            grad_gap = float("nan")
        print(
            f"{width:>3}x{height:<4} {horizon:>4} {S:>6} | {lecture_cell} | "
            f"{dense_cell} | {ratio} | {diffs}"
            + (f"  (gradient diff {grad_gap:.1e})" if np.isfinite(grad_gap) else "")
        )
    print(
        "dense: a NumPy transcription of imitation's mce_partition_fh + "
        "mce_occupancy_measures\n(imitation itself is not installable here: it would "
        "replace gymnasium 1.x by 0.29).\nAt 100x100 the dense (S, A, S) array would "
        "take 3.2 GB; pass --dense-large to run it anyway."
    )
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
