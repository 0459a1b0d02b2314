"""Tests for shared.exact: exact values, visitation and softmax policy gradients."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from shared.exact import (
    advantage,
    objective,
    policy_matrices,
    q_value,
    softmax_policy,
    softmax_policy_gradient,
    state_distribution,
    value,
    visitation,
)
from shared.mdp import TabularMDP, bandit, chain, gridworld, two_state
from shared.rollout import sample_tabular

EXAMPLES = {
    "bandit": bandit(),
    "bandit_discounted": bandit(means=(0.2, -1.0, 3.0, 0.5), gamma=0.5),
    "two_state": two_state(),
    "chain": chain(),
    "chain_gamma1": chain(gamma=1.0),
    "gridworld": gridworld(),
    "gridworld_pit": gridworld(height=3, width=4, pit=(1, 1), step_reward=-0.01),
}

# Monte Carlo checks: a failure means the estimate is more than Z_TOL standard
# errors (estimated from the samples) away from the exact value.
Z_TOL = 4.0
NUM_EPISODES = 3000


def random_theta(mdp: TabularMDP, seed: int) -> np.ndarray:
    """Random logits theta ~ N(0, 1) of shape (S, A)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(mdp.num_states, mdp.num_actions))


def assert_within_se(
    name: str, samples: np.ndarray, exact: np.ndarray | float, atol: float = 1e-10
) -> None:
    """Assert the sample mean over axis 0 is within Z_TOL standard errors of exact."""
    samples = np.asarray(samples, dtype=np.float64)
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    err = np.abs(mean - exact)
    bad = err > Z_TOL * se + atol
    assert not np.any(bad), (
        f"{name}: Monte Carlo mean {mean} vs exact {exact}; "
        f"|error| / standard error = {err / np.maximum(se, 1e-300)}"
    )


# --- consistency of the exact quantities -----------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_bellman_consistency(name: str) -> None:
    """Check V solves the Bellman equation and V, Q, A agree with each other."""
    mdp = EXAMPLES[name]
    pi = softmax_policy(random_theta(mdp, 1))
    V, Q, A = value(mdp, pi), q_value(mdp, pi), advantage(mdp, pi)
    P_pi, r_pi = policy_matrices(mdp, pi)
    np.testing.assert_allclose(V, r_pi + mdp.gamma * P_pi @ V, atol=1e-12)
    np.testing.assert_allclose(V, (pi * Q).sum(axis=1), atol=1e-12)
    np.testing.assert_allclose((pi * A).sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(Q, mdp.R + mdp.gamma * mdp.P @ V, atol=1e-12)
    # Nothing happens after the episode ends.
    assert np.all(V[mdp.terminal] == 0.0) and np.all(Q[mdp.terminal] == 0.0)
    assert objective(mdp, pi) == pytest.approx(mdp.mu0 @ V)


def test_policy_matrices() -> None:
    """Check P_pi averages P over actions and drops transitions out of terminals."""
    mdp = chain(num_states=3, slip=0.0)
    pi = np.array([[1.0, 0.0], [0.25, 0.75], [0.5, 0.5]])
    P_pi, r_pi = policy_matrices(mdp, pi)
    expected = np.array([[1.0, 0.0, 0.0], [0.25, 0.0, 0.75], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(P_pi, expected)
    np.testing.assert_allclose(r_pi, [0.01, 0.75, 0.0])


def test_two_state_values() -> None:
    """Check hand-computed values: staying earns 1/(1-gamma), moving on earns more."""
    mdp = two_state(gamma=0.9)
    stay = np.array([[1.0, 0.0], [1.0, 0.0]])
    move = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(value(mdp, stay), [10.0, 20.0])
    np.testing.assert_allclose(value(mdp, move), [18.0, 20.0])
    assert objective(mdp, move) > objective(mdp, stay)


@pytest.mark.parametrize("name", EXAMPLES)
def test_state_distribution_normalised(name: str) -> None:
    """Check d^pi is eta normalised and eta is 0 on terminal states."""
    mdp = EXAMPLES[name]
    pi = softmax_policy(random_theta(mdp, 2))
    eta, d = visitation(mdp, pi), state_distribution(mdp, pi)
    assert np.all(eta >= 0) and np.all(eta[mdp.terminal] == 0.0)
    assert d.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(d, eta / eta.sum())


def test_state_distribution_textbook_formula() -> None:
    """Check d = (1 - gamma) mu0^T (I - gamma P_pi)^-1 when nothing terminates."""
    mdp = two_state(gamma=0.8)
    pi = softmax_policy(random_theta(mdp, 3))
    P_pi, _ = policy_matrices(mdp, pi)
    expected = (1 - mdp.gamma) * np.linalg.solve(
        (np.eye(2) - mdp.gamma * P_pi).T, mdp.mu0
    )
    np.testing.assert_allclose(state_distribution(mdp, pi), expected, atol=1e-12)
    assert visitation(mdp, pi).sum() == pytest.approx(1 / (1 - mdp.gamma))


@pytest.mark.parametrize("name", EXAMPLES)
def test_performance_difference_lemma(name: str) -> None:
    """Check J(pi') - J(pi) = sum_s eta^{pi'}(s) sum_a pi'(a|s) A^pi(s, a)."""
    mdp = EXAMPLES[name]
    pi, pi_new = (softmax_policy(random_theta(mdp, seed)) for seed in (4, 5))
    gap = objective(mdp, pi_new) - objective(mdp, pi)
    predicted = visitation(mdp, pi_new) @ (pi_new * advantage(mdp, pi)).sum(axis=1)
    assert predicted == pytest.approx(gap, rel=1e-9, abs=1e-12)


# --- softmax policy and its gradient ---------------------------------------


def test_softmax_policy_is_stable() -> None:
    """Check huge logits give a valid policy and shifting a row changes nothing."""
    theta = np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])
    pi = softmax_policy(theta)
    assert np.all(np.isfinite(pi))
    np.testing.assert_allclose(pi, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(softmax_policy(theta + [[3.0], [-7.0]]), pi)


@pytest.mark.parametrize("name", EXAMPLES)
def test_gradient_matches_finite_differences(name: str) -> None:
    """Check the exact softmax policy gradient against central differences of J."""
    mdp = EXAMPLES[name]
    theta = random_theta(mdp, 6)
    h = 1e-6
    fd = np.zeros_like(theta)
    for idx in np.ndindex(*theta.shape):
        step = np.zeros_like(theta)
        step[idx] = h
        J_plus = objective(mdp, softmax_policy(theta + step))
        J_minus = objective(mdp, softmax_policy(theta - step))
        fd[idx] = (J_plus - J_minus) / (2 * h)
    grad = softmax_policy_gradient(mdp, theta)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)


def torch_objective(mdp: TabularMDP, theta: torch.Tensor) -> torch.Tensor:
    """J(theta) written independently in torch: V = (I - gamma P_pi)^-1 r_pi."""
    P = torch.tensor(mdp.P)
    R = torch.tensor(mdp.R)
    keep = torch.as_tensor(~mdp.terminal, dtype=torch.float64)
    pi = torch.softmax(theta, dim=1)
    P_pi = torch.einsum("sa,sat->st", pi, P) * keep[:, None]
    r_pi = (pi * R).sum(dim=1)
    eye = torch.eye(mdp.num_states, dtype=torch.float64)
    V = torch.linalg.solve(eye - mdp.gamma * P_pi, r_pi)
    return torch.tensor(mdp.mu0) @ V


@pytest.mark.parametrize("name", EXAMPLES)
def test_gradient_matches_autograd(name: str) -> None:
    """Check the exact softmax policy gradient against torch autograd (float64)."""
    mdp = EXAMPLES[name]
    theta = random_theta(mdp, 7)
    theta_t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    J = torch_objective(mdp, theta_t)
    J.backward()
    assert theta_t.grad is not None
    assert J.item() == pytest.approx(objective(mdp, softmax_policy(theta)), rel=1e-12)
    np.testing.assert_allclose(
        softmax_policy_gradient(mdp, theta), theta_t.grad.numpy(), rtol=1e-9, atol=1e-12
    )


def test_gradient_ascent_improves() -> None:
    """Check a small step along the exact gradient increases J."""
    mdp = gridworld(pit=(1, 1))
    theta = random_theta(mdp, 8)
    grad = softmax_policy_gradient(mdp, theta)
    J0 = objective(mdp, softmax_policy(theta))
    assert objective(mdp, softmax_policy(theta + 0.1 * grad)) > J0


# --- Monte Carlo agreement --------------------------------------------------

MC_EXAMPLES = {
    "bandit": (bandit(), 10),
    "two_state": (two_state(), 400),  # 0.9^400 ~ 5e-19: truncation is negligible
    "chain": (chain(), 1000),
    "chain_gamma1": (chain(gamma=1.0, num_states=4), 10_000),
    "gridworld_pit": (EXAMPLES["gridworld_pit"], 1000),
}


def one_hot(index: int, size: int) -> np.ndarray:
    """The distribution that puts all mass on index."""
    out = np.zeros(size)
    out[index] = 1.0
    return out


@pytest.mark.parametrize("name", MC_EXAMPLES)
def test_value_and_q_match_monte_carlo(name: str) -> None:
    """Check V(s) and Q(s, a) against mean sampled returns (Z_TOL standard errors)."""
    mdp, max_steps = MC_EXAMPLES[name]
    rng = np.random.default_rng(10)
    pi = softmax_policy(random_theta(mdp, 9))
    V, Q = value(mdp, pi), q_value(mdp, pi)
    for s in np.flatnonzero(~mdp.terminal):
        # V(s): start every episode in s.
        start_s = dataclasses.replace(mdp, mu0=one_hot(s, mdp.num_states))
        eps = sample_tabular(start_s, pi, NUM_EPISODES, rng, max_steps=max_steps)
        if mdp.terminal.any():
            assert not any(ep.truncated for ep in eps), "raise max_steps"
        G = np.array([ep.discounted_return(mdp.gamma) for ep in eps])
        assert_within_se(f"V({s})", G, V[s])
        for a in range(mdp.num_actions):
            # Q(s, a) = r(s, a) + gamma E[G | s_1 ~ P(.|s, a)], sampled from s_1.
            after = dataclasses.replace(mdp, mu0=mdp.P[s, a])
            eps = sample_tabular(after, pi, NUM_EPISODES, rng, max_steps=max_steps)
            G = np.array([ep.discounted_return(mdp.gamma) for ep in eps])
            assert_within_se(f"Q({s}, {a})", mdp.R[s, a] + mdp.gamma * G, Q[s, a])


@pytest.mark.parametrize("name", MC_EXAMPLES)
def test_visitation_and_distribution_match_monte_carlo(name: str) -> None:
    """Check eta(s) and d^pi(s) against per-episode discounted visit counts."""
    mdp, max_steps = MC_EXAMPLES[name]
    rng = np.random.default_rng(11)
    pi = softmax_policy(random_theta(mdp, 12))
    eps = sample_tabular(mdp, pi, NUM_EPISODES, rng, max_steps=max_steps)
    # X[e, s] = sum_t gamma^t 1[s_t = s] over the steps where episode e acted.
    X = np.stack(
        [
            np.bincount(
                ep.obs,
                weights=mdp.gamma ** np.arange(len(ep)),
                minlength=mdp.num_states,
            )
            for ep in eps
        ]
    )
    eta = visitation(mdp, pi)
    assert_within_se("eta", X, eta)
    # d = E[X] / E[Y] with Y = sum_s X[:, s]; by the delta method its standard
    # error is that of the mean of (X - d Y) / E[Y].
    Y = X.sum(axis=1)
    d_mc = X.mean(axis=0) / Y.mean()
    d = state_distribution(mdp, pi)
    residual = (X - d_mc * Y[:, None]) / Y.mean()
    se = residual.std(axis=0, ddof=1) / np.sqrt(len(eps))
    assert np.all(np.abs(d_mc - d) <= Z_TOL * se + 1e-10), (d_mc, d, se)


# --- gamma = 1 --------------------------------------------------------------


def test_bandit_gamma_one() -> None:
    """Check the undiscounted bandit: V = sum_a pi(a) mean(a), d puts all mass on 0."""
    means = np.array([1.0, 0.5, 0.2])
    mdp = bandit(means=means)
    theta = np.array([[0.3, -0.2, 1.0], [0.0, 0.0, 0.0]])
    pi = softmax_policy(theta)
    V0 = pi[0] @ means
    np.testing.assert_allclose(value(mdp, pi), [V0, 0.0])
    np.testing.assert_allclose(state_distribution(mdp, pi), [1.0, 0.0])
    # dJ/dtheta[0, a] = pi(a) (mean(a) - V0) for a one-step bandit.
    expected = np.zeros((2, 3))
    expected[0] = pi[0] * (means - V0)
    np.testing.assert_allclose(softmax_policy_gradient(mdp, theta), expected)


def test_chain_gamma_one_counts_visits() -> None:
    """Check undiscounted visitation sums to the expected episode length."""
    mdp = chain(num_states=3, slip=0.0, gamma=1.0)
    # Always right: visit states 0 and 1 once each, then reach the goal.
    pi = np.array([[0.0, 1.0], [0.0, 1.0], [0.5, 0.5]])
    np.testing.assert_allclose(visitation(mdp, pi), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(value(mdp, pi), [1.0, 1.0, 0.0])


def test_gamma_one_without_termination_is_an_error() -> None:
    """Check gamma = 1 with a policy that never ends the episode names the states."""
    mdp = chain(num_states=3, slip=0.0, gamma=1.0)
    always_left = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"states \[0, 1\] never do"):
        value(mdp, always_left)
    with pytest.raises(ValueError, match="gamma = 1"):
        visitation(two_state(gamma=1.0), np.full((2, 2), 0.5))


@pytest.mark.parametrize(
    ("pi", "message"),
    [
        (np.full((5, 3), 1 / 3), r"shape \(S, A\) = \(5, 2\); got \(5, 3\)"),
        (np.array([[1.5, -0.5]] + [[0.5, 0.5]] * 4), r"pi\[s=0, a=1\] = -0.5"),
        (np.array([[0.5, 0.5]] * 4 + [[0.5, 0.4]]), r"pi\[4\] sums to 0.9"),
    ],
)
def test_bad_policy_errors(pi: np.ndarray, message: str) -> None:
    """Check malformed policies are rejected with a message naming the problem."""
    with pytest.raises(ValueError, match=message):
        value(chain(), pi)
