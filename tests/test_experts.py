"""Tests for shared.experts: the track, the exact and LQR experts, their rollouts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shared import exact, experts
from shared.mdp import chain, two_state


def one_hot_policy(actions: np.ndarray, num_actions: int) -> np.ndarray:
    """(S, A) policy that takes actions[s] in state s."""
    return np.eye(num_actions)[actions]


# ---------------------------------------------------------------------------
# the track


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_track_shapes_and_start(seed: int) -> None:
    """Check that the track has 2L states, starts on the road and has 0/1 features"""
    tr = experts.track(num_positions=5, seed=seed)
    L = tr.num_positions
    assert tr.mdp.P.shape == (2 * L, 3, 2 * L)
    assert tr.features.shape == (2 * L, 2 * L)
    assert set(np.unique(tr.features)) == {0.0, 1.0}
    np.testing.assert_allclose(tr.mdp.mu0[:L], 1.0 / L)
    np.testing.assert_allclose(tr.mdp.mu0[L:], 0.0)
    assert np.all(tr.road_action != tr.back_action)
    assert not tr.on_gravel(np.arange(L)).any()
    assert tr.on_gravel(L + np.arange(L)).all()
    # gravel features = road features of the same position + a gravel indicator
    np.testing.assert_array_equal(tr.features[L:, :L], tr.features[:L, :L])
    np.testing.assert_array_equal(tr.features[:L, L:], 0.0)
    np.testing.assert_array_equal(tr.features[L:, L:], np.eye(L))


def test_track_dynamics() -> None:
    """Check that one action keeps (or brings back) the car on the road, no other"""
    tr = experts.track(num_positions=6, seed=3)
    L = tr.num_positions
    for p in range(L):
        nxt = (p + 1) % L
        for a in range(3):
            road_next = np.argmax(tr.mdp.P[p, a])
            gravel_next = np.argmax(tr.mdp.P[L + p, a])
            assert road_next == (nxt if a == tr.road_action[p] else L + nxt)
            assert gravel_next == (nxt if a == tr.back_action[p] else L + nxt)
    # reward -1 exactly when the step ends in the gravel
    ends_in_gravel = tr.mdp.P[:, :, L:].sum(axis=2)
    np.testing.assert_allclose(tr.mdp.R, -ends_in_gravel)


def test_track_rejects_tiny_track() -> None:
    """Check that a track needs at least two positions"""
    with pytest.raises(ValueError, match="num_positions"):
        experts.track(num_positions=1)


# ---------------------------------------------------------------------------
# the exact tabular expert


def test_optimal_policy_on_track_is_the_road_rule() -> None:
    """Check that the exact expert stays on the road and steers back from gravel"""
    tr = experts.track(num_positions=8, seed=2)
    pi = experts.optimal_policy(tr.mdp)
    L = tr.num_positions
    np.testing.assert_array_equal(pi.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pi[:L].argmax(axis=1), tr.road_action)
    np.testing.assert_array_equal(pi[L:].argmax(axis=1), tr.back_action)
    # it never visits the gravel
    d = exact.visitation(tr.mdp, pi)
    np.testing.assert_allclose(d[L:], 0.0, atol=1e-12)


@pytest.mark.parametrize(
    "mdp",
    [two_state(gamma=0.9), chain(num_states=4, slip=0.2, gamma=0.9)],
    ids=["two_state", "chain"],
)
def test_optimal_policy_beats_every_deterministic_policy(mdp) -> None:
    """Check value iteration against a brute-force search over deterministic policies"""
    pi_star = experts.optimal_policy(mdp)
    v_star = exact.value(mdp, pi_star)
    for actions in itertools.product(range(mdp.num_actions), repeat=mdp.num_states):
        v = exact.value(mdp, one_hot_policy(np.array(actions), mdp.num_actions))
        assert np.all(v <= v_star + 1e-8)


def test_optimal_policy_needs_discounting() -> None:
    """Check that value iteration refuses gamma = 1"""
    with pytest.raises(ValueError, match="gamma < 1"):
        experts.optimal_policy(chain(gamma=1.0))


# ---------------------------------------------------------------------------
# sampling and tabular rollouts


def test_sample_actions_frequencies() -> None:
    """Check that sample_actions draws each action with its probability"""
    rng = np.random.default_rng(0)
    probs = np.tile([0.2, 0.0, 0.5, 0.3], (40_000, 1))
    counts = np.bincount(experts.sample_actions(probs, rng), minlength=4) / 40_000
    np.testing.assert_allclose(counts, [0.2, 0.0, 0.5, 0.3], atol=0.01)
    assert counts[1] == 0.0
    one_hot = np.eye(3)[[2, 0, 1]]
    np.testing.assert_array_equal(experts.sample_actions(one_hot, rng), [2, 0, 1])


@pytest.mark.parametrize(
    "probs", [np.array([0.5, 0.5]), np.array([[0.7, 0.7]]), np.array([[1.2, -0.2]])]
)
def test_sample_actions_rejects_bad_probabilities(probs: np.ndarray) -> None:
    """Check that sample_actions refuses arrays that are not rows of distributions"""
    with pytest.raises(ValueError):
        experts.sample_actions(probs, np.random.default_rng(0))


def test_rollout_tabular_expert_stays_on_road() -> None:
    """Check the shapes of rollout_tabular and that the expert never leaves the road"""
    tr = experts.track(num_positions=5, seed=4)
    pi = experts.optimal_policy(tr.mdp)
    obs, act = experts.rollout_tabular(
        tr.mdp, lambda s: pi[s], 7, 9, np.random.default_rng(1)
    )
    assert obs.shape == act.shape == (63,)
    assert not tr.on_gravel(obs).any()
    np.testing.assert_array_equal(act, pi[obs].argmax(axis=1))


def test_rollout_tabular_is_reproducible() -> None:
    """Check that the same generator seed gives the same states and actions"""
    tr = experts.track(num_positions=5, seed=4)

    def uniform(states: np.ndarray) -> np.ndarray:
        return np.full((len(states), 3), 1.0 / 3.0)

    a = experts.rollout_tabular(tr.mdp, uniform, 4, 6, np.random.default_rng(5))
    b = experts.rollout_tabular(tr.mdp, uniform, 4, 6, np.random.default_rng(5))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    # a uniform driver reaches the gravel
    assert tr.on_gravel(a[0]).any()


def test_rollout_tabular_checks_the_policy_shape() -> None:
    """Check that probs_fn must return one row of probabilities per state"""
    tr = experts.track(num_positions=3)
    with pytest.raises(ValueError, match="probs_fn"):
        experts.rollout_tabular(
            tr.mdp, lambda s: np.ones((len(s), 2)) / 2, 1, 2, np.random.default_rng(0)
        )


# ---------------------------------------------------------------------------
# CartPole


def test_lqr_gain_pushes_towards_the_fall() -> None:
    """Check the LQR gain's signs: push the way the pole and cart move"""
    k = experts.cartpole_lqr_gain()
    assert k.shape == (4,)
    assert np.all(k > 0)
    # the pole angle dominates: a tilt of 0.01 rad outweighs 10 cm of cart offset
    assert k[2] * 0.01 > k[0] * 0.1
    with pytest.raises(ValueError):
        experts.cartpole_lqr_gain(q=(1.0, 1.0, 1.0), r=1.0)
    with pytest.raises(ValueError):
        experts.cartpole_lqr_gain(r=0.0)


def test_cartpole_expert_reaches_500() -> None:
    """Check that the LQR expert balances the pole for all 500 steps"""
    rng = np.random.default_rng(0)

    def expert_probs(obs: np.ndarray) -> np.ndarray:
        return np.eye(2)[experts.cartpole_expert(obs)]

    returns = experts.cartpole_returns([expert_probs], 16, rng)
    assert returns.shape == (1, 16)
    np.testing.assert_array_equal(returns, 500.0)


def test_cartpole_expert_and_features_shapes() -> None:
    """Check the expert's actions and the learner's features on a batch"""
    obs = np.array([[0.0, 0.0, 0.05, 0.0], [0.0, 0.0, -0.05, 0.0]])
    np.testing.assert_array_equal(experts.cartpole_expert(obs), [1, 0])
    feats = experts.cartpole_features(obs)
    assert feats.shape == (2, 5)
    np.testing.assert_array_equal(feats[:, 4], 1.0)
    np.testing.assert_allclose(feats[:, :4], obs / experts.CARTPOLE_SCALE)
    with pytest.raises(ValueError):
        experts.cartpole_expert(np.zeros(4))


def test_cartpole_side_by_side_keeps_policies_apart() -> None:
    """Check that each policy acts only in its own envs"""
    rng = np.random.default_rng(3)

    def expert_probs(obs: np.ndarray) -> np.ndarray:
        return np.eye(2)[experts.cartpole_expert(obs)]

    def always_left(obs: np.ndarray) -> np.ndarray:
        return np.tile([1.0, 0.0], (len(obs), 1))

    runs = experts.cartpole_side_by_side([always_left, expert_probs], 3, rng)
    assert [len(r) for r in runs] == [3, 3]
    assert all(len(ep) < 30 for ep in runs[0])
    assert all(len(ep) == 500 for ep in runs[1])
    assert all(np.all(ep.act == 0) for ep in runs[0])


def test_rollout_cartpole_shapes_and_reproducibility() -> None:
    """Check rollout_cartpole's arrays and that a seed fixes them"""

    def uniform(obs: np.ndarray) -> np.ndarray:
        return np.full((len(obs), 2), 0.5)

    obs, act = experts.rollout_cartpole(uniform, 3, np.random.default_rng(9))
    obs2, act2 = experts.rollout_cartpole(uniform, 3, np.random.default_rng(9))
    assert obs.ndim == 2 and obs.shape[1] == 4 and act.shape == (obs.shape[0],)
    np.testing.assert_array_equal(obs, obs2)
    np.testing.assert_array_equal(act, act2)
    # CartPole ends an episode once |x| > 2.4 or |theta| > 12 degrees
    assert np.all(np.abs(obs[:, 2]) < 0.25)
