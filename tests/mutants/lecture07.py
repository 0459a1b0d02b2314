"""Lecture 07 (MaxEnt inverse RL): wrong and right student versions.

Each source below replaces a whole solution cell of
solutions/07_maxent_irl/07_maxent_irl.ipynb, written the way a student would leave
it: signature and docstring kept, the solution region replaced by their code. Every
WRONG entry breaks one exercise; LOSES names the test cell whose points it must lose.
Several are bugs found in public MaxEnt IRL code: a hard max in the backward pass,
a naive exp that overflows, mass gathered from the next states instead of pushed to
them, policies used in the wrong time order. CORRECT entries are right answers
written differently (loops, dense matrices, the raw sparse arrays).
"""

from __future__ import annotations

ASSIGNMENT = "07_maxent_irl"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''def feature_expectations(obs: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Average feature counts of the demonstrations, mu_tilde = (1/m) sum_j mu_tau_j."""
'''

_B = '''def backward_pass(
    P: SparseTransitions, reward: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Soft values and local action probabilities for H steps, in log space."""
'''

_C = '''def forward_pass(
    P: SparseTransitions, pi: np.ndarray, mu0: np.ndarray
) -> np.ndarray:
    """Expected state-visitation frequencies D[t, s] = Pr(s_t = s), t = 0..H-1."""
'''

_D = '''def maxent_gradient(
    w: np.ndarray,
    P: SparseTransitions,
    features: np.ndarray,
    mu_tilde: np.ndarray,
    mu0: np.ndarray,
    horizon: int,
) -> np.ndarray:
    """Gradient of the MaxEnt log-likelihood, mu_tilde - sum_s D(s) x(s)."""
'''

_E = '''def maxent_irl(
    P: SparseTransitions,
    features: np.ndarray,
    obs: np.ndarray,
    num_iters: int = 200,
    lr: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """MaxEnt IRL: gradient ascent on L(w) from w = 0, with mu0 from the demos."""
'''

_F = '''def soft_value_iteration(
    P: SparseTransitions,
    reward: np.ndarray,
    gamma: float,
    tol: float = 1e-10,
    max_iters: int = 10_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Discounted soft values and the stationary MaxEnt policy, in log space."""
'''

# --------------------------------------------------------------------------
# Plausible wrong implementations.

_B_LOOP_HEAD = """    reward = np.asarray(reward, dtype=np.float64)
    V = np.empty((horizon, P.num_states))
    pi = np.empty((horizon, P.num_states, P.num_actions))
    V_next = np.zeros(P.num_states)
    for t in reversed(range(horizon)):
"""

_C_LOOP_HEAD = """    pi = np.asarray(pi, dtype=np.float64)
    horizon = pi.shape[0]
    D = np.empty((horizon, P.num_states))
    D[0] = mu0
    for t in range(horizon - 1):
"""

_F_LOOP = """    reward = np.asarray(reward, dtype=np.float64)
    V = np.zeros(P.num_states)
    for _ in range(max_iters):
        Q = {q}
        V_new = {v}
        change = np.abs(V_new - V).max()
        V = V_new
        if change < tol:
            break
    Q = {q}
    V = {v}
    return V, {pi}
"""

_LSE = "Q.max(axis=1) + np.log(np.exp(Q - Q.max(axis=1, keepdims=True)).sum(axis=1))"

WRONG: dict[str, dict[str, str]] = {
    # Part A: feature expectations
    "features_summed_over_demos": {
        "feature_expectations": _A
        + "    return np.asarray(features)[np.asarray(obs)].sum(axis=(0, 1))\n"
    },
    "features_averaged_over_steps": {
        "feature_expectations": _A
        + "    return np.asarray(features)[np.asarray(obs)].mean(axis=(0, 1))\n"
    },
    "features_of_distinct_states": {
        "feature_expectations": _A + "    features = np.asarray(features)\n"
        "    per_demo = [features[np.unique(o)].sum(axis=0) for o in obs]\n"
        "    return np.mean(per_demo, axis=0)\n"
    },
    # Part B: backward pass
    "backward_hard_max": {
        "backward_pass": _B
        + _B_LOOP_HEAD
        + """        Q = reward[:, None] + P.expected(V_next)
        V[t] = Q.max(axis=1)
        pi[t] = np.eye(P.num_actions)[Q.argmax(axis=1)]
        V_next = V[t]
    return V, pi
"""
    },
    "backward_naive_exp": {
        "backward_pass": _B
        + _B_LOOP_HEAD
        + """        Q = reward[:, None] + P.expected(V_next)
        Z_a = np.exp(Q)
        V[t] = np.log(Z_a.sum(axis=1))
        pi[t] = Z_a / Z_a.sum(axis=1, keepdims=True)
        V_next = V[t]
    return V, pi
"""
    },
    "backward_reward_of_next_state": {
        "backward_pass": _B
        + _B_LOOP_HEAD
        + """        Q = P.expected(reward + V_next)
        V[t] = """
        + _LSE
        + """
        pi[t] = np.exp(Q - V[t][:, None])
        V_next = V[t]
    return V, pi
"""
    },
    "backward_expectation_inside_exp": {
        # the notes' Z recursion taken to log space: r + log E[e^V(s')], made stable
        "backward_pass": _B
        + _B_LOOP_HEAD
        + """        m = V_next.max()
        Q = reward[:, None] + m + np.log(P.expected(np.exp(V_next - m)))
        V[t] = """
        + _LSE
        + """
        pi[t] = np.exp(Q - V[t][:, None])
        V_next = V[t]
    return V, pi
"""
    },
    # Part C: forward pass
    "forward_ignores_policy": {
        "forward_pass": _C
        + _C_LOOP_HEAD
        + """        D[t + 1] = P.push(np.repeat(D[t][:, None], P.num_actions, axis=1)
                          / P.num_actions)
    return D
"""
    },
    "forward_gathers_from_next_states": {
        # the notes' formula read literally: D_{t+1}(s) from D_t of the successors
        "forward_pass": _C
        + _C_LOOP_HEAD
        + """        D[t + 1] = (pi[t] * P.expected(D[t])).sum(axis=1)
    return D
"""
    },
    "forward_policies_in_reverse_time": {
        "forward_pass": _C
        + _C_LOOP_HEAD
        + """        D[t + 1] = P.push(D[t][:, None] * pi[horizon - 1 - t])
    return D
"""
    },
    "forward_ignores_slip": {
        # all mass goes to the most likely next state, as if nothing ever slipped
        "forward_pass": _C
        + _C_LOOP_HEAD
        + """        likely = P.prob.argmax(axis=2)
        target = np.take_along_axis(P.next_state, likely[:, :, None], axis=2)[:, :, 0]
        flow = D[t][:, None] * pi[t]
        D[t + 1] = np.bincount(target.ravel(), weights=flow.ravel(),
                               minlength=P.num_states)
    return D
"""
    },
    "forward_stationary_policy": {
        "forward_pass": _C
        + _C_LOOP_HEAD
        + """        D[t + 1] = P.push(D[t][:, None] * pi[0])
    return D
"""
    },
    # Part D: gradient
    "gradient_wrong_sign": {
        "maxent_gradient": _D
        + """    features = np.asarray(features, dtype=np.float64)
    _, pi = backward_pass(P, features @ w, horizon)
    D = forward_pass(P, pi, mu0)
    return features.T @ D.sum(axis=0) - mu_tilde
"""
    },
    "gradient_time_average": {
        "maxent_gradient": _D
        + """    features = np.asarray(features, dtype=np.float64)
    _, pi = backward_pass(P, features @ w, horizon)
    D = forward_pass(P, pi, mu0)
    return mu_tilde - features.T @ D.mean(axis=0)
"""
    },
    "gradient_last_step_only": {
        "maxent_gradient": _D
        + """    features = np.asarray(features, dtype=np.float64)
    _, pi = backward_pass(P, features @ w, horizon)
    D = forward_pass(P, pi, mu0)
    return mu_tilde - horizon * (features.T @ D[-1])
"""
    },
    # Part E: the loop
    "loop_descends": {
        "maxent_irl": _E
        + """    obs = np.asarray(obs)
    mu_tilde = feature_expectations(obs, features)
    mu0 = np.bincount(obs[:, 0], minlength=P.num_states) / obs.shape[0]
    w = np.zeros(np.shape(features)[1])
    grad_norms = np.empty(num_iters)
    for i in range(num_iters):
        grad = maxent_gradient(w, P, features, mu_tilde, mu0, obs.shape[1])
        grad_norms[i] = np.abs(grad).max()
        w = w - lr * grad
    return w, grad_norms
"""
    },
    "loop_start_counts_not_frequencies": {
        "maxent_irl": _E
        + """    obs = np.asarray(obs)
    mu_tilde = feature_expectations(obs, features)
    mu0 = np.bincount(obs[:, 0], minlength=P.num_states).astype(float)
    w = np.zeros(np.shape(features)[1])
    grad_norms = np.empty(num_iters)
    for i in range(num_iters):
        grad = maxent_gradient(w, P, features, mu_tilde, mu0, obs.shape[1])
        grad_norms[i] = np.abs(grad).max()
        w = w + lr * grad
    return w, grad_norms
"""
    },
    "loop_horizon_from_rows": {
        "maxent_irl": _E
        + """    obs = np.asarray(obs)
    horizon = len(obs)
    mu_tilde = feature_expectations(obs, features)
    mu0 = np.bincount(obs[:, 0], minlength=P.num_states) / len(obs)
    w = np.zeros(np.shape(features)[1])
    grad_norms = np.empty(num_iters)
    for i in range(num_iters):
        grad = maxent_gradient(w, P, features, mu_tilde, mu0, horizon)
        grad_norms[i] = np.abs(grad).max()
        w = w + lr * grad
    return w, grad_norms
"""
    },
    "loop_stale_gradient": {
        "maxent_irl": _E
        + """    obs = np.asarray(obs)
    mu_tilde = feature_expectations(obs, features)
    mu0 = np.bincount(obs[:, 0], minlength=P.num_states) / obs.shape[0]
    w = np.zeros(np.shape(features)[1])
    grad = maxent_gradient(w, P, features, mu_tilde, mu0, obs.shape[1])
    grad_norms = np.empty(num_iters)
    for i in range(num_iters):
        grad_norms[i] = np.abs(grad).max()
        w = w + lr * grad
    return w, grad_norms
"""
    },
    # Part F: discounted soft value iteration
    "discounted_hard_max": {
        "soft_value_iteration": _F
        + _F_LOOP.format(
            q="reward[:, None] + gamma * P.expected(V)",
            v="Q.max(axis=1)",
            pi="np.eye(P.num_actions)[Q.argmax(axis=1)]",
        )
    },
    "discounted_forgets_gamma": {
        "soft_value_iteration": _F
        + _F_LOOP.format(
            q="reward[:, None] + P.expected(V)",
            v=_LSE,
            pi="np.exp(Q - V[:, None])",
        )
    },
    "discounted_discounts_reward_too": {
        "soft_value_iteration": _F
        + _F_LOOP.format(
            q="gamma * (reward[:, None] + P.expected(V))",
            v=_LSE,
            pi="np.exp(Q - V[:, None])",
        )
    },
    # Concept checks
    "ambiguity_unique_reward": {"answer_ambiguity": "answer_ambiguity = {1}\n"},
    "ambiguity_only_zero_reward": {"answer_ambiguity": "answer_ambiguity = {2}\n"},
    "ambiguity_water_revealed": {"answer_ambiguity": "answer_ambiguity = {2, 3, 4}\n"},
    "model_forward_only": {"answer_model": "answer_model = {4}\n"},
    "model_everything_but_bc": {"answer_model": "answer_model = {1, 2, 4}\n"},
    "model_bc_too": {"answer_model": "answer_model = {1, 3, 4}\n"},
}

LOSES: dict[str, str] = {
    "features_summed_over_demos": "test_feature_expectations",
    "features_averaged_over_steps": "test_feature_expectations",
    "features_of_distinct_states": "test_feature_expectations",
    "backward_hard_max": "test_backward_pass",
    "backward_naive_exp": "test_backward_pass",
    "backward_reward_of_next_state": "test_backward_pass",
    "backward_expectation_inside_exp": "test_backward_pass",
    "forward_ignores_policy": "test_forward_pass",
    "forward_gathers_from_next_states": "test_forward_pass",
    "forward_policies_in_reverse_time": "test_forward_pass",
    "forward_ignores_slip": "test_forward_pass",
    "forward_stationary_policy": "test_forward_pass",
    "gradient_wrong_sign": "test_maxent_gradient",
    "gradient_time_average": "test_maxent_gradient",
    "gradient_last_step_only": "test_maxent_gradient",
    "loop_descends": "test_maxent_irl",
    "loop_start_counts_not_frequencies": "test_maxent_irl",
    "loop_horizon_from_rows": "test_maxent_irl",
    "loop_stale_gradient": "test_maxent_irl",
    "discounted_hard_max": "test_soft_value_iteration",
    "discounted_forgets_gamma": "test_soft_value_iteration",
    "discounted_discounts_reward_too": "test_soft_value_iteration",
    "ambiguity_unique_reward": "test_answer_ambiguity",
    "ambiguity_only_zero_reward": "test_answer_ambiguity",
    "ambiguity_water_revealed": "test_answer_ambiguity",
    "model_forward_only": "test_answer_model",
    "model_everything_but_bc": "test_answer_model",
    "model_bc_too": "test_answer_model",
}

# --------------------------------------------------------------------------
# Correct answers written differently.

CORRECT: dict[str, dict[str, str]] = {
    "loops_and_dense_matrices": {
        "feature_expectations": _A
        + """    total = np.zeros(np.shape(features)[1])
    for demo in obs:
        for s in demo:
            total += features[s]
    return total / len(obs)
""",
        "backward_pass": _B
        + """    Pd = P.dense()
    V = np.zeros((horizon + 1, P.num_states))
    pi = np.zeros((horizon, P.num_states, P.num_actions))
    for t in range(horizon - 1, -1, -1):
        Q = reward[:, None] + Pd @ V[t + 1]
        V[t] = np.logaddexp.reduce(Q, axis=1)
        pi[t] = np.exp(Q - V[t][:, None])
    return V[:horizon], pi
""",
        "forward_pass": _C
        + """    Pd = P.dense()
    D = [np.asarray(mu0, dtype=float)]
    for t in range(len(pi) - 1):
        D.append(np.einsum("s,sa,sak->k", D[-1], pi[t], Pd))
    return np.array(D)
""",
        "maxent_gradient": _D
        + """    reward = np.array([w @ x for x in features])
    V, pi = backward_pass(P, reward, horizon)
    D = forward_pass(P, pi, mu0)
    expected = np.zeros(len(w))
    for t in range(horizon):
        for s in range(len(features)):
            expected += D[t, s] * features[s]
    return mu_tilde - expected
""",
        "maxent_irl": _E
        + """    num_demos, horizon = np.shape(obs)
    mu_tilde = feature_expectations(obs, features)
    mu0 = np.zeros(P.num_states)
    for demo in obs:
        mu0[demo[0]] += 1.0 / num_demos
    w = np.zeros(np.shape(features)[1])
    grad_norms = []
    for _ in range(num_iters):
        grad = maxent_gradient(w, P, features, mu_tilde, mu0, horizon)
        grad_norms.append(np.max(np.abs(grad)))
        w += lr * grad
    return w, np.array(grad_norms)
""",
        "soft_value_iteration": _F
        + """    Pd = P.dense()
    V = np.zeros(P.num_states)
    for _ in range(max_iters):
        V_new = np.logaddexp.reduce(reward[:, None] + gamma * (Pd @ V), axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            V = V_new
            break
        V = V_new
    Q = reward[:, None] + gamma * (Pd @ V)
    V = np.logaddexp.reduce(Q, axis=1)
    return V, np.exp(Q - V[:, None])
""",
        "answer_ambiguity": "answer_ambiguity = set([3, 2])\n",
        "answer_model": "answer_model = frozenset({4, 1})\n",
    },
    "raw_sparse_arrays": {
        "backward_pass": _B
        + """    S, A, K = P.prob.shape
    V = np.zeros((horizon, S))
    pi = np.zeros((horizon, S, A))
    V_next = np.zeros(S)
    for t in reversed(range(horizon)):
        Q = reward[:, None] + np.einsum("sak,sak->sa", P.prob, V_next[P.next_state])
        m = Q.max(axis=1)
        V[t] = m + np.log(np.sum(np.exp(Q - m[:, None]), axis=1))
        pi[t] = np.exp(Q - V[t][:, None])
        V_next = V[t]
    return V, pi
""",
        "forward_pass": _C
        + """    H, S, A = np.shape(pi)
    D = np.zeros((H, S))
    D[0] = mu0
    for t in range(1, H):
        flow = D[t - 1][:, None, None] * pi[t - 1][:, :, None] * P.prob
        np.add.at(D[t], P.next_state, flow)
    return D
""",
        "soft_value_iteration": _F
        + """    V = np.zeros(len(reward))
    for _ in range(max_iters):
        EV = (P.prob * V[P.next_state]).sum(axis=2)
        Q = reward[:, None] + gamma * EV
        m = Q.max(axis=1, keepdims=True)
        V_new = (m + np.log(np.exp(Q - m).sum(axis=1, keepdims=True)))[:, 0]
        done = np.allclose(V_new, V, rtol=0.0, atol=tol)
        V = V_new
        if done:
            break
    EV = (P.prob * V[P.next_state]).sum(axis=2)
    Q = reward[:, None] + gamma * EV
    m = Q.max(axis=1, keepdims=True)
    log_norm = m + np.log(np.exp(Q - m).sum(axis=1, keepdims=True))
    return log_norm[:, 0], np.exp(Q - log_norm)
""",
    },
}
