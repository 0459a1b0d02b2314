"""Gridworlds for inverse RL: sparse transitions, state features and expert demos.

Lecture 07 (maximum-entropy inverse RL) needs worlds far larger than a dense
(S, A, S) array allows (a 100x100 grid would take 3.2 GB), so transitions are
stored sparsely: each (s, a) lists its K possible next states and their
probabilities. The moves are those of shared.mdp.gridworld (same actions, same
slip), but no state is terminal: the agent acts for a fixed horizon H.

    Symbol      Shape      Description
    next_state  (S, A, K)  int64, the k-th possible next state of (s, a)
    prob        (S, A, K)  P(next_state[s, a, k] | s, a)
    features    (S, d)     x(s), the features of state s
    weights     (d,)       w, so that the reward is r(s) = w . x(s)
    mu0         (S,)       start distribution
    pi          (H, S, A)  pi[t, s, a] = pi_t(a | s), a time-dependent policy
    obs, act    (m, H)     m demonstrations of H steps: states and actions
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shared.mdp import ACTION_DELTAS, cell_to_state

_T = TypeVar("_T", bound=np.generic)

# Probabilities may be off by rounding; anything beyond this is a real error.
_PROB_ATOL = 1e-8

# Terrain characters of terrain_world(), in feature order; 'S' is grass + start.
TERRAINS: dict[str, str] = {".": "grass", "~": "water", "G": "goal"}
START_CHAR = "S"


@dataclass(frozen=True, init=False, eq=False)
class SparseTransitions:
    """P(s' | s, a) stored as K (next state, probability) pairs per (s, a) (lec. 07).

    Symbol      Shape      Description
    next_state  (S, A, K)  int64, the k-th possible next state of (s, a)
    prob        (S, A, K)  its probability; unused slots have probability 0 and
                           a next state listed twice has its probabilities added

    Construct it as ``SparseTransitions(next_state, prob)``; the arrays are copied,
    made read-only and checked (a ValueError names the first problem).
    ``P.expected(V)`` averages V over next states (backward in time) and
    ``P.push(flow)`` moves probability mass to next states (forward in time).
    """

    next_state: NDArray[np.int64]
    prob: NDArray[np.float64]
    _next_kas: NDArray[np.int64] = field(repr=False)
    _prob_kas: NDArray[np.float64] = field(repr=False)
    _scratch: NDArray[np.float64] = field(repr=False)
    _next_ks: NDArray[np.int64] | None = field(repr=False)

    def __init__(self, next_state: ArrayLike, prob: ArrayLike) -> None:
        nxt = np.array(next_state, dtype=np.int64, order="C")
        p = np.array(prob, dtype=np.float64, order="C")
        _check_sparse(nxt, p)
        nxt.setflags(write=False)
        p.setflags(write=False)
        object.__setattr__(self, "next_state", nxt)
        object.__setattr__(self, "prob", p)
        # (K, A, S) copies for expected() and push(): numpy sums over a short
        # last axis slowly, over a leading axis fast (whole rows at a time).
        object.__setattr__(self, "_next_kas", _frozen_copy(nxt.transpose(2, 1, 0)))
        object.__setattr__(self, "_prob_kas", _frozen_copy(p.transpose(2, 1, 0)))
        # Reused work space: fresh large temporaries cost page faults each step.
        object.__setattr__(self, "_scratch", np.empty(self._prob_kas.shape))
        # In gridworlds the K possible next states of (s, a) do not depend on a
        # (the slip changes only their probabilities): then (K, S) indices do.
        same_for_all_actions = bool(np.all(nxt == nxt[:, :1, :]))
        object.__setattr__(
            self,
            "_next_ks",
            _frozen_copy(nxt[:, 0, :].T) if same_for_all_actions else None,
        )

    @property
    def num_states(self) -> int:
        """Number of states S (lecture 07)."""
        return int(self.prob.shape[0])

    @property
    def num_actions(self) -> int:
        """Number of actions A (lecture 07)."""
        return int(self.prob.shape[1])

    @property
    def num_next(self) -> int:
        """K, the number of (next state, probability) slots per (s, a) (lecture 07)."""
        return int(self.prob.shape[2])

    def expected(self, V: ArrayLike) -> NDArray[np.float64]:
        """E[V(s') | s, a] = sum_k prob[s, a, k] V(next_state[s, a, k]) (lecture 07).

        V: (S,) values of the next state. Returns shape (S, A).
        """
        V_arr = self._state_vector("V", V)
        if self._next_ks is not None:
            # gather V once per (k, s) and let it broadcast over the actions
            V_next = V_arr[self._next_ks][:, None, :]
            np.multiply(self._prob_kas, V_next, out=self._scratch)
        else:
            # indices were checked at construction, so mode="clip" never clips
            np.take(V_arr, self._next_kas, out=self._scratch, mode="clip")
            np.multiply(self._scratch, self._prob_kas, out=self._scratch)
        # (K, A, S) -> (A, S); the transpose is a view, so Q = r + E[V] stays cheap
        return np.asarray(self._scratch.sum(axis=0).T, dtype=np.float64)

    def push(self, flow: ArrayLike) -> NDArray[np.float64]:
        """Mass arriving in each s': sum_{s, a} flow[s, a] P(s' | s, a) (lecture 07).

        flow: (S, A), e.g. D_t(s) pi_t(a | s). Returns shape (S,).
        """
        F = np.asarray(flow, dtype=np.float64)
        if F.shape != (self.num_states, self.num_actions):
            raise ValueError(
                f"flow must have shape (S, A) = {(self.num_states, self.num_actions)};"
                f" got {F.shape}."
            )
        # every slot (s, a, k) carries flow[s, a] prob[s, a, k] into next_state[s, a, k]
        mass = np.multiply(self._prob_kas, F.T[None, :, :], out=self._scratch)
        if self._next_ks is not None:
            # slot (k, s) leads to the same state for every action: add them first
            targets, weights = self._next_ks.ravel(), mass.sum(axis=1).ravel()
        else:
            targets, weights = self._next_kas.ravel(), mass.ravel()
        return np.bincount(targets, weights=weights, minlength=self.num_states).astype(
            np.float64, copy=False
        )

    def _state_vector(self, what: str, x: ArrayLike) -> NDArray[np.float64]:
        """x as a float64 array of shape (S,), or a ValueError."""
        arr = np.asarray(x, dtype=np.float64)
        if arr.shape != (self.num_states,):
            raise ValueError(
                f"{what} must have shape (S,) = ({self.num_states},); got {arr.shape}."
            )
        return arr

    def dense(self) -> NDArray[np.float64]:
        """The dense (S, A, S) array P[s, a, s'] (lecture 07; small worlds only)."""
        S, A, K = self.prob.shape
        P = np.zeros((S, A, S))
        s_idx = np.broadcast_to(np.arange(S)[:, None, None], (S, A, K))
        a_idx = np.broadcast_to(np.arange(A)[None, :, None], (S, A, K))
        np.add.at(P, (s_idx, a_idx, self.next_state), self.prob)
        return P

    @classmethod
    def from_dense(cls, P: ArrayLike) -> SparseTransitions:
        """Sparse form of a dense (S, A, S) transition array (lecture 07)."""
        P_arr = np.asarray(P, dtype=np.float64)
        if P_arr.ndim != 3 or P_arr.shape[0] != P_arr.shape[2]:
            raise ValueError(f"P must have shape (S, A, S); got {P_arr.shape}.")
        # K = the largest number of possible next states of any (s, a); the
        # nonzeros of each row come first (stable sort), padding slots after.
        nonzero = P_arr > 0
        K = max(int(nonzero.sum(axis=2).max()), 1)
        order = np.argsort(~nonzero, axis=2, kind="stable")[:, :, :K]
        prob = np.take_along_axis(P_arr, order, axis=2)
        return cls(order, prob)


def _frozen_copy(arr: NDArray[_T]) -> NDArray[_T]:
    """A read-only, C-contiguous copy of arr."""
    out = np.array(arr, order="C")
    out.setflags(write=False)
    return out


def _check_sparse(nxt: NDArray[np.int64], p: NDArray[np.float64]) -> None:
    """Raise ValueError naming the first inconsistency of a sparse P."""
    if p.ndim != 3 or 0 in p.shape:
        raise ValueError(
            f"prob must have shape (S, A, K) with S, A, K >= 1; got {p.shape}."
        )
    if nxt.shape != p.shape:
        raise ValueError(
            f"next_state has shape {nxt.shape} but prob has shape {p.shape}; "
            "they must match."
        )
    S = p.shape[0]
    if np.any((nxt < 0) | (nxt >= S)):
        s, a, k = (int(i) for i in np.argwhere((nxt < 0) | (nxt >= S))[0])
        raise ValueError(
            f"next_state[{s}, {a}, {k}] = {nxt[s, a, k]} is not a state in 0..{S - 1}."
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        s, a, k = (int(i) for i in np.argwhere(~(p >= 0) | ~np.isfinite(p))[0])
        raise ValueError(f"prob[{s}, {a}, {k}] = {p[s, a, k]} is not a probability.")
    sums = p.sum(axis=2)
    bad = np.abs(sums - 1.0) > _PROB_ATOL
    if np.any(bad):
        s, a = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"prob[{s}, {a}, :] sums to {sums[s, a]:.6g}, not 1: the next states "
            "of each (s, a) must form a distribution."
        )


def gridworld_transitions(height: int, width: int, slip: float) -> SparseTransitions:
    """The moves of shared.mdp.gridworld with no terminal state, sparse (lecture 07).

    K = 4 slots, one per direction of ACTION_DELTAS (0 up, 1 right, 2 down,
    3 left): slot k is the cell reached by moving in direction k (the same cell
    at a wall), taken with probability 1 - slip for k = a and slip / 3 otherwise.
    """
    if height < 1 or width < 1 or height * width < 2:
        raise ValueError(f"a gridworld needs at least 2 cells; got {height}x{width}.")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip = {slip} is not a probability.")
    A = len(ACTION_DELTAS)
    rows, cols = np.divmod(np.arange(height * width), width)
    # move[s, d]: the state reached from s in direction d; at a wall only one
    # coordinate leaves the grid, so clipping it keeps the agent in place.
    move = np.stack(
        [
            np.clip(rows + dr, 0, height - 1) * width + np.clip(cols + dc, 0, width - 1)
            for dr, dc in ACTION_DELTAS
        ],
        axis=1,
    )
    direction = np.full((A, A), slip / (A - 1))
    np.fill_diagonal(direction, 1.0 - slip)
    next_state = np.broadcast_to(move[:, None, :], (height * width, A, A))
    prob = np.broadcast_to(direction[None, :, :], (height * width, A, A))
    return SparseTransitions(next_state, prob)


@dataclass(frozen=True, eq=False)
class IRLWorld:
    """A gridworld with state features and a true linear reward (lecture 07).

    Symbol        Shape      Description
    P             -          SparseTransitions over S = height * width states
    features      (S, d)     x(s) for state s = row * width + column
    true_weights  (d,)       w*, the reward the expert optimises: r = x w*
    mu0           (S,)       start distribution
    """

    height: int
    width: int
    slip: float
    P: SparseTransitions
    features: NDArray[np.float64]
    feature_names: tuple[str, ...]
    true_weights: NDArray[np.float64]
    mu0: NDArray[np.float64]

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width), e.g. for shared.plotting.gridworld_heatmap (lecture 07)."""
        return self.height, self.width

    @property
    def num_states(self) -> int:
        """Number of states S (lecture 07)."""
        return self.height * self.width

    @property
    def true_reward(self) -> NDArray[np.float64]:
        """The expert's reward r*(s) = w* . x(s), shape (S,) (lecture 07)."""
        return np.asarray(self.features @ self.true_weights, dtype=np.float64)


def terrain_world(
    layout: Sequence[str], weights: Mapping[str, float], slip: float = 0.1
) -> IRLWorld:
    """A gridworld drawn as text, one character per cell (lecture 07).

    '.' grass, '~' water, 'G' goal, 'S' the start cell (grass). The features are
    one-hot terrain indicators in the order of TERRAINS (grass, water, goal), and
    ``weights`` maps each terrain name to its reward per step spent there.
    """
    height = len(layout)
    width = len(layout[0]) if height else 0
    if height == 0 or any(len(row) != width for row in layout):
        raise ValueError("layout must be non-empty rows of equal length.")
    names = tuple(TERRAINS.values())
    if set(weights) != set(names):
        raise ValueError(f"weights must give exactly {names}; got {sorted(weights)}.")
    chars = [ch for row in layout for ch in row]
    unknown = sorted(set(chars) - set(TERRAINS) - {START_CHAR})
    if unknown:
        raise ValueError(
            f"unknown layout character(s) {unknown}; use {sorted(TERRAINS)} and "
            f"{START_CHAR!r}."
        )
    if chars.count(START_CHAR) != 1:
        raise ValueError(f"layout needs exactly one start cell {START_CHAR!r}.")
    kinds = [names.index(TERRAINS.get(ch, "grass")) for ch in chars]
    features = np.eye(len(names))[kinds]
    mu0 = np.zeros(height * width)
    r, c = divmod(chars.index(START_CHAR), width)
    mu0[cell_to_state(r, c, width)] = 1.0
    return IRLWorld(
        height=height,
        width=width,
        slip=float(slip),
        P=gridworld_transitions(height, width, slip),
        features=features,
        feature_names=names,
        true_weights=np.array([float(weights[n]) for n in names]),
        mu0=mu0,
    )


def expert_policy(
    P: SparseTransitions,
    reward: ArrayLike,
    horizon: int,
    temperature: float = 0.0,
) -> NDArray[np.float64]:
    """Optimal (temperature 0) or Boltzmann-rational expert for H steps (lecture 07).

    Hard finite-horizon value iteration with Q*_t(s, a) = r(s) + E[V*_{t+1}(s')],
    V*_t = max_a Q*_t and V*_H = 0. Temperature 0 splits pi_t(.|s) evenly over
    the optimal actions; temperature tau > 0 gives pi_t(a|s) proportional to
    exp(Q*_t(s, a) / tau), a noisy expert that prefers better actions.
    Returns pi, shape (H, S, A).
    """
    r = np.asarray(reward, dtype=np.float64)
    if r.shape != (P.num_states,) or not np.all(np.isfinite(r)):
        raise ValueError(f"reward must be finite with shape ({P.num_states},).")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1; got {horizon}.")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0; got {temperature}.")
    pi = np.empty((horizon, P.num_states, P.num_actions))
    V = np.zeros(P.num_states)
    for t in reversed(range(horizon)):
        Q = r[:, None] + P.expected(V)
        V = Q.max(axis=1)
        # Q - max Q <= 0, so neither branch can overflow whatever the reward scale.
        gap = Q - V[:, None]
        if temperature == 0.0:
            # ties up to rounding (relative to the size of Q) share the mass
            tol = 1e-9 * np.maximum(1.0, np.abs(V))[:, None]
            best = (gap >= -tol).astype(np.float64)
            pi[t] = best / best.sum(axis=1, keepdims=True)
        else:
            z = np.exp(gap / temperature)
            pi[t] = z / z.sum(axis=1, keepdims=True)
    return pi


def sample_demos(
    P: SparseTransitions,
    pi: ArrayLike,
    mu0: ArrayLike,
    num_demos: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """m demonstrations of H steps from a time-dependent policy (lecture 07).

    s_0 ~ mu0, a_t ~ pi_t(.|s_t), s_{t+1} ~ P(.|s_t, a_t), all m at once.
    pi: (H, S, A); the horizon H is pi.shape[0]. Returns (obs, act), the states
    s_0..s_{H-1} and actions a_0..a_{H-1}, each of shape (m, H).
    """
    pi_arr = np.asarray(pi, dtype=np.float64)
    mu0_arr = np.asarray(mu0, dtype=np.float64)
    S, A = P.num_states, P.num_actions
    if pi_arr.ndim != 3 or pi_arr.shape[1:] != (S, A):
        raise ValueError(f"pi must have shape (H, {S}, {A}); got {pi_arr.shape}.")
    if np.any(pi_arr < 0) or np.any(np.abs(pi_arr.sum(axis=2) - 1) > _PROB_ATOL):
        raise ValueError("every pi[t, s, :] must be a probability distribution.")
    if mu0_arr.shape != (S,) or abs(mu0_arr.sum() - 1) > _PROB_ATOL:
        raise ValueError(f"mu0 must be a distribution of shape ({S},).")
    if num_demos < 0:
        raise ValueError(f"num_demos must be >= 0; got {num_demos}.")
    H = pi_arr.shape[0]
    obs = np.empty((num_demos, H), dtype=np.int64)
    act = np.empty((num_demos, H), dtype=np.int64)
    s = _sample_rows(np.broadcast_to(mu0_arr, (num_demos, S)), rng)
    for t in range(H):
        a = _sample_rows(pi_arr[t, s], rng)
        k = _sample_rows(P.prob[s, a], rng)
        obs[:, t], act[:, t] = s, a
        s = P.next_state[s, a, k]
    return obs, act


def _sample_rows(
    probs: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.int64]:
    """One index per row of probs (n, K) by inverse-CDF sampling."""
    cdf = np.cumsum(probs, axis=-1)
    cdf /= cdf[..., -1:]
    # u < cdf[k] first happens at the sampled index; zero-probability slots
    # (cdf unchanged) are never chosen.
    u = rng.random((probs.shape[0], 1))
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1).astype(np.int64)
