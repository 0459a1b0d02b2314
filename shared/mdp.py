"""Tabular MDPs: one validated container type and a few ready-made examples.

A finite MDP is stored as arrays (lectures 01-04, 07, 08):

    Symbol  Shape      Description
    P       (S, A, S)  P[s, a, s'] = Pr(s_{t+1} = s' | s_t = s, a_t = a)
    R       (S, A)     expected reward r(s, a) for taking action a in state s
    gamma   scalar     discount factor in [0, 1]
    mu0     (S,)       initial state distribution
    terminal (S,)      absorbing states where an episode ends (no reward there)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Gridworld moves as (row change, column change): 0 up, 1 right, 2 down, 3 left.
ACTION_DELTAS: tuple[tuple[int, int], ...] = ((-1, 0), (0, 1), (1, 0), (0, -1))

# Probabilities may be off by rounding; anything beyond this is a real error.
_PROB_ATOL = 1e-8


@dataclass(frozen=True, init=False, eq=False)
class TabularMDP:
    """A finite MDP given by its transition and reward arrays (lectures 01-04, 07, 08).

    Construct it as ``TabularMDP(P, R, gamma, mu0, terminal=None, name="")``;
    inputs are converted to read-only float64 (bool for ``terminal``) arrays and
    checked, and a ValueError names the first problem found. ``terminal=None``
    means there are no terminal states.
    """

    P: NDArray[np.float64]
    R: NDArray[np.float64]
    gamma: float
    mu0: NDArray[np.float64]
    terminal: NDArray[np.bool_]
    name: str

    def __init__(
        self,
        P: ArrayLike,
        R: ArrayLike,
        gamma: float,
        mu0: ArrayLike,
        terminal: ArrayLike | None = None,
        name: str = "",
    ) -> None:
        P_arr = _frozen(np.array(P, dtype=np.float64))
        R_arr = _frozen(np.array(R, dtype=np.float64))
        mu0_arr = _frozen(np.array(mu0, dtype=np.float64))
        if terminal is None:
            num_states = P_arr.shape[0] if P_arr.ndim >= 1 else 0
            terminal = np.zeros(num_states, dtype=np.bool_)
        term_arr = _frozen(np.array(terminal, dtype=np.bool_))
        # The dataclass is frozen, so fields are set through object.__setattr__.
        object.__setattr__(self, "P", P_arr)
        object.__setattr__(self, "R", R_arr)
        object.__setattr__(self, "gamma", float(gamma))
        object.__setattr__(self, "mu0", mu0_arr)
        object.__setattr__(self, "terminal", term_arr)
        object.__setattr__(self, "name", str(name))
        self._validate()

    @property
    def num_states(self) -> int:
        """Number of states S (lecture 01)."""
        return int(self.P.shape[0])

    @property
    def num_actions(self) -> int:
        """Number of actions A (lecture 01)."""
        return int(self.P.shape[1])

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"TabularMDP({label}num_states={self.num_states}, "
            f"num_actions={self.num_actions}, gamma={self.gamma}, "
            f"num_terminal={int(self.terminal.sum())})"
        )

    def _validate(self) -> None:
        """Raise ValueError naming the first inconsistency in the arrays."""
        P, R, mu0, terminal = self.P, self.R, self.mu0, self.terminal
        if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] == 0:
            raise ValueError(
                "P must have shape (S, A, S) with P[s, a, s'] = Pr(s' | s, a); "
                f"got shape {P.shape}."
            )
        S, A = P.shape[0], P.shape[1]
        if A == 0:
            raise ValueError("P has no actions: shape (S, A, S) needs A >= 1.")
        for label, arr, shape in (
            ("R", R, (S, A)),
            ("mu0", mu0, (S,)),
            ("terminal", terminal, (S,)),
        ):
            if arr.shape != shape:
                raise ValueError(
                    f"{label} must have shape {shape} to match P of shape "
                    f"{P.shape}; got shape {arr.shape}."
                )
        for label, arr in (("P", P), ("R", R), ("mu0", mu0)):
            if not np.all(np.isfinite(arr)):
                where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
                raise ValueError(f"{label}{list(where)} is {arr[where]}, not finite.")
        if np.any(P < 0):
            s, a, s2 = (int(i) for i in np.argwhere(P < 0)[0])
            raise ValueError(
                f"P[s={s}, a={a}, s'={s2}] = {P[s, a, s2]:.6g} is a negative "
                "probability."
            )
        row_sums = P.sum(axis=2)
        bad = np.abs(row_sums - 1.0) > _PROB_ATOL
        if np.any(bad):
            s, a = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"P[s={s}, a={a}, :] sums to {row_sums[s, a]:.6g}, not 1: each "
                "row P[s, a, :] must be a distribution over next states "
                f"({int(bad.sum())} of {S * A} rows are wrong)."
            )
        if np.any(mu0 < 0):
            s = int(np.argwhere(mu0 < 0)[0, 0])
            raise ValueError(
                f"mu0[{s}] = {mu0[s]:.6g} is negative: mu0 must be a distribution."
            )
        if abs(mu0.sum() - 1.0) > _PROB_ATOL:
            raise ValueError(f"mu0 sums to {mu0.sum():.6g}, not 1.")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma = {self.gamma} is outside [0, 1].")
        for term_s in np.flatnonzero(terminal):
            s = int(term_s)
            stay = P[s, :, s]
            if np.any(np.abs(stay - 1.0) > _PROB_ATOL):
                a = int(np.argmax(np.abs(stay - 1.0) > _PROB_ATOL))
                raise ValueError(
                    f"terminal state {s} is not absorbing: P[s={s}, a={a}, s'={s}]"
                    f" = {stay[a]:.6g}, but must be 1."
                )
            if np.any(R[s] != 0.0):
                a = int(np.flatnonzero(R[s] != 0.0)[0])
                raise ValueError(
                    f"terminal state {s} has reward R[s={s}, a={a}] = "
                    f"{R[s, a]:.6g}, but must be 0 (the episode has ended)."
                )


def _frozen(arr: NDArray[np.generic]) -> NDArray[np.generic]:
    """Mark a freshly copied array read-only."""
    arr.setflags(write=False)
    return arr


def bandit(means: ArrayLike = (1.0, 0.5, 0.2), gamma: float = 1.0) -> TabularMDP:
    """A one-step bandit: pick an arm, get its mean reward, stop (lectures 01, 02)."""
    means_arr = np.asarray(means, dtype=np.float64)
    if means_arr.ndim != 1 or means_arr.size == 0:
        raise ValueError(f"means must be a non-empty 1-d sequence; got {means!r}.")
    A = means_arr.size
    # State 0 is the decision state, state 1 the terminal state.
    P = np.zeros((2, A, 2))
    P[:, :, 1] = 1.0
    R = np.zeros((2, A))
    R[0] = means_arr
    return TabularMDP(
        P, R, gamma, mu0=[1.0, 0.0], terminal=[False, True], name=f"bandit({A} arms)"
    )


def two_state(gamma: float = 0.9) -> TabularMDP:
    """Two states where the greedy action is myopic (lectures 01, 03).

    In state 0, action 0 pays 1 and stays; action 1 pays 0 but moves to state 1,
    where action 0 pays 2 per step (action 1 returns to state 0 for nothing).
    For gamma > 1/2 moving on is better, although it pays less right now.
    """
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = 1.0
    P[0, 1, 1] = 1.0
    P[1, 0, 1] = 1.0
    P[1, 1, 0] = 1.0
    R = np.array([[1.0, 0.0], [2.0, 0.0]])
    return TabularMDP(P, R, gamma, mu0=[1.0, 0.0], name="two_state")


def chain(
    num_states: int = 5,
    slip: float = 0.1,
    gamma: float = 0.95,
    left_reward: float = 0.01,
    right_reward: float = 1.0,
) -> TabularMDP:
    """A left/right chain: small lure on the left, goal on the right (lectures 01-03).

    Actions: 0 left, 1 right; with probability ``slip`` the move is reversed.
    The episode starts in state 0. Pushing left in state 0 pays ``left_reward``
    (repeatedly); reaching the rightmost state pays ``right_reward`` and ends the
    episode. R holds the expected reward over the slip.
    """
    if num_states < 2:
        raise ValueError(f"chain needs num_states >= 2; got {num_states}.")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip = {slip} is not a probability.")
    S, goal = num_states, num_states - 1
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    for s in range(goal):
        left, right = max(s - 1, 0), s + 1
        for a, (intended, reversed_) in enumerate(((left, right), (right, left))):
            P[s, a, intended] += 1.0 - slip
            P[s, a, reversed_] += slip
            # r(s, a) = E[reward]: the lure pays when the agent ends up pushing
            # left from state 0, the goal pays on arrival.
            pushed_left = 1.0 - slip if a == 0 else slip
            R[s, a] = right_reward * P[s, a, goal]
            if s == 0:
                R[s, a] += left_reward * pushed_left
    P[goal, :, goal] = 1.0
    mu0 = np.zeros(S)
    mu0[0] = 1.0
    terminal = np.zeros(S, dtype=np.bool_)
    terminal[goal] = True
    return TabularMDP(P, R, gamma, mu0, terminal, name=f"chain({S})")


def gridworld(
    height: int = 4,
    width: int = 4,
    slip: float = 0.1,
    goal: tuple[int, int] | None = None,
    pit: tuple[int, int] | None = None,
    step_reward: float = 0.0,
    goal_reward: float = 1.0,
    pit_reward: float = -1.0,
    gamma: float = 0.95,
) -> TabularMDP:
    """A slippery gridworld with a goal and an optional pit (lectures 01-04, 08).

    Actions follow ACTION_DELTAS (0 up, 1 right, 2 down, 3 left). With probability
    ``slip`` the agent moves in one of the three other directions, chosen
    uniformly; bumping into a wall leaves it in place. Every step pays
    ``step_reward``; entering the goal (pit) also pays ``goal_reward``
    (``pit_reward``) and ends the episode. ``goal=None`` means the bottom-right cell,
    (3, 3) on the default 4x4 grid. The start is cell (0, 0) and state
    s = r * width + c (see cell_to_state / state_to_cell / grid_shape).
    """
    if height < 1 or width < 1 or height * width < 2:
        raise ValueError(f"gridworld needs at least 2 cells; got {height}x{width}.")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip = {slip} is not a probability.")
    if goal is None:
        goal = (height - 1, width - 1)
    cells = {"goal": goal} if pit is None else {"goal": goal, "pit": pit}
    for label, (r, c) in cells.items():
        if not (0 <= r < height and 0 <= c < width):
            raise ValueError(f"{label} {(r, c)} is outside the {height}x{width} grid.")
        if (r, c) == (0, 0):
            raise ValueError(f"{label} cannot be the start cell (0, 0).")
    if pit is not None and tuple(pit) == tuple(goal):
        raise ValueError(f"goal and pit are the same cell {goal}.")

    S, A = height * width, len(ACTION_DELTAS)
    goal_s = cell_to_state(goal[0], goal[1], width)
    pit_s = None if pit is None else cell_to_state(pit[0], pit[1], width)
    terminal = np.zeros(S, dtype=np.bool_)
    terminal[goal_s] = True
    bonus = np.zeros(S)  # reward for entering a state
    bonus[goal_s] = goal_reward
    if pit_s is not None:
        terminal[pit_s] = True
        bonus[pit_s] = pit_reward

    # move[s, d] = the state reached from s when the agent moves in direction d.
    move = np.zeros((S, A), dtype=np.int64)
    for s in range(S):
        r, c = state_to_cell(s, width)
        for d, (dr, dc) in enumerate(ACTION_DELTAS):
            r2, c2 = r + dr, c + dc
            inside = 0 <= r2 < height and 0 <= c2 < width
            move[s, d] = cell_to_state(r2, c2, width) if inside else s

    # Pr(direction d | action a): 1 - slip for d = a, slip / 3 for each other d.
    direction = np.full((A, A), slip / (A - 1))
    np.fill_diagonal(direction, 1.0 - slip)
    P = np.zeros((S, A, S))
    for s in range(S):
        if terminal[s]:
            P[s, :, s] = 1.0
            continue
        for a in range(A):
            np.add.at(P[s, a], move[s], direction[a])
    # r(s, a) = step reward + E[bonus of the state entered]; none once ended.
    R = step_reward + P @ bonus
    R[terminal] = 0.0
    mu0 = np.zeros(S)
    mu0[0] = 1.0
    return TabularMDP(P, R, gamma, mu0, terminal, name=f"gridworld {height}x{width}")


def state_to_cell(s: int, width: int) -> tuple[int, int]:
    """Gridworld state index -> (row, column) (lectures 01-04)."""
    r, c = divmod(int(s), width)
    return r, c


def cell_to_state(r: int, c: int, width: int) -> int:
    """Gridworld (row, column) -> state index r * width + c (lectures 01-04)."""
    return int(r) * width + int(c)


def grid_shape(mdp: TabularMDP) -> tuple[int, int]:
    """(height, width) of an MDP made by gridworld(), e.g. for heatmaps (lec. 01-04)."""
    match = re.fullmatch(r"gridworld (\d+)x(\d+)", mdp.name)
    if match is None:
        raise ValueError(
            f"grid_shape needs an MDP made by gridworld(); got name {mdp.name!r}."
        )
    height, width = int(match.group(1)), int(match.group(2))
    if height * width != mdp.num_states:
        raise ValueError(
            f"name says {height}x{width} but the MDP has {mdp.num_states} states."
        )
    return height, width
