"""Lecture 06 (behaviour cloning, compounding error, DAgger): wrong and right versions.

Each source below replaces a whole solution cell of
solutions/06_imitation/06_imitation.ipynb, written the way a student would leave it:
signature and docstring kept, the solution region replaced by their code. Every WRONG
entry breaks one exercise; LOSES names the test cell whose points it must lose.
CORRECT entries are right answers written differently (loops, other formulas).
"""

from __future__ import annotations

ASSIGNMENT = "06_imitation"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''def bc_fit(
    feats: np.ndarray,
    act: np.ndarray,
    num_actions: int,
    weights: np.ndarray | None = None,
    lr: float = 1.0,
    num_steps: int = 100,
    l2: float = 0.0,
) -> np.ndarray:
    """Behaviour cloning: a linear softmax policy fitted by maximum likelihood.

    Symbol     Shape   Description
    feats      (N, D)  features phi(s_n) of the demonstrated states
    act        (N,)    expert actions a_n in {0, ..., num_actions - 1}
    weights    (N,)    sample weights c_n >= 0 (None: all 1)
    returns W  (D, A)  weights of pi_W(a|s) = softmax(phi(s)^T W)_a

    Minimises L(W) = -sum_n cbar_n log pi_W(a_n|s_n) + (l2 / 2) ||W||^2, where
    cbar_n = c_n / sum_m c_m, by num_steps steps of gradient descent from W = 0.
    """
'''

_B = '''def expected_mistakes(
    mdp: TabularMDP, pi: np.ndarray, pi_expert: np.ndarray, horizon: int
) -> np.ndarray:
    """Expected number of mistakes M(T) of the policy pi, for T = 1, ..., horizon.

    Symbol     Shape       Description
    pi         (S, A)      the learner's pi(a|s)
    pi_expert  (S, A)      the expert's pi*(a|s) (one-hot rows for a deterministic one)
    returns    (horizon,)  entry T - 1 is M(T) = sum_{t<T} sum_s d_t(s) e(s), where
                           e(s) = 1 - sum_a pi(a|s) pi*(a|s) and d_t is the learner's
                           state distribution at step t (d_0 = mdp.mu0)
    """
'''

_C_SCHEDULE = '''def beta_schedule(num_iters: int, decay: float) -> np.ndarray:
    """Mixing weights beta_i = decay^(i - 1), i = 1..num_iters; shape (num_iters,)."""
'''

_C = (
    "def dagger(rollout, expert_act, featurize, fit, betas, num_actions: int, rng)"
    + " -> list:\n"
    + '    """DAgger: fit a learner on expert labels of the states its own rollouts'
    + ''' visit.

    Symbol      Type / shape                       Description
    rollout     (probs_fn, rng) -> (obs, act)      runs probs_fn in the environment;
                                                   obs (M, ...) the states visited,
                                                   act (M,) the actions taken there
    probs_fn    obs (M, ...) -> (M, A)             a policy as action probabilities
    expert_act  obs (M, ...) -> (M,)               the expert's actions in any states
    featurize   obs (M, ...) -> (M, D)             the learner's features phi(s)
    fit         (feats (M, D), act (M,)) -> W      behaviour cloning, W of shape (D, A)
    betas       (N,)                               beta_i for iterations i = 1..N
    rng         np.random.Generator                passed on to rollout

    The learner's policy is learner_probs(W, featurize(obs)), uniform before the
    first fit. Returns [(num_labels_i, W_i) for i = 1..N]: the size of the
    aggregated data set after iteration i and the learner fitted on it.
    """
'''
)

# --------------------------------------------------------------------------
# Building blocks of the student versions.

# bc_fit: the lines before the loop, and the loop with its softmax and step
_A_SETUP = """    feats = np.asarray(feats, dtype=float)
    act = np.asarray(act)
    n, d = feats.shape
    c = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    c = c / c.sum()
    onehot = np.eye(num_actions)[act]
    W = np.zeros((d, num_actions))
"""


def _a_loop(softmax: str, grad: str, step: str = "    W = W - lr * grad") -> str:
    return (
        _A_SETUP
        + "    for _ in range(num_steps):\n"
        + softmax
        + grad
        + "\n"
        + "    "
        + step
        + "\n    return W\n"
    )


_SOFTMAX = """        z = feats @ W
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p = p / p.sum(axis=1, keepdims=True)
"""
_GRAD = "        grad = feats.T @ (c[:, None] * (p - onehot)) + l2 * W"

# expected_mistakes: P_pi and the per-state error probability
_B_SETUP = """    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    err = 1.0 - (pi * pi_expert).sum(axis=1)
"""

# dagger: a correct schedule, and the loop with one line or block swapped
_SCHEDULE_OK = _C_SCHEDULE + "    return decay ** np.arange(num_iters)\n\n\n"


def _dagger(mix: str, label: str, fit: str) -> str:
    return (
        _SCHEDULE_OK
        + _C
        + """    obs_list, act_list = [], []
    W = None
    history = []
    for beta in betas:

        def mixed(obs, W=W, beta=beta):
            expert = np.eye(num_actions)[expert_act(obs)]
            if W is None:
                learner = np.ones_like(expert) / num_actions
            else:
                learner = learner_probs(W, featurize(obs))
"""
        + mix
        + """
        obs, taken = rollout(mixed, rng)
        obs_list.append(obs)
"""
        + label
        + "\n"
        + fit
        + """
        history.append((n_labels, W))
    return history
"""
    )


_MIX = "            return beta * expert + (1 - beta) * learner"
_LABEL = "        act_list.append(expert_act(obs))"
_FIT = """        all_obs = np.concatenate(obs_list)
        n_labels = len(all_obs)
        W = fit(featurize(all_obs), np.concatenate(act_list))"""


def _answer(name: str, choice: str) -> str:
    return f"# Replace the line below by your answer: {name} = {{...}}\n{choice}\n"


WRONG: dict[str, dict[str, str]] = {
    # ---- Part A: bc_fit ------------------------------------------------------
    # normalises the softmax over the samples instead of over the actions
    "a_softmax_over_samples": {
        "bc_fit": _A
        + _a_loop(
            """        z = feats @ W
        z = z - z.max(axis=0, keepdims=True)
        p = np.exp(z)
        p = p / p.sum(axis=0, keepdims=True)
""",
            _GRAD,
        )
    },
    # climbs the negative log-likelihood (gradient ascent on the loss)
    "a_ascends_the_nll": {
        "bc_fit": _A + _a_loop(_SOFTMAX, _GRAD, step="W = W + lr * grad")
    },
    # sums over samples: weights not normalised, the step grows with N
    "a_sum_not_mean": {
        "bc_fit": _A
        + _a_loop(
            _SOFTMAX,
            "        grad = feats.T @ ((c * n)[:, None] * (p - onehot)) + l2 * W",
        )
    },
    # forgets the L2 penalty's gradient
    "a_no_l2": {
        "bc_fit": _A
        + _a_loop(_SOFTMAX, "        grad = feats.T @ (c[:, None] * (p - onehot))")
    },
    # exponentiates the raw logits: overflow for large features
    "a_no_max_shift": {
        "bc_fit": _A
        + _a_loop(
            """        p = np.exp(feats @ W)
        p = p / p.sum(axis=1, keepdims=True)
""",
            _GRAD,
        )
    },
    # ignores the sample weights
    "a_ignores_weights": {
        "bc_fit": _A
        + _a_loop(_SOFTMAX, "        grad = feats.T @ (p - onehot) / n + l2 * W")
    },
    # ---- Part B: expected_mistakes ------------------------------------------
    # counts mistakes only at the first step
    "b_first_step_only": {
        "expected_mistakes": _B
        + _B_SETUP
        + """    first = mdp.mu0 @ err
    return np.full(horizon, first)
"""
    },
    # propagates the expert's state distribution instead of the learner's
    "b_expert_distribution": {
        "expected_mistakes": _B
        + """    P_exp = np.einsum("sa,sat->st", pi_expert, mdp.P)
    err = 1.0 - (pi * pi_expert).sum(axis=1)
    d = mdp.mu0.copy()
    out = np.zeros(horizon)
    total = 0.0
    for t in range(horizon):
        total += d @ err
        out[t] = total
        d = d @ P_exp
    return out
"""
    },
    # per-step mistake probabilities, not the running total
    "b_not_cumulative": {
        "expected_mistakes": _B
        + _B_SETUP
        + """    d = mdp.mu0.copy()
    out = np.zeros(horizon)
    for t in range(horizon):
        out[t] = d @ err
        d = d @ P_pi
    return out
"""
    },
    # starts from d_1: advances the distribution before counting
    "b_off_by_one": {
        "expected_mistakes": _B
        + _B_SETUP
        + """    d = mdp.mu0.copy()
    out = np.zeros(horizon)
    total = 0.0
    for t in range(horizon):
        d = d @ P_pi
        total += d @ err
        out[t] = total
    return out
"""
    },
    # counts agreements instead of disagreements
    "b_counts_agreement": {
        "expected_mistakes": _B
        + """    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    agree = (pi * pi_expert).sum(axis=1)
    d = mdp.mu0.copy()
    out = np.zeros(horizon)
    total = 0.0
    for t in range(horizon):
        total += d @ agree
        out[t] = total
        d = d @ P_pi
    return out
"""
    },
    # ---- Part C: beta_schedule and dagger ------------------------------------
    # replaces the data set with the latest rollout instead of aggregating
    "c_replaces_dataset": {
        "dagger": _dagger(
            _MIX,
            _LABEL,
            """        n_labels = len(obs)
        W = fit(featurize(obs), act_list[-1])""",
        )
    },
    # labels the visited states with the actions the mixed policy took
    "c_labels_are_actions_taken": {
        "dagger": _dagger(_MIX, "        act_list.append(np.asarray(taken))", _FIT)
    },
    # labels the visited states with the learner's own greedy actions
    "c_labels_from_learner": {
        "dagger": _dagger(
            _MIX,
            """        if W is None:
            act_list.append(expert_act(obs))
        else:
            act_list.append(learner_probs(W, featurize(obs)).argmax(axis=1))""",
            _FIT,
        )
    },
    # beta weighs the learner and 1 - beta the expert
    "c_beta_inverted": {
        "dagger": _dagger(
            "            return (1 - beta) * expert + beta * learner", _LABEL, _FIT
        )
    },
    # the schedule starts at decay instead of 1 (the first rollout is not the expert)
    "c_schedule_starts_at_decay": {
        "dagger": _C_SCHEDULE
        + "    return decay ** np.arange(1, num_iters + 1)\n\n\n"
        + _dagger(_MIX, _LABEL, _FIT)[len(_SCHEDULE_OK) :]
    },
    # the mixed policy never lets the learner act
    "c_mixture_ignores_learner": {
        "dagger": _dagger("            return expert", _LABEL, _FIT)
    },
    # ---- concept checks -----------------------------------------------------
    "cc_key_limitation_expert_only": {
        "answer_key_limitation": _answer(
            "answer_key_limitation", "answer_key_limitation = {1}"
        )
    },
    "cc_key_limitation_needs_model": {
        "answer_key_limitation": _answer(
            "answer_key_limitation", "answer_key_limitation = {1, 3, 4}"
        )
    },
    "cc_distribution_shift_more_demos": {
        "answer_distribution_shift": _answer(
            "answer_distribution_shift", "answer_distribution_shift = {1, 2, 3}"
        )
    },
    "cc_distribution_shift_iid": {
        "answer_distribution_shift": _answer(
            "answer_distribution_shift", "answer_distribution_shift = {2, 5}"
        )
    },
    "cc_bounds_dagger_better_classifier": {
        "answer_bounds": _answer("answer_bounds", "answer_bounds = {1, 2, 4, 5}")
    },
    "cc_bounds_expert_distribution": {
        "answer_bounds": _answer("answer_bounds", "answer_bounds = {1, 3, 4}")
    },
}

LOSES: dict[str, str] = {
    "a_softmax_over_samples": "test_bc_fit",
    "a_ascends_the_nll": "test_bc_fit",
    "a_sum_not_mean": "test_bc_fit",
    "a_no_l2": "test_bc_fit",
    "a_no_max_shift": "test_bc_fit",
    "a_ignores_weights": "test_bc_fit",
    "b_first_step_only": "test_expected_mistakes",
    "b_expert_distribution": "test_expected_mistakes",
    "b_not_cumulative": "test_expected_mistakes",
    "b_off_by_one": "test_expected_mistakes",
    "b_counts_agreement": "test_expected_mistakes",
    "c_replaces_dataset": "test_dagger",
    "c_labels_are_actions_taken": "test_dagger",
    "c_labels_from_learner": "test_dagger",
    "c_beta_inverted": "test_dagger",
    "c_schedule_starts_at_decay": "test_dagger",
    "c_mixture_ignores_learner": "test_dagger",
    "cc_key_limitation_expert_only": "test_answer_key_limitation",
    "cc_key_limitation_needs_model": "test_answer_key_limitation",
    "cc_distribution_shift_more_demos": "test_answer_distribution_shift",
    "cc_distribution_shift_iid": "test_answer_distribution_shift",
    "cc_bounds_dagger_better_classifier": "test_answer_bounds",
    "cc_bounds_expert_distribution": "test_answer_bounds",
}

CORRECT: dict[str, dict[str, str]] = {
    # explicit loops over actions and states, lists instead of vectorised updates
    "loops": {
        "bc_fit": _A
        + """    X = np.array(feats, dtype=float)
    a = np.array([int(x) for x in act])
    n, d = X.shape
    c = np.ones(n) if weights is None else np.array([float(x) for x in weights])
    c = c / c.sum()
    W = np.zeros((d, num_actions))
    for _ in range(num_steps):
        logits = X @ W
        top = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - top)
        probs = e / e.sum(axis=1, keepdims=True)
        grad = np.zeros_like(W)
        for k in range(num_actions):
            # column k: sum_n c_n phi_n (pi(k|s_n) - [a_n == k]) + l2 w_k
            residual = probs[:, k] - (a == k)
            grad[:, k] = X.T @ (c * residual) + l2 * W[:, k]
        W = W - lr * grad
    return W
""",
        "expected_mistakes": _B
        + """    S, A = np.shape(pi)
    err = [1.0 - sum(pi[s][a] * pi_expert[s][a] for a in range(A)) for s in range(S)]
    d = [float(x) for x in mdp.mu0]
    out = []
    running = 0.0
    for _ in range(horizon):
        running += sum(d[s] * err[s] for s in range(S))
        out.append(running)
        nxt = np.zeros(S)
        for s in range(S):
            for a in range(A):
                nxt += d[s] * pi[s][a] * mdp.P[s, a]
        d = list(nxt)
    return np.array(out)
""",
        "dagger": _C_SCHEDULE
        + """    return np.array([decay**i for i in range(num_iters)])


"""
        + _C
        + """    class Mixture:
        def __init__(self, beta, W):
            self.beta, self.W = beta, W

        def __call__(self, obs):
            labels = expert_act(obs)
            expert = np.zeros((len(labels), num_actions))
            expert[np.arange(len(labels)), labels] = 1.0
            if self.W is None:
                learner = np.full((len(labels), num_actions), 1.0 / num_actions)
            else:
                learner = learner_probs(self.W, featurize(obs))
            return self.beta * expert + (1.0 - self.beta) * learner

    X = None
    y = None
    W = None
    out = []
    for beta in betas:
        visited, _ = rollout(Mixture(beta, W), rng)
        feats = featurize(visited)
        labels = expert_act(visited)
        X = feats if X is None else np.vstack([X, feats])
        y = labels if y is None else np.concatenate([y, labels])
        W = fit(X, y)
        out.append((len(y), W))
    return out
""",
    },
    # log-sum-exp and einsum; matrix powers; new data placed first in the aggregate
    "other_formulas": {
        "bc_fit": _A
        + """    X = np.asarray(feats, dtype=np.float64)
    c = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    c = c / np.sum(c)
    Y = np.zeros((len(X), num_actions))
    Y[np.arange(len(X)), np.asarray(act)] = 1.0
    W = np.zeros((X.shape[1], num_actions))
    for _ in range(num_steps):
        logits = np.einsum("nd,da->na", X, W)
        m = np.max(logits, axis=-1, keepdims=True)
        log_z = m + np.log(np.sum(np.exp(logits - m), axis=-1, keepdims=True))
        probs = np.exp(logits - log_z)
        W -= lr * (np.einsum("nd,na->da", X, c[:, None] * (probs - Y)) + l2 * W)
    return W
""",
        "expected_mistakes": _B
        + """    P_pi = (pi[:, :, None] * mdp.P).sum(axis=1)
    per_state = np.sum(pi * (1.0 - pi_expert), axis=1)
    per_step = np.array(
        [mdp.mu0 @ np.linalg.matrix_power(P_pi, t) @ per_state for t in range(horizon)]
    )
    return np.cumsum(per_step)
""",
        "dagger": _C_SCHEDULE
        + """    return np.power(float(decay), np.arange(num_iters))


"""
        + _C
        + """    data = []
    W = None
    history = []
    for i, beta in enumerate(betas):
        current = W

        def policy(obs):
            expert = np.eye(num_actions)[expert_act(obs)]
            if current is None:
                return beta * expert + (1 - beta) / num_actions
            learner = learner_probs(current, featurize(obs))
            return learner + beta * (expert - learner)

        obs, _ = rollout(policy, rng)
        data.insert(0, (obs, expert_act(obs)))
        states = np.concatenate([o for o, _ in data])
        labels = np.concatenate([y for _, y in data])
        W = fit(featurize(states), labels)
        history.append((states.shape[0], W))
    return history
""",
    },
}
