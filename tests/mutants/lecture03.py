"""Lecture 03 (importance sampling and its variance): wrong and right student versions.

Each source below replaces a whole solution cell of
solutions/03_importance_sampling/03_importance_sampling.ipynb, written the way a
student would leave it: signature and docstring kept, the solution region replaced by
their code. Every WRONG entry breaks one exercise; LOSES names the test cell whose
points it must lose. CORRECT entries are right answers written differently (loops over
time steps, log-sum-exp, lists instead of sets).
"""

from __future__ import annotations

ASSIGNMENT = "03_importance_sampling"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''\
def is_estimate(f: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Ordinary importance-sampling estimate of E_P[f] from samples x_i ~ Q.

    Symbol  Shape     Description
    f       (..., N)  f(x_i) at each sample
    p       (..., N)  P(x_i), the target probability of each sample
    q       (..., N)  Q(x_i) > 0, the proposal probability of each sample
    returns (...)     (1/N) sum_i [P(x_i) / Q(x_i)] f(x_i), over the last axis
    """
'''

_B = '''\
def snis_estimate(f: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Self-normalised importance-sampling estimate of E_P[f] from samples x_i ~ Q.

    Symbol  Shape     Description
    f       (..., N)  f(x_i) at each sample
    p       (..., N)  P(x_i), possibly unnormalised (any positive multiple of P)
    q       (..., N)  Q(x_i) > 0
    returns (...)     sum_i w_i f(x_i) / sum_i w_i with w_i = P(x_i) / Q(x_i)
    """
'''

_C = '''\
def is_variance(f: np.ndarray, p: np.ndarray, q: np.ndarray, num_samples: int) -> float:
    """Exact variance of the ordinary IS estimate of E_P[f] with num_samples draws.

    Symbol       Shape  Description
    f            (K,)   f(x) for every outcome x
    p            (K,)   P(x), sums to 1
    q            (K,)   Q(x), sums to 1; Q(x) > 0 wherever P(x) f(x) != 0
    num_samples  int    N, the number of samples in the estimate
    returns      float  (1/N) (E_P[(P/Q) f^2] - E_P[f]^2)
    """
'''

_D_TRAJ = '''\
def trajectory_log_weights(logp_new: np.ndarray, logp_old: np.ndarray) -> np.ndarray:
    """log W = log prod_t pi'(a_t|s_t) / pi(a_t|s_t) for each trajectory.

    Symbol    Shape   Description
    logp_new  (N, T)  log pi'(a_t | s_t) under the target policy (0 on padding)
    logp_old  (N, T)  log pi(a_t | s_t) under the behaviour policy (0 on padding)
    returns   (N,)    log of the trajectory weight W
    """
'''

_D_PD = '''\
def per_decision_log_weights(logp_new: np.ndarray, logp_old: np.ndarray) -> np.ndarray:
    """log rho_{0:t} = log prod_{t' <= t} pi'(a_t'|s_t') / pi(a_t'|s_t') for each t.

    Symbol    Shape   Description
    logp_new  (N, T)  log pi'(a_t | s_t) (0 on padding)
    logp_old  (N, T)  log pi(a_t | s_t) (0 on padding)
    returns   (N, T)  log of the weight of everything up to and including step t
    """
'''

_E = '''\
def effective_sample_size(log_w: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 from log-weights.

    Symbol  Shape  Description
    log_w   (N,)   log w_i; any common offset cancels; -inf means w_i = 0
    returns float  ESS, between 1 and N
    """
'''

_F = '''\
def pg_coefficients(
    rew: np.ndarray,
    logp_new: np.ndarray,
    logp_old: np.ndarray,
    gamma: float,
    weighting: str,
) -> np.ndarray:
    """Coefficients c_t of the off-policy gradient sum_t c_t grad log pi'(a_t|s_t).

    Symbol     Shape   Description
    rew        (N, T)  rewards r_t of episodes drawn from pi (0 on padding)
    logp_new   (N, T)  log pi'(a_t | s_t), target policy (0 on padding)
    logp_old   (N, T)  log pi(a_t | s_t), behaviour policy (0 on padding)
    gamma      float   discount factor
    weighting  str     "trajectory": W G_t; "per_decision": sum_{t'>=t}
                       rho_{0:t'} gamma^t' r_t'; "per_timestep": rho_t G_t
    returns    (N, T)  c_t, with G_t = sum_{t' >= t} gamma^t' r_t'
    """
'''

# Correct bodies reused by mutants that break only the other function of a cell.
_TRAJ_OK = _D_TRAJ + "    return np.sum(logp_new - logp_old, axis=-1)\n"
_PD_OK = _D_PD + "    return np.cumsum(logp_new - logp_old, axis=-1)\n"


def _log_weights(traj: str, per_decision: str) -> str:
    return traj + "\n\n" + per_decision


def _answer(name: str, choice: str) -> str:
    return f"# Replace the line below by your answer: {name} = {{...}}\n{choice}\n"


WRONG: dict[str, dict[str, str]] = {
    # ---- Part A: is_estimate --------------------------------------------------
    "a_inverted_weight": {
        "is_estimate": _A + "    return np.mean(q / p * f, axis=-1)\n",
    },
    "a_sum_instead_of_mean": {
        "is_estimate": _A + "    return np.sum(p / q * f, axis=-1)\n",
    },
    "a_mean_over_first_axis": {
        "is_estimate": _A + "    return np.mean(p / q * f, axis=0)\n",
    },
    # ---- Part B: snis_estimate ------------------------------------------------
    "b_divides_by_n": {
        "snis_estimate": _B + "    return np.mean(p / q * f, axis=-1)\n",
    },
    "b_inverted_weight": {
        "snis_estimate": _B
        + """    w = q / p
    return np.sum(w * f, axis=-1) / np.sum(w, axis=-1)
""",
    },
    "b_normalises_by_sum_of_p": {
        "snis_estimate": _B
        + """    w = p / q
    return np.sum(w * f, axis=-1) / np.sum(p, axis=-1)
""",
    },
    # ---- Part C: is_variance --------------------------------------------------
    "c_forgets_the_ratio": {
        "is_variance": _C
        + """    mean = np.sum(p * f)
    return float((np.sum(p * f**2) - mean**2) / num_samples)
""",
    },
    "c_forgets_one_over_n": {
        "is_variance": _C
        + """    used = p > 0
    second = np.sum(p[used] ** 2 * f[used] ** 2 / q[used])
    return float(second - np.sum(p * f) ** 2)
""",
    },
    "c_naive_division": {
        "is_variance": _C
        + """    second = np.sum(p / q * p * f**2)
    return float((second - np.sum(p * f) ** 2) / num_samples)
""",
    },
    "c_mean_not_squared": {
        "is_variance": _C
        + """    used = p > 0
    second = np.sum(p[used] ** 2 * f[used] ** 2 / q[used])
    return float((second - np.sum(p * f)) / num_samples)
""",
    },
    # ---- Part D: trajectory and per-decision log-weights ----------------------
    "d_naive_product": {
        "log_weights": _log_weights(
            _D_TRAJ
            + """    p_new = np.prod(np.exp(logp_new), axis=-1)
    p_old = np.prod(np.exp(logp_old), axis=-1)
    return np.log(p_new / p_old)
""",
            _D_PD
            + """    ratio = np.cumprod(np.exp(logp_new), axis=-1) / np.cumprod(
        np.exp(logp_old), axis=-1
    )
    return np.log(ratio)
""",
        ),
    },
    "d_inverted_ratio": {
        "log_weights": _log_weights(
            _D_TRAJ + "    return np.sum(logp_old - logp_new, axis=-1)\n",
            _D_PD + "    return np.cumsum(logp_old - logp_new, axis=-1)\n",
        ),
    },
    "d_per_decision_uses_full_product": {
        "log_weights": _log_weights(
            _TRAJ_OK,
            _D_PD
            + """    total = np.sum(logp_new - logp_old, axis=-1, keepdims=True)
    return np.broadcast_to(total, logp_new.shape).copy()
""",
        ),
    },
    "d_per_decision_excludes_step_t": {
        "log_weights": _log_weights(
            _TRAJ_OK,
            _D_PD
            + """    inclusive = np.cumsum(logp_new - logp_old, axis=-1)
    return inclusive - (logp_new - logp_old)
""",
        ),
    },
    # ---- Part E: effective_sample_size ----------------------------------------
    "e_inverted_ratio": {
        "effective_sample_size": _E
        + """    w = np.exp(log_w - np.max(log_w))
    return float(np.sum(w**2) / np.sum(w) ** 2)
""",
    },
    "e_missing_square_on_top": {
        "effective_sample_size": _E
        + """    w = np.exp(log_w - np.max(log_w))
    return float(np.sum(w) / np.sum(w**2))
""",
    },
    "e_no_max_shift": {
        "effective_sample_size": _E
        + """    w = np.exp(log_w)
    return float(np.sum(w) ** 2 / np.sum(w**2))
""",
    },
    # ---- Part F: pg_coefficients ----------------------------------------------
    "f_per_decision_uses_full_product": {
        "pg_coefficients": _F
        + """    G = reward_to_go(rew, gamma)
    if weighting == "per_timestep":
        return np.exp(logp_new - logp_old) * G
    # trajectory and (wrongly) per-decision: the whole episode's weight
    return np.exp(trajectory_log_weights(logp_new, logp_old))[:, None] * G
""",
    },
    "f_per_decision_weights_up_to_t_only": {
        "pg_coefficients": _F
        + """    G = reward_to_go(rew, gamma)
    if weighting == "trajectory":
        return np.exp(trajectory_log_weights(logp_new, logp_old))[:, None] * G
    if weighting == "per_decision":
        return np.exp(per_decision_log_weights(logp_new, logp_old)) * G
    return np.exp(logp_new - logp_old) * G
""",
    },
    "f_per_timestep_uses_cumulative_ratio": {
        "pg_coefficients": _F
        + """    G = reward_to_go(rew, gamma)
    if weighting == "trajectory":
        return np.exp(trajectory_log_weights(logp_new, logp_old))[:, None] * G
    log_w = per_decision_log_weights(logp_new, logp_old)
    if weighting == "per_decision":
        return reward_to_go(np.exp(log_w) * rew, gamma)
    return np.exp(log_w) * G
""",
    },
    "f_naive_products": {
        "pg_coefficients": _F
        + """    p_new, p_old = np.exp(logp_new), np.exp(logp_old)
    G = reward_to_go(rew, gamma)
    if weighting == "trajectory":
        w = np.prod(p_new, axis=1) / np.prod(p_old, axis=1)
        return w[:, None] * G
    if weighting == "per_decision":
        w = np.cumprod(p_new, axis=1) / np.cumprod(p_old, axis=1)
        return reward_to_go(w * rew, gamma)
    return p_new / p_old * G
""",
    },
    "f_discounts_from_step_t": {
        "pg_coefficients": _F
        + """    def rtg_from_t(x):
        # G_t = sum_{t' >= t} gamma^(t' - t) x_t'
        out = np.zeros_like(x)
        acc = np.zeros(x.shape[0])
        for t in reversed(range(x.shape[1])):
            acc = x[:, t] + gamma * acc
            out[:, t] = acc
        return out

    if weighting == "trajectory":
        w = np.exp(trajectory_log_weights(logp_new, logp_old))
        return w[:, None] * rtg_from_t(rew)
    if weighting == "per_decision":
        w = np.exp(per_decision_log_weights(logp_new, logp_old))
        return rtg_from_t(w * rew)
    return np.exp(logp_new - logp_old) * rtg_from_t(rew)
""",
    },
    # ---- Concept checks ---------------------------------------------------------
    "cc_support_misses_variance_claim": {
        "answer_support": _answer("answer_support", "answer_support = {1}"),
    },
    "cc_support_trusts_the_spread": {
        "answer_support": _answer("answer_support", "answer_support = {1, 2, 3}"),
    },
    "cc_horizon_typical_weight_near_one": {
        "answer_horizon": _answer("answer_horizon", "answer_horizon = {1, 2, 3}"),
    },
    "cc_horizon_log_space_lowers_variance": {
        "answer_horizon": _answer("answer_horizon", "answer_horizon = {1, 3, 4}"),
    },
    "cc_ess_snis_unbiased": {
        "answer_ess": _answer("answer_ess", "answer_ess = {1, 2, 3}"),
    },
    "cc_ess_can_exceed_n": {
        "answer_ess": _answer("answer_ess", "answer_ess = {2, 3, 4}"),
    },
    "cc_final_form_unbiased": {
        "answer_final_form": _answer(
            "answer_final_form", "answer_final_form = {1, 3, 4}"
        ),
    },
    "cc_final_form_misses_reduction": {
        "answer_final_form": _answer("answer_final_form", "answer_final_form = {2, 3}"),
    },
}

LOSES: dict[str, str] = {
    name: test
    for test, names in {
        "test_is_estimate": [
            "a_inverted_weight",
            "a_sum_instead_of_mean",
            "a_mean_over_first_axis",
        ],
        "test_snis_estimate": [
            "b_divides_by_n",
            "b_inverted_weight",
            "b_normalises_by_sum_of_p",
        ],
        "test_is_variance": [
            "c_forgets_the_ratio",
            "c_forgets_one_over_n",
            "c_naive_division",
            "c_mean_not_squared",
        ],
        "test_log_weights": [
            "d_naive_product",
            "d_inverted_ratio",
            "d_per_decision_uses_full_product",
            "d_per_decision_excludes_step_t",
        ],
        "test_effective_sample_size": [
            "e_inverted_ratio",
            "e_missing_square_on_top",
            "e_no_max_shift",
        ],
        "test_pg_coefficients": [
            "f_per_decision_uses_full_product",
            "f_per_decision_weights_up_to_t_only",
            "f_per_timestep_uses_cumulative_ratio",
            "f_naive_products",
            "f_discounts_from_step_t",
        ],
        "test_answer_support": [
            "cc_support_misses_variance_claim",
            "cc_support_trusts_the_spread",
        ],
        "test_answer_horizon": [
            "cc_horizon_typical_weight_near_one",
            "cc_horizon_log_space_lowers_variance",
        ],
        "test_answer_ess": ["cc_ess_snis_unbiased", "cc_ess_can_exceed_n"],
        "test_answer_final_form": [
            "cc_final_form_unbiased",
            "cc_final_form_misses_reduction",
        ],
    }.items()
    for name in names
}

CORRECT: dict[str, dict[str, str]] = {
    # Loops over outcomes and time steps (vectorised over episodes only), and
    # answers given as lists and tuples.
    "loops": {
        "is_estimate": _A
        + """    total = np.zeros(np.shape(f)[:-1])
    num = np.shape(f)[-1]
    for i in range(num):
        total = total + p[..., i] / q[..., i] * f[..., i]
    return total / num
""",
        "snis_estimate": _B
        + """    top = np.zeros(np.shape(f)[:-1])
    bottom = np.zeros(np.shape(f)[:-1])
    for i in range(np.shape(f)[-1]):
        w = p[..., i] / q[..., i]
        top = top + w * f[..., i]
        bottom = bottom + w
    return top / bottom
""",
        "is_variance": _C
        + """    second, mean = 0.0, 0.0
    for pk, qk, fk in zip(p, q, f):
        if pk * fk != 0:
            second += pk * pk * fk * fk / qk
        mean += pk * fk
    return (second - mean * mean) / num_samples
""",
        "log_weights": _log_weights(
            _D_TRAJ
            + """    total = np.zeros(logp_new.shape[0])
    for t in range(logp_new.shape[1]):
        total = total + (logp_new[:, t] - logp_old[:, t])
    return total
""",
            _D_PD
            + """    out = np.zeros(logp_new.shape)
    running = np.zeros(logp_new.shape[0])
    for t in range(logp_new.shape[1]):
        running = running + (logp_new[:, t] - logp_old[:, t])
        out[:, t] = running
    return out
""",
        ),
        "effective_sample_size": _E
        + """    # log ESS = 2 logsumexp(log w) - logsumexp(2 log w)
    m = max(float(x) for x in log_w)
    lse = m + np.log(sum(np.exp(float(x) - m) for x in log_w))
    lse2 = 2 * m + np.log(sum(np.exp(2 * (float(x) - m)) for x in log_w))
    return float(np.exp(2 * lse - lse2))
""",
        "pg_coefficients": _F
        + """    num, horizon = rew.shape
    log_rho = logp_new - logp_old
    G = np.zeros((num, horizon))
    acc = np.zeros(num)
    for t in reversed(range(horizon)):
        acc = acc + gamma**t * rew[:, t]
        G[:, t] = acc
    if weighting == "per_timestep":
        return np.exp(log_rho) * G
    if weighting == "trajectory":
        return np.exp(log_rho.sum(axis=1))[:, None] * G
    log_w = np.cumsum(log_rho, axis=1)
    out = np.zeros((num, horizon))
    acc = np.zeros(num)
    for t in reversed(range(horizon)):
        acc = acc + np.exp(log_w[:, t]) * gamma**t * rew[:, t]
        out[:, t] = acc
    return out
""",
        "answer_support": _answer("answer_support", "answer_support = [2, 1]"),
        "answer_horizon": _answer("answer_horizon", "answer_horizon = (3, 1)"),
        "answer_ess": _answer("answer_ess", "answer_ess = [3, 2]"),
        "answer_final_form": _answer(
            "answer_final_form", "answer_final_form = [4, 2, 3]"
        ),
    },
    # Other numpy idioms: np.average, log-space weights, logaddexp.
    "numpy_idioms": {
        "is_estimate": _A
        + """    log_w = np.log(p) - np.log(q)
    return np.average(np.exp(log_w) * f, axis=-1)
""",
        "snis_estimate": _B
        + """    return np.average(f, weights=p / q, axis=-1)
""",
        "is_variance": _C
        + """    ratio = np.divide(p, q, out=np.zeros_like(p), where=p * f != 0)
    return float((np.dot(p, ratio * f**2) - np.dot(p, f) ** 2) / num_samples)
""",
        "log_weights": _log_weights(
            _D_TRAJ + "    return np.add.reduce(logp_new - logp_old, axis=1)\n",
            _D_PD + "    return np.add.accumulate(logp_new - logp_old, axis=1)\n",
        ),
        "effective_sample_size": _E
        + """    lse = np.logaddexp.reduce(log_w)
    lse2 = np.logaddexp.reduce(2 * log_w)
    return float(np.exp(2 * lse - lse2))
""",
        "pg_coefficients": _F
        + """    G = reward_to_go(rew, gamma)
    log_pd = per_decision_log_weights(logp_new, logp_old)
    if weighting == "trajectory":
        return np.exp(log_pd[:, -1:]) * G
    if weighting == "per_decision":
        return reward_to_go(np.exp(log_pd) * rew, gamma)
    if weighting == "per_timestep":
        return np.exp(logp_new - logp_old) * G
    raise ValueError(weighting)
""",
    },
}
