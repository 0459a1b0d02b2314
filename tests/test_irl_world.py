"""Tests for shared.irl_world, and regression tests for lecture 07's MaxEnt passes.

The second half runs the backward and forward passes of the lecture's solution
notebook (cells selected by nbgrader grade_id) against bugs seen in public MaxEnt
IRL code: a hard max instead of a soft one, the visitation recursion run in the
wrong order, and overflow on large or negative rewards.
"""

from __future__ import annotations

import itertools
from typing import Any

import nbformat
import numpy as np
import pytest

from shared.irl_world import (
    SparseTransitions,
    expert_policy,
    gridworld_transitions,
    sample_demos,
    terrain_world,
)
from shared.mdp import gridworld
from tests.conftest import REPO

LAYOUT = (".......", ".......", "..~~~..", "S.~~~.G")
WEIGHTS = {"grass": -0.1, "water": -5.0, "goal": 1.0}


def random_sparse(rng: np.random.Generator, S: int, A: int) -> SparseTransitions:
    """A random dense P turned sparse (every row a Dirichlet draw)."""
    return SparseTransitions.from_dense(rng.dirichlet(np.full(S, 0.5), size=(S, A)))


# --------------------------------------------------------------------------
# SparseTransitions and the gridworld moves


@pytest.mark.parametrize(
    ("height", "width", "slip"), [(4, 7, 0.1), (3, 3, 0.3), (1, 2, 0.0), (5, 2, 1.0)]
)
def test_gridworld_transitions_are_shared_mdp_moves(
    height: int, width: int, slip: float
) -> None:
    """Check that the sparse moves equal shared.mdp.gridworld's P off the terminal."""
    P = gridworld_transitions(height, width, slip).dense()
    reference = gridworld(height, width, slip, goal=(height - 1, width - 1))
    acting = ~reference.terminal
    np.testing.assert_allclose(P[acting], reference.P[acting], atol=1e-15)
    np.testing.assert_allclose(P.sum(axis=2), 1.0, atol=1e-12)


def test_from_dense_round_trip_and_padding() -> None:
    """Check that from_dense pads short rows with probability 0 and round-trips."""
    P = np.zeros((3, 2, 3))
    P[0, 0] = [1.0, 0.0, 0.0]
    P[0, 1] = [0.2, 0.3, 0.5]
    P[1, :, 2] = 1.0
    P[2, 0] = [0.0, 0.5, 0.5]
    P[2, 1, 0] = 1.0
    sparse = SparseTransitions.from_dense(P)
    assert sparse.num_next == 3
    assert (sparse.num_states, sparse.num_actions) == (3, 2)
    np.testing.assert_array_equal(sparse.dense(), P)
    assert sparse.prob[0, 0].tolist() == [1.0, 0.0, 0.0]


def _worlds(rng: np.random.Generator) -> list[SparseTransitions]:
    """Transitions whose next states do, or do not, depend on the action."""
    sparse_support = rng.dirichlet(np.ones(6), size=(6, 3))
    sparse_support[rng.random((6, 3, 6)) < 0.5] = 0.0
    sparse_support[:, :, 0] += 1e-3  # every row keeps some mass
    sparse_support /= sparse_support.sum(axis=2, keepdims=True)
    return [
        random_sparse(rng, 5, 3),
        random_sparse(rng, 8, 1),
        random_sparse(rng, 2, 4),
        SparseTransitions.from_dense(sparse_support),  # next states depend on a
        gridworld_transitions(3, 4, 0.3),  # the same 4 next cells for every a
    ]


def test_expected_and_push_match_dense_algebra() -> None:
    """Check expected() = P @ V and push() = sum_{s,a} flow P on several worlds."""
    rng = np.random.default_rng(0)
    for sparse in _worlds(rng):
        S, A = sparse.num_states, sparse.num_actions
        P = sparse.dense()
        V, flow = rng.normal(size=S), rng.random((S, A))
        np.testing.assert_allclose(sparse.expected(V), P @ V, rtol=1e-12)
        np.testing.assert_allclose(
            sparse.push(flow), np.einsum("sa,sat->t", flow, P), rtol=1e-12
        )
        # results are fresh arrays: a later call must not change an earlier result
        first = sparse.expected(V)
        sparse.expected(V + 1.0)
        np.testing.assert_allclose(first, P @ V, rtol=1e-12)


def test_sparse_transitions_are_read_only() -> None:
    """Check that the stored arrays cannot be changed by accident."""
    sparse = gridworld_transitions(2, 2, 0.1)
    with pytest.raises(ValueError, match="read-only"):
        sparse.prob[0, 0, 0] = 1.0


@pytest.mark.parametrize(
    ("next_state", "prob", "message"),
    [
        (np.zeros((2, 1, 1), dtype=int), np.full((2, 1, 1), 0.5), "sums to 0.5"),
        (np.full((2, 1, 1), 2), np.ones((2, 1, 1)), "not a state"),
        (np.zeros((2, 1, 2), dtype=int), np.array([[[1.5, -0.5]]] * 2), "probability"),
        (np.zeros((2, 1, 2), dtype=int), np.ones((2, 1, 1)), "must match"),
        (np.zeros((2, 1), dtype=int), np.ones((2, 1)), "shape"),
    ],
)
def test_sparse_transitions_reject_bad_input(
    next_state: np.ndarray, prob: np.ndarray, message: str
) -> None:
    """Check that SparseTransitions names what is wrong."""
    with pytest.raises(ValueError, match=message):
        SparseTransitions(next_state, prob)


def test_expected_and_push_check_shapes() -> None:
    """Check that wrongly shaped inputs are refused with the expected shape."""
    sparse = gridworld_transitions(2, 2, 0.1)
    with pytest.raises(ValueError, match=r"\(4,\)"):
        sparse.expected(np.zeros(3))
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        sparse.push(np.zeros(4))


# --------------------------------------------------------------------------
# terrain_world, expert_policy, sample_demos


def test_terrain_world_features_start_and_reward() -> None:
    """Check the parsed layout: one-hot terrain, the start cell, r = x w*."""
    world = terrain_world(LAYOUT, WEIGHTS, slip=0.1)
    assert world.shape == (4, 7) and world.num_states == 28
    assert world.feature_names == ("grass", "water", "goal")
    np.testing.assert_array_equal(world.features.sum(axis=1), 1.0)
    assert world.features[:, 1].sum() == 6 and world.features[:, 2].sum() == 1
    assert world.mu0[21] == 1.0 and world.mu0.sum() == 1.0  # 'S' at row 3, col 0
    assert world.true_reward[27] == 1.0 and world.true_reward[23] == -5.0
    np.testing.assert_allclose(
        world.P.dense(), gridworld_transitions(4, 7, 0.1).dense(), atol=0
    )


@pytest.mark.parametrize(
    ("layout", "weights", "message"),
    [
        (("S.", "."), WEIGHTS, "equal length"),
        (("S.x",), WEIGHTS, "unknown layout"),
        (("..G",), WEIGHTS, "start"),
        (("S.G",), {"grass": 0.0, "goal": 1.0}, "weights"),
    ],
)
def test_terrain_world_rejects_bad_layouts(
    layout: tuple[str, ...], weights: dict[str, float], message: str
) -> None:
    """Check that terrain_world names what is wrong with its input."""
    with pytest.raises(ValueError, match=message):
        terrain_world(layout, weights)


def test_optimal_expert_walks_to_the_goal_and_splits_ties() -> None:
    """Check temperature 0 on a corridor: right is optimal, the last step is a tie."""
    corridor = gridworld_transitions(1, 4, slip=0.0)
    reward = np.array([0.0, 0.0, 0.0, 1.0])
    pi = expert_policy(corridor, reward, horizon=5)
    assert pi.shape == (5, 4, 4)
    assert pi[0, 0, 1] == 1.0 and pi[0, 2, 1] == 1.0  # move right
    np.testing.assert_allclose(pi[-1], 0.25)  # with one step left nothing matters
    # at the goal, any action that stays (up, right, down) is optimal
    np.testing.assert_allclose(pi[0, 3], [1 / 3, 1 / 3, 1 / 3, 0.0])


@pytest.mark.parametrize("scale", [1e6, -1e6, 1e-9])
@pytest.mark.parametrize("temperature", [0.0, 0.5])
def test_expert_policy_survives_extreme_rewards(
    scale: float, temperature: float
) -> None:
    """Check that huge, negative or tiny rewards give finite, normalised policies."""
    world = terrain_world(LAYOUT, WEIGHTS)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        pi = expert_policy(world.P, scale * world.true_reward, 6, temperature)
    assert np.isfinite(pi).all()
    np.testing.assert_allclose(pi.sum(axis=2), 1.0, atol=1e-12)


def test_boltzmann_expert_prefers_better_actions() -> None:
    """Check that a softer expert is more random, and all actions keep probability."""
    world = terrain_world(LAYOUT, WEIGHTS)
    sharp = expert_policy(world.P, world.true_reward, 10, temperature=0.1)
    soft = expert_policy(world.P, world.true_reward, 10, temperature=2.0)
    assert (soft > 0).all()
    assert sharp[0, 21].max() > soft[0, 21].max()
    assert sharp[0, 21].argmax() == soft[0, 21].argmax() == 0  # up, around the lake


def test_sample_demos_follow_policy_and_dynamics() -> None:
    """Check shapes, start states, feasible moves and action frequencies."""
    world = terrain_world(LAYOUT, WEIGHTS, slip=0.2)
    pi = expert_policy(world.P, world.true_reward, 8, temperature=1.0)
    obs, act = sample_demos(world.P, pi, world.mu0, 4000, np.random.default_rng(3))
    assert obs.shape == act.shape == (4000, 8)
    assert (obs[:, 0] == 21).all()
    dense = world.P.dense()
    assert (dense[obs[:, :-1], act[:, :-1], obs[:, 1:]] > 0).all()
    # first actions from the start cell follow pi_0(. | start)
    freq = np.bincount(act[:, 0], minlength=4) / 4000
    np.testing.assert_allclose(freq, pi[0, 21], atol=0.03)
    # the same seed gives the same demonstrations
    again = sample_demos(world.P, pi, world.mu0, 4000, np.random.default_rng(3))
    np.testing.assert_array_equal(again[0], obs)


def test_sample_demos_rejects_bad_policies() -> None:
    """Check that a policy of the wrong shape or not normalised is refused."""
    world = terrain_world(LAYOUT, WEIGHTS)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="shape"):
        sample_demos(world.P, np.full((28, 4), 0.25), world.mu0, 2, rng)
    with pytest.raises(ValueError, match="distribution"):
        sample_demos(world.P, np.full((3, 28, 4), 0.3), world.mu0, 2, rng)


# --------------------------------------------------------------------------
# Regression tests for the lecture's own passes

NOTEBOOK = REPO / "solutions" / "07_maxent_irl" / "07_maxent_irl.ipynb"
PASSES = ("backward_pass", "forward_pass", "maxent_gradient", "soft_value_iteration")


@pytest.fixture(scope="module")
def lecture() -> dict[str, Any]:
    """The lecture's reference passes, executed from their notebook cells."""
    if not NOTEBOOK.exists():
        pytest.skip("lecture 07's solution notebook is not there")
    cells = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        if c.cell_type == "code"
    }
    namespace: dict[str, Any] = {"np": np, "SparseTransitions": SparseTransitions}
    for grade_id in PASSES:
        exec(cells[grade_id], namespace)  # our own notebook's cells
    return namespace


def test_backward_pass_is_soft_not_hard(lecture: dict[str, Any]) -> None:
    """Regression: a hard max gives V = H r and a one-hot policy on tied actions."""
    stay = SparseTransitions(np.zeros((1, 3, 1), dtype=int), np.ones((1, 3, 1)))
    V, pi = lecture["backward_pass"](stay, np.array([2.0]), 4)
    np.testing.assert_allclose(V[:, 0], (2.0 + np.log(3.0)) * np.arange(4, 0, -1))
    np.testing.assert_allclose(pi, 1 / 3)


def test_backward_pass_is_the_log_partition_function(lecture: dict[str, Any]) -> None:
    """Check V_0 = log sum over action sequences of exp(path reward), no slip."""
    P = gridworld_transitions(2, 3, 0.0)
    move = P.dense().argmax(axis=2)
    reward = np.random.default_rng(1).normal(size=6)
    V, _ = lecture["backward_pass"](P, reward, 3)
    for s0 in range(6):
        totals = []
        for seq in itertools.product(range(4), repeat=3):
            s, total = s0, 0.0
            for a in seq:
                total, s = total + reward[s], move[s, a]
            totals.append(total)
        np.testing.assert_allclose(V[0, s0], np.log(np.sum(np.exp(totals))))


@pytest.mark.parametrize("scale", [1e4, -1e4, 1e-8])
def test_backward_pass_survives_large_and_negative_rewards(
    lecture: dict[str, Any], scale: float
) -> None:
    """Regression: exp(Q) without the max shift overflows (or gives 0/0)."""
    world = terrain_world(LAYOUT, WEIGHTS)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        V, pi = lecture["backward_pass"](world.P, scale * world.true_reward, 30)
        V_inf, pi_inf = lecture["soft_value_iteration"](
            world.P, scale * world.true_reward, 0.9
        )
    assert np.isfinite(V).all() and np.isfinite(pi).all()
    assert np.isfinite(V_inf).all() and np.isfinite(pi_inf).all()
    np.testing.assert_allclose(pi.sum(axis=2), 1.0, atol=1e-12)
    np.testing.assert_allclose(pi_inf.sum(axis=1), 1.0, atol=1e-12)


def test_forward_pass_matches_path_enumeration(lecture: dict[str, Any]) -> None:
    """Regression: D_t from all paths of a time-varying policy, in time order."""
    rng = np.random.default_rng(2)
    S, A, H = 3, 2, 4
    P = random_sparse(rng, S, A)
    dense = P.dense()
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    mu0 = rng.dirichlet(np.ones(S))
    expected = np.zeros((H, S))
    for states in itertools.product(range(S), repeat=H):
        for actions in itertools.product(range(A), repeat=H - 1):
            p = mu0[states[0]]
            for t, a in enumerate(actions):
                p *= pi[t, states[t], a] * dense[states[t], a, states[t + 1]]
            for t, s in enumerate(states):
                expected[t, s] += p
    np.testing.assert_allclose(lecture["forward_pass"](P, pi, mu0), expected)


def test_gradient_is_exact(lecture: dict[str, Any]) -> None:
    """Check mu_tilde - x^T D against finite differences of w.mu - mu0.V_0(w)."""
    rng = np.random.default_rng(4)
    P = gridworld_transitions(3, 3, 0.25)
    features = rng.normal(size=(9, 3))
    mu_tilde, mu0 = rng.random(3), rng.dirichlet(np.ones(9))
    w = rng.normal(size=3)

    def likelihood(w_: np.ndarray) -> float:
        V, _ = lecture["backward_pass"](P, features @ w_, 6)
        return float(w_ @ mu_tilde - mu0 @ V[0])

    grad = lecture["maxent_gradient"](w, P, features, mu_tilde, mu0, 6)
    eps = 1e-6
    numeric = [
        (likelihood(w + eps * e) - likelihood(w - eps * e)) / (2 * eps)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)
