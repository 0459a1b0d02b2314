"""Exact policy evaluation and policy gradients for tabular MDPs by linear algebra.

Policies are arrays ``pi`` of shape (S, A) with pi[s, a] = pi(a | s).

Terminal states are absorbing with zero reward, so V, Q and A are 0 there. The
solvers drop the transitions out of terminal states ("the episode has ended"),
which leaves V unchanged and keeps I - gamma P_pi invertible when gamma = 1, as
long as every state reaches a terminal state (checked, with a clear error).

State visitation counts only the states where the agent acts, i.e. time steps
before the episode ends; terminal states get visitation 0. The policy gradient
does not depend on this choice because A(s, a) = 0 in terminal states.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shared.mdp import TabularMDP

_PROB_ATOL = 1e-8


def policy_matrices(
    mdp: TabularMDP, pi: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """State-to-state P_pi and expected reward r_pi under policy pi (lectures 01, 08).

    Symbol  Shape   Description
    pi      (S, A)  pi[s, a] = pi(a | s), rows sum to 1
    P_pi    (S, S)  P_pi[s, s'] = sum_a pi(a|s) P(s'|s, a); rows of terminal
                    states are 0 (the episode has ended there)
    r_pi    (S,)    r_pi[s] = sum_a pi(a|s) r(s, a)
    """
    pi_arr = _check_policy(mdp, pi)
    P_pi = np.einsum("sa,sat->st", pi_arr, mdp.P)
    P_pi[mdp.terminal] = 0.0
    r_pi = np.einsum("sa,sa->s", pi_arr, mdp.R)
    return P_pi, r_pi


def value(mdp: TabularMDP, pi: ArrayLike) -> NDArray[np.float64]:
    """Exact V^pi by solving (I - gamma P_pi) V = r_pi (lectures 01, 08)."""
    P_pi, r_pi = policy_matrices(mdp, pi)
    return np.asarray(np.linalg.solve(_bellman_matrix(mdp, P_pi), r_pi), np.float64)


def q_value(mdp: TabularMDP, pi: ArrayLike) -> NDArray[np.float64]:
    """Exact Q^pi(s, a) = r(s, a) + gamma E[V^pi(s')], shape (S, A) (lec. 01, 08)."""
    V = value(mdp, pi)
    return mdp.R + mdp.gamma * mdp.P @ V


def advantage(mdp: TabularMDP, pi: ArrayLike) -> NDArray[np.float64]:
    """Exact A^pi(s, a) = Q^pi(s, a) - V^pi(s), shape (S, A) (lectures 02, 03, 08)."""
    V = value(mdp, pi)
    Q = mdp.R + mdp.gamma * mdp.P @ V
    return Q - V[:, None]


def visitation(mdp: TabularMDP, pi: ArrayLike) -> NDArray[np.float64]:
    """Discounted visits eta(s) = sum_{t<T} gamma^t Pr(s_t = s) (lectures 02, 08).

    T is the (possibly infinite) time the episode ends, so terminal states get 0.
    eta solves eta^T (I - gamma P_pi) = mu0^T. This is the weighting in the
    policy gradient theorem, grad J = sum_s eta(s) sum_a grad pi(a|s) Q(s, a),
    and in the performance difference lemma,
    J(pi') - J(pi) = sum_s eta^{pi'}(s) sum_a pi'(a|s) A^pi(s, a).
    """
    P_pi, _ = policy_matrices(mdp, pi)
    eta = np.asarray(np.linalg.solve(_bellman_matrix(mdp, P_pi).T, mdp.mu0), np.float64)
    # The solve counts a terminal state once, on arrival; no action is taken there.
    eta[mdp.terminal] = 0.0
    return eta


def state_distribution(mdp: TabularMDP, pi: ArrayLike) -> NDArray[np.float64]:
    """Normalised discounted state distribution d^pi = eta / sum(eta) (lectures 02, 08).

    Without terminal states and gamma < 1 this is the usual
    d^pi = (1 - gamma) mu0^T (I - gamma P_pi)^{-1}, since sum(eta) = 1 / (1 - gamma).
    With terminal states it is the distribution of the states where the agent
    acts: sum(eta) = E[sum_{t<T} gamma^t] replaces 1 / (1 - gamma). For gamma = 1
    (episodic) it is the expected number of visits to s per episode, normalised.
    """
    eta = visitation(mdp, pi)
    if eta.sum() == 0.0:
        raise ValueError("mu0 starts every episode in a terminal state: d^pi is empty.")
    return eta / eta.sum()


def objective(mdp: TabularMDP, pi: ArrayLike) -> float:
    """Expected return J(pi) = sum_s mu0(s) V^pi(s) (lectures 01-04)."""
    return float(mdp.mu0 @ value(mdp, pi))


def softmax_policy(theta: ArrayLike) -> NDArray[np.float64]:
    """Tabular softmax policy pi(a|s) proportional to exp(theta[s, a]) (lecture 02)."""
    theta_arr = np.asarray(theta, dtype=np.float64)
    # Subtracting the row max leaves the softmax unchanged and avoids overflow.
    z = np.exp(theta_arr - theta_arr.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def softmax_policy_gradient(mdp: TabularMDP, theta: ArrayLike) -> NDArray[np.float64]:
    """Exact dJ/dtheta[s, a] = eta(s) pi(a|s) A(s, a) for softmax pi (lectures 02, 03).

    Symbol  Shape   Description
    theta   (S, A)  logits of the tabular softmax policy
    result  (S, A)  gradient of J = mu0 . V^pi with respect to theta
    """
    pi = softmax_policy(theta)
    # d log pi(b|s) / d theta[s, a] = 1[a = b] - pi(a|s); the sum over b of
    # pi(b|s) Q(s, b) (1[a = b] - pi(a|s)) equals pi(a|s) A(s, a).
    return visitation(mdp, pi)[:, None] * pi * advantage(mdp, pi)


def _check_policy(mdp: TabularMDP, pi: ArrayLike) -> NDArray[np.float64]:
    """Return pi as a float64 array, or raise ValueError saying what is wrong."""
    pi_arr = np.asarray(pi, dtype=np.float64)
    shape = (mdp.num_states, mdp.num_actions)
    if pi_arr.shape != shape:
        raise ValueError(f"pi must have shape (S, A) = {shape}; got {pi_arr.shape}.")
    if not np.all(np.isfinite(pi_arr)) or np.any(pi_arr < 0):
        s, a = (int(i) for i in np.argwhere(~(pi_arr >= 0))[0])
        raise ValueError(f"pi[s={s}, a={a}] = {pi_arr[s, a]} is not a probability.")
    sums = pi_arr.sum(axis=1)
    bad = np.abs(sums - 1.0) > _PROB_ATOL
    if np.any(bad):
        s = int(np.flatnonzero(bad)[0])
        raise ValueError(f"pi[{s}] sums to {sums[s]:.6g}, not 1.")
    return pi_arr


def _bellman_matrix(mdp: TabularMDP, P_pi: NDArray[np.float64]) -> NDArray[np.float64]:
    """I - gamma P_pi, after checking it is invertible when gamma = 1."""
    if mdp.gamma == 1.0:
        stuck = _never_terminating(mdp, P_pi)
        if stuck.size:
            raise ValueError(
                "with gamma = 1 every state must reach a terminal state, but under "
                f"this policy states {stuck.tolist()} never do, so their value is "
                "not defined. Use gamma < 1 or a policy that ends episodes."
            )
    return np.eye(mdp.num_states) - mdp.gamma * P_pi


def _never_terminating(mdp: TabularMDP, P_pi: NDArray[np.float64]) -> NDArray[np.intp]:
    """States from which no terminal state can be reached under P_pi."""
    reaches = mdp.terminal.copy()
    # Grow the set of states with an edge into it until nothing changes.
    while True:
        grown = reaches | (P_pi[:, reaches].sum(axis=1) > 0)
        if np.array_equal(grown, reaches):
            return np.flatnonzero(~reaches)
        reaches = grown
