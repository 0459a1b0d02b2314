"""Queryable experts, and the tasks they act in, for imitation learning (lecture 06).

Behaviour cloning and DAgger need an expert that answers "which action here?" for
any state, including states the expert itself would never reach. Nothing is
downloaded: both experts are computed here.

* ``track``: a tabular lane-keeping MDP in which a learner's mistake leads to
  states (the gravel) that the expert never visits; ``optimal_policy`` solves
  it exactly, which makes the expert.
* ``cartpole_expert``: LQR on CartPole's dynamics linearised about the upright
  pole, turned into a left/right rule; it keeps the pole up for all 500 steps.
* ``rollout_tabular`` / ``rollout_cartpole``: visited states and actions of a
  policy given as action probabilities (``probs_fn``), e.g. a beta-mixture of
  expert and learner, sampled with an explicit ``np.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shared.mdp import TabularMDP
from shared.rollout import Episode, make_vector_env, sample_episodes, sample_tabular

__all__ = [
    "CARTPOLE_SCALE",
    "TRACK_ACTIONS",
    "Track",
    "cartpole_episodes",
    "cartpole_expert",
    "cartpole_features",
    "cartpole_lqr_gain",
    "cartpole_returns",
    "cartpole_side_by_side",
    "optimal_policy",
    "rollout_cartpole",
    "rollout_tabular",
    "sample_actions",
    "track",
]

# obs (N, ...) -> action probabilities (N, A)
ProbsFn = Callable[[NDArray[Any]], NDArray[np.float64]]

TRACK_ACTIONS: tuple[str, ...] = ("left", "straight", "right")

# Typical magnitudes of CartPole's (x, x_dot, theta, theta_dot): the limits where
# an episode ends (2.4 m, 12 degrees) and a velocity scale, so features are O(1).
CARTPOLE_SCALE: NDArray[np.float64] = np.array([2.4, 2.0, 12 * np.pi / 180, 2.0])

# CartPole-v1's physics (gymnasium.envs.classic_control.cartpole).
_GRAVITY, _MASS_CART, _MASS_POLE, _HALF_LENGTH = 9.8, 1.0, 0.1, 0.5
_FORCE, _TAU = 10.0, 0.02


# ---------------------------------------------------------------------------
# the track


@dataclass(frozen=True, eq=False)
class Track:
    """A looped road of L positions with gravel beside it (lecture 06).

    Symbol        Shape    Description
    mdp           -        TabularMDP with S = 2L states and A = 3 actions;
                           state p is the road at position p, state L + p
                           the gravel next to it
    road_action   (L,)     the action that keeps the car on the road at p
    back_action   (L,)     the action that brings it back from the gravel at p
    features      (S, 2L)  one-hot of the position p, plus a second one-hot of
                           p on gravel states only (zero on the road)
    """

    mdp: TabularMDP
    road_action: NDArray[np.int64]
    back_action: NDArray[np.int64]
    features: NDArray[np.float64]

    @property
    def num_positions(self) -> int:
        """Number of road positions L (lecture 06)."""
        return int(self.road_action.shape[0])

    def on_gravel(self, states: ArrayLike) -> NDArray[np.bool_]:
        """Whether each state is a gravel state (lecture 06)."""
        return np.asarray(states) >= self.num_positions


def track(num_positions: int = 12, seed: int = 0, gamma: float = 0.9) -> Track:
    """A random lane-keeping track where mistakes leave the expert's states (lec. 06).

    Each step the car moves on to position p + 1 (mod L). On the road, the one
    action road_action[p] (which way the road bends) keeps it on the road; the
    other two put it in the gravel. In the gravel, the one action back_action[p]
    (never the same as road_action[p]) returns it to the road; the other two
    keep it in the gravel. Ending a step in the gravel costs 1 (reward -1).
    Episodes start on the road at a uniformly random position.
    """
    if num_positions < 2:
        raise ValueError(f"track needs num_positions >= 2; got {num_positions}.")
    rng = np.random.default_rng(seed)
    L, A = num_positions, len(TRACK_ACTIONS)
    road = rng.integers(A, size=L)
    # a different action from the road's: one of the other two, at random
    back = (road + 1 + rng.integers(A - 1, size=L)) % A
    S = 2 * L
    P = np.zeros((S, A, S))
    for p in range(L):
        nxt = (p + 1) % L
        for a in range(A):
            P[p, a, nxt if a == road[p] else L + nxt] = 1.0
            P[L + p, a, nxt if a == back[p] else L + nxt] = 1.0
    # r(s, a) = -Pr(the step ends in the gravel)
    R = -P[:, :, L:].sum(axis=2)
    mu0 = np.zeros(S)
    mu0[:L] = 1.0 / L
    features = np.zeros((S, 2 * L))
    features[np.arange(S), np.arange(S) % L] = 1.0
    features[L + np.arange(L), L + np.arange(L)] = 1.0
    features.setflags(write=False)
    return Track(
        mdp=TabularMDP(P, R, gamma, mu0, name=f"track({L})"),
        road_action=road.astype(np.int64),
        back_action=back.astype(np.int64),
        features=features,
    )


def optimal_policy(
    mdp: TabularMDP, tol: float = 1e-12, max_iters: int = 100_000
) -> NDArray[np.float64]:
    """Exact optimal deterministic policy (S, A), one-hot, by value iteration (lec. 06).

    Iterates V <- max_a [r(s, a) + gamma sum_s' P(s'|s, a) V(s')] until the
    largest change is below tol, then acts greedily on Q; ties go to the lowest
    action index. Needs gamma < 1.
    """
    if not mdp.gamma < 1.0:
        raise ValueError(f"optimal_policy needs gamma < 1; got {mdp.gamma}.")
    V = np.zeros(mdp.num_states)
    for _ in range(max_iters):
        Q = mdp.R + mdp.gamma * mdp.P @ V
        V_new = Q.max(axis=1)
        V_new[mdp.terminal] = 0.0
        done = np.max(np.abs(V_new - V)) < tol
        V = V_new
        if done:
            break
    else:
        raise RuntimeError(f"value iteration did not converge in {max_iters} sweeps.")
    Q = mdp.R + mdp.gamma * mdp.P @ V
    pi = np.zeros((mdp.num_states, mdp.num_actions))
    pi[np.arange(mdp.num_states), Q.argmax(axis=1)] = 1.0
    return pi


# ---------------------------------------------------------------------------
# CartPole


def cartpole_lqr_gain(
    q: ArrayLike = (1.0, 1.0, 1.0, 1.0), r: float = 1.0
) -> NDArray[np.float64]:
    """Gain k (4,): push right iff k . obs > 0; LQR on the linearised pole (lec. 06).

    CartPole's equations of motion, linearised about the upright pole at rest
    and discretised with its Euler step, give x_{t+1} = A x_t + B u_t for the
    state x = (x, x_dot, theta, theta_dot) and force u. The discrete Riccati
    recursion for the cost sum_t x^T diag(q) x + r u^2 gives u = -K x; the
    expert pushes in the direction of that force, so k = -K.
    """
    q_arr = np.asarray(q, dtype=np.float64)
    if q_arr.shape != (4,) or np.any(q_arr < 0) or r <= 0:
        raise ValueError(
            f"need q of shape (4,) with q >= 0 and r > 0; got {q!r}, {r!r}."
        )
    total = _MASS_CART + _MASS_POLE
    # theta_acc = (g theta - u / M) / den, linearised from gymnasium's equations
    den = _HALF_LENGTH * (4.0 / 3.0 - _MASS_POLE / total)
    pole = _MASS_POLE * _HALF_LENGTH / total
    A_c = np.zeros((4, 4))
    B_c = np.zeros(4)
    A_c[0, 1] = A_c[2, 3] = 1.0
    A_c[3, 2] = _GRAVITY / den
    B_c[3] = -1.0 / (total * den)
    # x_acc = u / M - (m_pole l / M) theta_acc
    A_c[1, 2] = -pole * _GRAVITY / den
    B_c[1] = 1.0 / total + pole / (total * den)
    A = np.eye(4) + _TAU * A_c
    B = (_TAU * B_c)[:, None]
    Q, R = np.diag(q_arr), np.array([[float(r)]])
    P = Q.copy()
    for _ in range(10_000):
        K = np.linalg.solve(R + B.T @ P @ B, B.T @ P @ A)
        P_new = Q + A.T @ P @ (A - B @ K)
        if np.max(np.abs(P_new - P)) < 1e-10 * max(1.0, np.max(np.abs(P))):
            P = P_new
            break
        P = P_new
    K = np.linalg.solve(R + B.T @ P @ B, B.T @ P @ A)
    return np.asarray(-K[0], dtype=np.float64)


@lru_cache(maxsize=1)
def _default_gain() -> NDArray[np.float64]:
    gain = cartpole_lqr_gain()
    gain.setflags(write=False)
    return gain


def cartpole_expert(obs: ArrayLike) -> NDArray[np.int64]:
    """Expert actions (N,) for observations (N, 4): 1 (push right) iff k . obs > 0.

    k is cartpole_lqr_gain() with its defaults (lecture 06).
    """
    obs_arr = np.asarray(obs, dtype=np.float64)
    if obs_arr.ndim != 2 or obs_arr.shape[1] != 4:
        raise ValueError(f"obs must have shape (N, 4); got {obs_arr.shape}.")
    return (obs_arr @ _default_gain() > 0).astype(np.int64)


def cartpole_features(obs: ArrayLike) -> NDArray[np.float64]:
    """Learner features (N, 5): obs / CARTPOLE_SCALE and a constant 1 (lecture 06)."""
    obs_arr = np.asarray(obs, dtype=np.float64)
    if obs_arr.ndim != 2 or obs_arr.shape[1] != 4:
        raise ValueError(f"obs must have shape (N, 4); got {obs_arr.shape}.")
    return np.concatenate([obs_arr / CARTPOLE_SCALE, np.ones((len(obs_arr), 1))], 1)


# ---------------------------------------------------------------------------
# rollouts of a policy given as action probabilities


def sample_actions(probs: ArrayLike, rng: np.random.Generator) -> NDArray[np.int64]:
    """One action per row of probs (N, A) by inverse-CDF sampling (lecture 06)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError(f"probs must have shape (N, A); got {p.shape}.")
    if not (p.min() >= 0.0 and np.abs(p.sum(axis=1) - 1.0).max() <= 1e-6):
        raise ValueError("each row of probs must be a probability distribution.")
    cdf = np.cumsum(p, axis=1)
    cdf[:, -1] = 1.0
    u = rng.random((p.shape[0],))
    # the action is the number of cdf entries <= u: a has probability p[a]
    return (u[:, None] >= cdf).sum(axis=1).astype(np.int64)


def _probs_table(mdp: TabularMDP, probs_fn: ProbsFn) -> NDArray[np.float64]:
    """probs_fn on every state at once: the policy as an (S, A) array."""
    pi = np.asarray(probs_fn(np.arange(mdp.num_states)), dtype=np.float64)
    if pi.shape != (mdp.num_states, mdp.num_actions):
        raise ValueError(
            f"probs_fn(states) must return shape (num_states, num_actions) = "
            f"{(mdp.num_states, mdp.num_actions)}; got {pi.shape}."
        )
    return pi


def rollout_tabular(
    mdp: TabularMDP,
    probs_fn: ProbsFn,
    num_episodes: int,
    horizon: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """States (M,) visited and actions (M,) taken by a policy, episode by episode.

    probs_fn maps states (N,) to action probabilities (N, A). Each episode runs
    for horizon steps or until it enters a terminal state (lecture 06).
    """
    pi = _probs_table(mdp, probs_fn)
    eps = sample_tabular(mdp, pi, num_episodes, rng, max_steps=horizon)
    empty = np.zeros(0, dtype=np.int64)
    obs = np.concatenate([ep.obs for ep in eps]) if eps else empty
    act = np.concatenate([ep.act for ep in eps]) if eps else empty
    return obs.astype(np.int64), act.astype(np.int64)


def cartpole_episodes(
    probs_fn: ProbsFn, num_episodes: int, rng: np.random.Generator
) -> list[Episode]:
    """num_episodes CartPole-v1 episodes (at most 500 steps) of a policy (lec. 06).

    probs_fn maps observations (N, 4) to action probabilities (N, 2); actions
    are sampled with rng, and the environment is seeded from rng too.
    """
    if num_episodes < 1:
        raise ValueError(f"num_episodes must be >= 1; got {num_episodes}.")
    seed = int(rng.integers(2**31 - 1))
    envs = make_vector_env("CartPole-v1", num_episodes, seed, vectorization="vector")

    def policy_fn(obs: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
        probs = np.asarray(probs_fn(np.asarray(obs, dtype=np.float64)))
        act = sample_actions(probs, rng)
        return act, np.log(np.maximum(probs[np.arange(len(act)), act], 1e-300))

    try:
        return sample_episodes(envs, policy_fn, num_episodes, seed=seed)
    finally:
        envs.close()


def rollout_cartpole(
    probs_fn: ProbsFn, num_episodes: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Observations (M, 4) visited and actions (M,) taken in CartPole (lecture 06)."""
    eps = cartpole_episodes(probs_fn, num_episodes, rng)
    obs = np.concatenate([ep.obs for ep in eps]).astype(np.float64)
    act = np.concatenate([ep.act for ep in eps]).astype(np.int64)
    return obs, act


def cartpole_side_by_side(
    probs_fns: Sequence[ProbsFn], num_episodes: int, rng: np.random.Generator
) -> list[list[Episode]]:
    """num_episodes CartPole episodes of each of K policies, run together (lec. 06).

    One vector env of K * num_episodes CartPoles: policy k acts in envs
    k * num_episodes to (k + 1) * num_episodes - 1, which takes about as long as
    running one policy. Returns one list of episodes per policy.
    """
    num_policies = len(probs_fns)
    if num_policies == 0:
        raise ValueError("probs_fns is empty: give at least one policy.")
    n = num_episodes

    def probs_fn(obs: NDArray[Any]) -> NDArray[np.float64]:
        return np.concatenate(
            [np.asarray(f(obs[k * n : (k + 1) * n])) for k, f in enumerate(probs_fns)]
        )

    eps = cartpole_episodes(probs_fn, num_policies * n, rng)
    return [eps[k * n : (k + 1) * n] for k in range(num_policies)]


def cartpole_returns(
    probs_fns: Sequence[ProbsFn], num_episodes: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Returns (K, num_episodes) of K policies run side by side (lecture 06)."""
    runs = cartpole_side_by_side(probs_fns, num_episodes, rng)
    return np.array([[float(ep.rew.sum()) for ep in eps] for eps in runs])
