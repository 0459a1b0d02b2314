"""Lecture 04 (advantage estimation, GAE): wrong and right student versions.

Each source below replaces a whole solution cell of solutions/04_gae/04_gae.ipynb,
written the way a student would leave it: signature and docstring kept, the solution
region replaced by their code. Every WRONG entry breaks one exercise; LOSES names the
test cell whose points it must lose. CORRECT entries are right answers written
differently (scalar loops, telescoping sums, lists instead of sets).
"""

from __future__ import annotations

ASSIGNMENT = "04_gae"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''\
def td_residuals(rew, val, next_val, terminated, gamma: float) -> np.ndarray:
    """TD residuals delta_t = r_t + gamma V(s_{t+1}) - V(s_t), with V = 0 if terminal.

    Symbol      Shape     Description
    rew         (T, ...)  reward r_t of each step
    val         (T, ...)  critic's V(s_t) at the state where the action was taken
    next_val    (T, ...)  critic's V(s_{t+1}) at the observation that followed
    terminated  (T, ...)  bool; s_{t+1} is terminal, so V(s_{t+1}) counts as 0
    gamma       float     discount factor
    returns     (T, ...)  delta_t (float64)
    """
'''

_B = '''\
def k_step_advantages(rew, val, last_val: float, gamma: float, k: int) -> np.ndarray:
    """k-step estimates sum_{l<m} gamma^l r_{t+l} + gamma^m V(s_{t+m}) - V(s_t).

    m = min(k, T - t): a window that runs past the last step stops at s_T.

    Symbol    Shape  Description
    rew       (T,)   rewards r_0, ..., r_{T-1} of one piece of an episode
    val       (T,)   critic's V(s_0), ..., V(s_{T-1})
    last_val  float  value of s_T, the state after the last action: 0 if the episode
                     terminated there, the critic's V(s_T) if it was cut off
    gamma     float  discount factor
    k         int    number of sampled rewards, k >= 1
    returns   (T,)   A_hat^(k)_t for t = 0, ..., T-1 (float64)
    """
'''

_C = '''\
def gae(batch: rollout.Batch, val, next_val, gamma: float, lam: float) -> np.ndarray:
    """GAE(gamma, lam) advantages of a (T, N) batch by one backward pass.

    A_t = delta_t + gamma lam A_{t+1}, restarted at every episode end, 0 on
    autoreset steps (batch.valid False). There is no separate "last value": the
    last step of each env bootstraps from next_val[T-1] = V(batch.next_obs[T-1]).

    Symbol    Shape   Description
    batch     -       rollout.Batch with rew, terminated, truncated, valid of (T, N)
    val       (T, N)  critic's V(batch.obs[t, i])
    next_val  (T, N)  critic's V(batch.next_obs[t, i]), the true next observation
    gamma     float   discount factor
    lam       float   GAE parameter lambda in [0, 1]
    returns   (T, N)  advantages (float64)
    """
'''


def _answer(name: str, value: str) -> str:
    return (
        f"# Replace the line below by your answer: {name} = {{...}}\n{name} = {value}\n"
    )


# Shared pieces of otherwise-correct student code.
_ARRAYS_A = """    rew = np.asarray(rew, dtype=float)
    val = np.asarray(val, dtype=float)
    next_val = np.asarray(next_val, dtype=float)
    terminated = np.asarray(terminated, dtype=bool)
"""

_ARRAYS_B = """    rew = np.asarray(rew, dtype=float)
    values = np.append(np.asarray(val, dtype=float), last_val)
    T = len(rew)
    adv = np.zeros(T)
"""

_ARRAYS_C = """    rew, valid = batch.rew, batch.valid
    term, done = batch.terminated, batch.done
    val = np.asarray(val, dtype=float)
    next_val = np.asarray(next_val, dtype=float)
    T = rew.shape[0]
    adv = np.zeros(rew.shape)
    running = np.zeros(rew.shape[1])
"""

# the reference backward pass, given a residual array `delta`
_BACKWARD = """    delta = np.where(valid, delta, 0.0)
    for t in reversed(range(T)):
        running = np.where(valid[t], delta[t] + gamma * lam * ~done[t] * running, 0.0)
        adv[t] = running
    return adv
"""

WRONG: dict[str, dict[str, str]] = {
    # ---- Part A: td_residuals
    "a_ignores_terminated": {
        "td_residuals": _A + _ARRAYS_A + "    return rew + gamma * next_val - val\n"
    },
    "a_value_of_s_t_twice": {
        "td_residuals": _A
        + _ARRAYS_A
        + "    return rew + gamma * np.where(terminated, 0.0, val) - val\n"
    },
    "a_zeroes_delta_at_termination": {
        "td_residuals": _A
        + _ARRAYS_A
        + "    delta = rew + gamma * next_val - val\n"
        + "    return np.where(terminated, 0.0, delta)\n"
    },
    # ---- Part B: k_step_advantages
    "b_gamma_k_even_when_clipped": {
        "k_step_advantages": _B
        + _ARRAYS_B
        + """    for t in range(T):
        m = min(k, T - t)
        disc = gamma ** np.arange(m)
        adv[t] = disc @ rew[t : t + m] + gamma**k * values[t + m] - values[t]
    return adv
"""
    },
    "b_end_of_piece_as_terminal": {
        "k_step_advantages": _B
        + _ARRAYS_B
        + """    for t in range(T):
        m = min(k, T - t)
        disc = gamma ** np.arange(m)
        boot = values[t + m] if t + k < T else 0.0
        adv[t] = disc @ rew[t : t + m] + gamma**m * boot - values[t]
    return adv
"""
    },
    "b_undiscounted_rewards": {
        "k_step_advantages": _B
        + _ARRAYS_B
        + """    for t in range(T):
        m = min(k, T - t)
        adv[t] = rew[t : t + m].sum() + gamma**m * values[t + m] - values[t]
    return adv
"""
    },
    # ---- Part C: gae
    "c_ignores_done": {
        # the running sum flows through episode ends; autoreset entries are zeroed
        # only in the output
        "gae": _C
        + _ARRAYS_C
        + """    delta = td_residuals(rew, val, next_val, term, gamma)
    delta = np.where(valid, delta, 0.0)
    for t in reversed(range(T)):
        running = delta[t] + gamma * lam * running
        adv[t] = np.where(valid[t], running, 0.0)
    return adv
"""
    },
    "c_bootstraps_through_termination": {
        "gae": _C + _ARRAYS_C + "    delta = rew + gamma * next_val - val\n" + _BACKWARD
    },
    "c_no_bootstrap_at_truncation": {
        "gae": _C
        + _ARRAYS_C
        + "    delta = td_residuals(rew, val, next_val, done, gamma)\n"
        + _BACKWARD
    },
    "c_forward_accumulation": {
        "gae": _C
        + _ARRAYS_C
        + """    delta = td_residuals(rew, val, next_val, term, gamma)
    delta = np.where(valid, delta, 0.0)
    for t in range(T):
        if t > 0:
            running = running * ~done[t - 1]
        running = np.where(valid[t], delta[t] + gamma * lam * running, 0.0)
        adv[t] = running
    return adv
"""
    },
    "c_gamma_and_lambda_swapped": {
        "gae": _C
        + _ARRAYS_C
        + "    delta = td_residuals(rew, val, next_val, term, lam)\n"
        + _BACKWARD
    },
    "c_keeps_autoreset_steps": {
        "gae": _C
        + _ARRAYS_C
        + """    delta = td_residuals(rew, val, next_val, term, gamma)
    for t in reversed(range(T)):
        running = delta[t] + gamma * lam * ~done[t] * running
        adv[t] = running
    return adv
"""
    },
    "c_cuts_one_step_late": {
        # done of the *next* step decides whether to carry (a convention mix-up)
        "gae": _C
        + _ARRAYS_C
        + """    delta = td_residuals(rew, val, next_val, term, gamma)
    delta = np.where(valid, delta, 0.0)
    for t in reversed(range(T)):
        carry = 1.0 - done[t + 1] if t + 1 < T else 1.0
        running = delta[t] + gamma * lam * carry * running
        adv[t] = np.where(valid[t], running, 0.0)
    return adv
"""
    },
    "c_last_step_not_bootstrapped": {
        "gae": _C
        + _ARRAYS_C
        + """    next_val = next_val.copy()
    next_val[-1] = 0.0  # "the batch is over"
    delta = td_residuals(rew, val, next_val, term, gamma)
"""
        + _BACKWARD
    },
    "c_truncation_overrides_termination": {
        "gae": _C
        + _ARRAYS_C
        + """    really_terminal = term & ~batch.truncated
    delta = td_residuals(rew, val, next_val, really_terminal, gamma)
"""
        + _BACKWARD
    },
    # ---- concept checks
    "cc_gae_extremes_forgets_bias": {
        "answer_gae_extremes": _answer("answer_gae_extremes", "{2}")
    },
    "cc_gae_extremes_variance_backwards": {
        "answer_gae_extremes": _answer("answer_gae_extremes", "{2, 3}")
    },
    "cc_gae_extremes_swapped": {
        "answer_gae_extremes": _answer("answer_gae_extremes", "{1, 4, 5}")
    },
    "cc_estimators_only_mc": {"answer_estimators": _answer("answer_estimators", "{4}")},
    "cc_estimators_reversed": {
        "answer_estimators": _answer("answer_estimators", "{2, 3}")
    },
    "cc_estimators_one_step_best": {
        "answer_estimators": _answer("answer_estimators", "{1, 4, 5}")
    },
}


def _target(name: str) -> str:
    """The test cell whose points the mutant `name` must lose."""
    if name.startswith("cc_gae_extremes"):
        return "test_answer_gae_extremes"
    if name.startswith("cc_estimators"):
        return "test_answer_estimators"
    part = name.split("_", 1)[0]
    return {
        "a": "test_td_residuals",
        "b": "test_k_step_advantages",
        "c": "test_gae",
    }[part]


LOSES: dict[str, str] = {name: _target(name) for name in WRONG}

CORRECT: dict[str, dict[str, str]] = {
    "scalar_loops_and_telescoping": {
        "td_residuals": _A
        + _ARRAYS_A
        + "    return rew + gamma * (1.0 - terminated) * next_val - val\n",
        # k-step estimates as telescoping sums of TD residuals
        "k_step_advantages": _B
        + _ARRAYS_B
        + """    nonterminal = np.zeros(T, dtype=bool)
    delta = td_residuals(rew, values[:-1], values[1:], nonterminal, gamma)
    for t in range(T):
        for j in range(min(k, T - t)):
            adv[t] += gamma**j * delta[t + j]
    return adv
""",
        # one environment and one step at a time, with plain floats
        "gae": _C
        + """    T, N = batch.rew.shape
    adv = np.zeros((T, N))
    for i in range(N):
        following = 0.0
        for t in range(T - 1, -1, -1):
            if not batch.valid[t, i]:
                following = 0.0
                continue
            if batch.terminated[t, i]:
                delta = batch.rew[t, i] - val[t, i]
            else:
                delta = batch.rew[t, i] + gamma * next_val[t, i] - val[t, i]
            if batch.terminated[t, i] or batch.truncated[t, i]:
                following = 0.0
            following = delta + gamma * lam * following
            adv[t, i] = following
    return adv
""",
        "answer_gae_extremes": _answer("answer_gae_extremes", "[4, 2]"),
        "answer_estimators": _answer("answer_estimators", "(5, 4)"),
    },
    # Resetting the sum only at autoreset steps is enough: in a Batch, the step
    # after every episode end (inside the batch) is an autoreset step.
    "gae_resets_at_autoreset_steps": {
        "gae": _C
        + _ARRAYS_C
        + """    delta = td_residuals(rew, val, next_val, term, gamma)
    for t in reversed(range(T)):
        running = np.where(valid[t], delta[t] + gamma * lam * running, 0.0)
        adv[t] = running
    return adv
"""
    },
}
