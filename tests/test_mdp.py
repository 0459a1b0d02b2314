"""Tests for shared.mdp: validation of TabularMDP and the example MDPs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from shared.mdp import (
    ACTION_DELTAS,
    TabularMDP,
    bandit,
    cell_to_state,
    chain,
    grid_shape,
    gridworld,
    state_to_cell,
    two_state,
)

EXAMPLES = {
    "bandit": bandit(),
    "two_state": two_state(),
    "chain": chain(),
    "chain_gamma1": chain(gamma=1.0),
    "gridworld": gridworld(),
    "gridworld_pit": gridworld(pit=(1, 1), step_reward=-0.01),
}


def small_arrays() -> dict[str, np.ndarray]:
    """A valid 3-state, 2-action MDP (state 2 terminal) as plain arrays."""
    P = np.zeros((3, 2, 3))
    P[0, 0] = [0.5, 0.5, 0.0]
    P[0, 1] = [0.0, 0.2, 0.8]
    P[1, 0] = [1.0, 0.0, 0.0]
    P[1, 1] = [0.0, 0.0, 1.0]
    P[2, :, 2] = 1.0
    R = np.array([[0.0, 1.0], [0.5, 2.0], [0.0, 0.0]])
    return {
        "P": P,
        "R": R,
        "gamma": 0.9,
        "mu0": np.array([1.0, 0.0, 0.0]),
        "terminal": np.array([False, False, True]),
    }


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_are_valid(name: str) -> None:
    """Check every example has consistent shapes and distributions."""
    mdp = EXAMPLES[name]
    S, A = mdp.num_states, mdp.num_actions
    assert mdp.P.shape == (S, A, S) and mdp.R.shape == (S, A)
    np.testing.assert_allclose(mdp.P.sum(axis=2), 1.0, atol=1e-12)
    assert mdp.mu0.sum() == pytest.approx(1.0)
    assert mdp.P.dtype == np.float64 and mdp.terminal.dtype == np.bool_
    # Rebuilding from the arrays runs the same validation again.
    dataclasses.replace(mdp, name="copy")


def test_arrays_are_converted_and_read_only() -> None:
    """Check inputs are copied to float64 and cannot be modified in place."""
    arrays = small_arrays()
    arrays["P"] = arrays["P"].tolist()
    mdp = TabularMDP(**arrays)
    assert isinstance(mdp.P, np.ndarray) and mdp.P.dtype == np.float64
    for arr in (mdp.P, mdp.R, mdp.mu0, mdp.terminal):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        mdp.gamma = 0.5  # type: ignore[misc]


def test_terminal_defaults_to_none() -> None:
    """Check that leaving terminal out means no terminal states."""
    arrays = small_arrays()
    del arrays["terminal"]
    arrays["R"][2] = 1.0  # allowed now that state 2 is not terminal
    mdp = TabularMDP(**arrays)
    assert mdp.terminal.shape == (3,) and not mdp.terminal.any()
    assert mdp.num_states == 3 and mdp.num_actions == 2


def with_change(**changes: object) -> dict[str, object]:
    """small_arrays() with some entries replaced."""
    arrays: dict[str, object] = dict(small_arrays())
    arrays.update(changes)
    return arrays


def test_error_p_shape() -> None:
    """Check a P that is not (S, A, S) is rejected with its shape."""
    with pytest.raises(ValueError, match=r"P must have shape \(S, A, S\).*\(3, 2, 4\)"):
        TabularMDP(**with_change(P=np.ones((3, 2, 4)) / 4))
    with pytest.raises(ValueError, match=r"got shape \(3, 3\)"):
        TabularMDP(**with_change(P=np.eye(3)))


@pytest.mark.parametrize(
    ("field", "bad", "expected"),
    [
        ("R", np.zeros((2, 3)), r"R must have shape \(3, 2\).*got shape \(2, 3\)"),
        ("mu0", np.ones(2) / 2, r"mu0 must have shape \(3,\).*got shape \(2,\)"),
        ("terminal", np.zeros(4, bool), r"terminal must .*\(3,\).*got shape \(4,\)"),
    ],
)
def test_error_other_shapes(field: str, bad: np.ndarray, expected: str) -> None:
    """Check R, mu0 and terminal shapes are checked against P, naming both."""
    with pytest.raises(ValueError, match=expected):
        TabularMDP(**with_change(**{field: bad}))


def test_error_negative_probability() -> None:
    """Check a negative P entry is reported with its (s, a, s') position."""
    P = small_arrays()["P"]
    P[1, 0] = [1.1, -0.1, 0.0]
    with pytest.raises(ValueError, match=r"P\[s=1, a=0, s'=1\] = -0.1 .*negative"):
        TabularMDP(**with_change(P=P))


def test_error_row_sum() -> None:
    """Check a row of P not summing to 1 names the first bad (s, a) and its sum."""
    P = small_arrays()["P"]
    P[0, 1] = [0.0, 0.2, 0.7]
    with pytest.raises(ValueError, match=r"P\[s=0, a=1, :\] sums to 0.9, not 1"):
        TabularMDP(**with_change(P=P))


def test_error_not_finite() -> None:
    """Check NaN rewards are reported with their position."""
    R = small_arrays()["R"]
    R[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"R\[1, 1\] is nan, not finite"):
        TabularMDP(**with_change(R=R))


def test_error_mu0() -> None:
    """Check mu0 must be nonnegative and sum to 1."""
    with pytest.raises(ValueError, match=r"mu0\[1\] = -0.5 is negative"):
        TabularMDP(**with_change(mu0=np.array([1.5, -0.5, 0.0])))
    with pytest.raises(ValueError, match="mu0 sums to 0.8, not 1"):
        TabularMDP(**with_change(mu0=np.array([0.5, 0.3, 0.0])))


@pytest.mark.parametrize("gamma", [-0.1, 1.5, float("nan")])
def test_error_gamma(gamma: float) -> None:
    """Check gamma outside [0, 1] is rejected."""
    with pytest.raises(ValueError, match=r"gamma = .* is outside \[0, 1\]"):
        TabularMDP(**with_change(gamma=gamma))


def test_error_terminal_not_absorbing() -> None:
    """Check a terminal state must stay where it is under every action."""
    terminal = np.array([False, True, False])
    R = small_arrays()["R"]
    R[1] = 0.0
    with pytest.raises(
        ValueError, match=r"terminal state 1 is not absorbing: P\[s=1, a=0, s'=1\] = 0"
    ):
        TabularMDP(**with_change(terminal=terminal, R=R))


def test_error_terminal_reward() -> None:
    """Check a terminal state must not pay reward."""
    R = small_arrays()["R"]
    R[2, 1] = 3.0
    with pytest.raises(ValueError, match=r"terminal state 2 has reward R\[s=2, a=1\]"):
        TabularMDP(**with_change(R=R))


def test_bandit() -> None:
    """Check the bandit pays each arm's mean once and then ends."""
    mdp = bandit(means=(0.3, 0.7))
    assert (mdp.num_states, mdp.num_actions, mdp.gamma) == (2, 2, 1.0)
    np.testing.assert_array_equal(mdp.R[0], [0.3, 0.7])
    np.testing.assert_array_equal(mdp.P[0, :, 1], 1.0)
    np.testing.assert_array_equal(mdp.terminal, [False, True])
    np.testing.assert_array_equal(mdp.mu0, [1.0, 0.0])


def test_two_state_greedy_is_myopic() -> None:
    """Check the immediately better action in state 0 is not the one that leads on."""
    mdp = two_state()
    assert np.argmax(mdp.R[0]) == 0
    assert mdp.P[0, 1, 1] == 1.0 and mdp.R[1].max() > mdp.R[0].max()


def test_chain() -> None:
    """Check the chain's slip, lure and absorbing goal."""
    mdp = chain(num_states=4, slip=0.2, left_reward=0.05, right_reward=2.0)
    assert mdp.P[1, 1, 2] == pytest.approx(0.8) and mdp.P[1, 1, 0] == pytest.approx(0.2)
    # Moving left from state 0 hits the wall; slipping moves right instead.
    assert mdp.P[0, 0, 0] == pytest.approx(0.8) and mdp.P[0, 0, 1] == pytest.approx(0.2)
    # r(2, right) = 2.0 * Pr(reach the goal); r(0, left) = lure * Pr(move left).
    assert mdp.R[2, 1] == pytest.approx(1.6) and mdp.R[2, 0] == pytest.approx(0.4)
    assert mdp.R[0, 0] == pytest.approx(0.04) and mdp.R[0, 1] == pytest.approx(0.01)
    np.testing.assert_array_equal(mdp.terminal, [False, False, False, True])
    assert mdp.mu0[0] == 1.0


def test_gridworld_slip_and_walls() -> None:
    """Check moves from the corner: intended 1 - slip, each other way slip / 3."""
    mdp = gridworld(slip=0.3)
    s0, right, down = 0, cell_to_state(0, 1, 4), cell_to_state(1, 0, 4)
    # Action 1 (right): up and left hit walls and keep the agent at (0, 0).
    assert mdp.P[s0, 1, right] == pytest.approx(0.7)
    assert mdp.P[s0, 1, down] == pytest.approx(0.1)
    assert mdp.P[s0, 1, s0] == pytest.approx(0.2)
    assert ACTION_DELTAS[1] == (0, 1) and ACTION_DELTAS[0] == (-1, 0)


def test_gridworld_rewards_and_terminals() -> None:
    """Check goal and pit rewards are paid on entry, plus the step reward."""
    mdp = gridworld(slip=0.0, pit=(1, 1), step_reward=-0.1, goal_reward=2.0)
    above_goal = cell_to_state(2, 3, 4)
    assert mdp.R[above_goal, 2] == pytest.approx(1.9)  # down into the goal
    assert mdp.R[cell_to_state(1, 0, 4), 1] == pytest.approx(-1.1)  # into the pit
    assert mdp.R[0, 1] == pytest.approx(-0.1)
    terminal = np.flatnonzero(mdp.terminal).tolist()
    assert terminal == [cell_to_state(1, 1, 4), cell_to_state(3, 3, 4)]
    assert mdp.mu0[0] == 1.0


def test_gridworld_bad_cells() -> None:
    """Check impossible goal or pit positions are rejected."""
    with pytest.raises(ValueError, match="outside the 4x4 grid"):
        gridworld(goal=(4, 0))
    with pytest.raises(ValueError, match="start cell"):
        gridworld(pit=(0, 0))
    with pytest.raises(ValueError, match="same cell"):
        gridworld(pit=(3, 3))


def test_cells_and_grid_shape() -> None:
    """Check state <-> cell round trips and grid_shape on non-square grids."""
    mdp = gridworld(height=3, width=5, goal=(2, 4))
    assert grid_shape(mdp) == (3, 5)
    # By default the goal is the bottom-right cell.
    assert np.flatnonzero(gridworld(height=2, width=3).terminal).tolist() == [5]
    for s in range(mdp.num_states):
        assert cell_to_state(*state_to_cell(s, 5), 5) == s
    assert state_to_cell(7, 5) == (1, 2)
    with pytest.raises(ValueError, match="gridworld"):
        grid_shape(chain())
