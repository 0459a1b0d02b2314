"""Lecture 02 (baselines and reward-to-go): wrong and right student versions.

Each source below replaces a whole solution cell of
solutions/02_baselines/02_baselines.ipynb, written the way a student would leave it:
signature and docstring kept, the solution region replaced by their code. Every WRONG
entry breaks one exercise; LOSES names the test cell whose points it must lose.
CORRECT entries are right answers written differently (loops, normal equations,
other torch idioms).
"""

from __future__ import annotations

ASSIGNMENT = "02_baselines"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''def reward_to_go(rew: np.ndarray, done: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted reward-to-go G_t of every step of a flat batch (O(T)).

    Symbol   Shape  Description
    rew      (T,)   reward r_t after the action of step t
    done     (T,)   True at the last step of each episode
    gamma    float  discount factor in [0, 1]
    returns  (T,)   G_t = r_t + gamma r_{t+1} + ... to the end of t's episode
    """
'''

_B = '''def policy_gradient(
    score: np.ndarray, ret: np.ndarray, baseline: np.ndarray, num_episodes: int
) -> np.ndarray:
    """Policy-gradient estimate (1/N) sum_t g_t (ret_t - baseline_t).

    Symbol        Shape   Description
    score         (T, D)  g_t = grad_theta log pi(a_t|s_t) at every step
    ret           (T,)    weight of each step: G_0 of its episode, or G_t
    baseline      (T,)    b_t subtracted from the weight (zeros: no baseline)
    num_episodes  int     N, the number of episodes in the batch
    returns       (D,)    the estimate of grad J
    """
'''

_C_CONST = '''def constant_baseline(ret: np.ndarray) -> float:
    """The average weight, (1/T) sum_t ret_t: the best constant in least squares."""
'''

_C_OPT = '''def optimal_baseline(score: np.ndarray, ret: np.ndarray) -> np.ndarray:
    """Per-parameter baseline b*_k = E[g_k^2 G] / E[g_k^2], estimated from samples.

    Symbol   Shape   Description
    score    (M, D)  M samples of the score vector g
    ret      (M,)    the weight G paired with each sample
    returns  (D,)    b*_k; 0 where g_k is 0 in every sample
    """
'''

_D = '''def fit_linear_value(
    feats: np.ndarray, rew: np.ndarray, done: np.ndarray, gamma: float
) -> np.ndarray:
    """Least-squares weights w of V(s_t) ~ feats_t . w fitted to the reward-to-go.

    Symbol   Shape   Description
    feats    (T, K)  features phi(s_t) of the state at every step
    rew      (T,)    rewards of the flat batch
    done     (T,)    True at the last step of each episode
    gamma    float   discount of the reward-to-go targets
    returns  (K,)    w minimising sum_t (phi(s_t) . w - G_t)^2
    """
'''

_E = '''def fit_value_net(
    value_net: torch.nn.Module,
    obs: torch.Tensor,
    ret: torch.Tensor,
    num_iters: int,
    lr: float,
) -> list[float]:
    """Fit V_phi(s_t) ~ G_t with num_iters full-batch Adam steps on the MSE.

    Symbol     Shape           Description
    value_net  -               module mapping obs (T, obs_dim) to V (T,)
    obs        (T, obs_dim)    float tensor of observations s_t
    ret        (T,)            float tensor of targets G_t
    returns    list of floats  the mean squared error before each step
    """
'''

_F = '''def vpg_loss(
    logp: torch.Tensor, ret: torch.Tensor, val: torch.Tensor, num_episodes: int
) -> torch.Tensor:
    """Surrogate loss -(1/N) sum_t logp_t (G_t - V(s_t)), advantages held constant.

    Symbol        Shape  Description
    logp          (T,)   log pi_theta(a_t|s_t), with its graph
    ret           (T,)   reward-to-go G_t (or G_0 for vanilla REINFORCE)
    val           (T,)   baseline V(s_t); may carry a graph, treated as constant
    num_episodes  int    N, the number of episodes in the batch
    returns       ()     scalar loss; its gradient in theta is -g_hat
    """
'''

# Shared pieces of otherwise-correct student code.
_CONST_OK = _C_CONST + "    return float(np.mean(ret))\n"

_OPT_OK = (
    _C_OPT
    + """    sq = score**2
    num = (sq * ret[:, None]).sum(axis=0)
    den = sq.sum(axis=0)
    return np.divide(num, np.where(den > 0, den, 1.0)) * (den > 0)
"""
)

_E_LOOP_HEAD = """    optimizer = torch.optim.Adam(value_net.parameters(), lr=lr)
    losses = []
    for _ in range(num_iters):
"""


def _baselines(constant: str = _CONST_OK, optimal: str = _OPT_OK) -> str:
    return constant + "\n\n" + optimal


def _answer(name: str, choice: str) -> str:
    return f"# Replace the line below by your answer: {name} = {{...}}\n{choice}\n"


WRONG: dict[str, dict[str, str]] = {
    # ---- Part A: reward_to_go -------------------------------------------------
    "a_not_discounted": {
        "reward_to_go": _A
        + """    ret = np.zeros(len(rew))
    running = 0.0
    for t in reversed(range(len(rew))):
        if done[t]:
            running = 0.0
        running = rew[t] + running
        ret[t] = running
    return ret
"""
    },
    "a_crosses_episode_boundary": {
        "reward_to_go": _A
        + """    ret = np.zeros(len(rew))
    running = 0.0
    for t in reversed(range(len(rew))):
        running = rew[t] + gamma * running
        ret[t] = running
    return ret
"""
    },
    "a_resets_after_adding": {
        "reward_to_go": _A
        + """    ret = np.zeros(len(rew))
    running = 0.0
    for t in reversed(range(len(rew))):
        running = rew[t] + gamma * running
        ret[t] = running
        if done[t]:
            running = 0.0
    return ret
"""
    },
    "a_full_return_every_step": {
        "reward_to_go": _A
        + """    ret = np.zeros(len(rew))
    start = 0
    for t in range(len(rew)):
        if done[t] or t == len(rew) - 1:
            g0 = sum(gamma**k * rew[start + k] for k in range(t + 1 - start))
            ret[start : t + 1] = g0
            start = t + 1
    return ret
"""
    },
    "a_forward_scan": {
        "reward_to_go": _A
        + """    ret = np.zeros(len(rew))
    running = 0.0
    for t in range(len(rew)):
        running = rew[t] + gamma * running
        ret[t] = running
        if done[t]:
            running = 0.0
    return ret
"""
    },
    "a_quadratic_time": {
        "reward_to_go": _A
        + """    rew = np.asarray(rew, dtype=float)
    ends = np.flatnonzero(done)
    ret = np.zeros(len(rew))
    for t in range(len(rew)):
        later = ends[ends >= t]
        end = later[0] + 1 if len(later) else len(rew)
        ret[t] = np.sum(gamma ** np.arange(end - t) * rew[t:end])
    return ret
"""
    },
    # ---- Part B: policy_gradient ---------------------------------------------
    "b_baseline_from_score": {
        "policy_gradient": _B
        + """    weighted = (score - baseline[:, None]) * ret[:, None]
    return weighted.sum(axis=0) / num_episodes
"""
    },
    "b_mean_over_steps": {
        "policy_gradient": _B
        + """    return (score * (ret - baseline)[:, None]).mean(axis=0)
"""
    },
    "b_ignores_baseline": {
        "policy_gradient": _B
        + """    return score.T @ ret / num_episodes
"""
    },
    # ---- Part C: baselines -----------------------------------------------------
    "c_optimal_without_squares": {
        "baselines": _baselines(
            optimal=_C_OPT
            + """    num = (score * ret[:, None]).sum(axis=0)
    den = score.sum(axis=0)
    out = np.zeros(score.shape[1])
    np.divide(num, den, out=out, where=den != 0)
    return out
"""
        )
    },
    "c_optimal_pooled_over_parameters": {
        "baselines": _baselines(
            optimal=_C_OPT
            + """    sq = score**2
    b = (sq * ret[:, None]).sum() / sq.sum()
    return np.full(score.shape[1], b)
"""
        )
    },
    "c_optimal_nan_for_unvisited": {
        "baselines": _baselines(
            optimal=_C_OPT
            + """    sq = score**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sq * ret[:, None]).sum(axis=0) / sq.sum(axis=0)
"""
        )
    },
    "c_constant_is_median": {
        "baselines": _baselines(
            constant=_C_CONST + "    return float(np.median(ret))\n"
        )
    },
    # ---- Part D: fit_linear_value ----------------------------------------------
    "d_fits_rewards": {
        "fit_linear_value": _D
        + """    w, *_ = np.linalg.lstsq(feats, rew, rcond=None)
    return w
"""
    },
    "d_fits_full_return": {
        "fit_linear_value": _D
        + """    target = full_return(rew, done, gamma)
    w, *_ = np.linalg.lstsq(feats, target, rcond=None)
    return w
"""
    },
    "d_undiscounted_target": {
        "fit_linear_value": _D
        + """    target = reward_to_go(rew, done, 1.0)
    w, *_ = np.linalg.lstsq(feats, target, rcond=None)
    return w
"""
    },
    # ---- Part E: fit_value_net -------------------------------------------------
    "e_ascends_the_loss": {
        "fit_value_net": _E
        + _E_LOOP_HEAD
        + """        loss = ((value_net(obs) - ret) ** 2).mean()
        optimizer.zero_grad()
        (-loss).backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""
    },
    "e_no_zero_grad": {
        "fit_value_net": _E
        + _E_LOOP_HEAD
        + """        loss = ((value_net(obs) - ret) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""
    },
    "e_target_as_column": {
        "fit_value_net": _E
        + _E_LOOP_HEAD
        + """        loss = ((value_net(obs) - ret.reshape(-1, 1)) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""
    },
    # ---- Part F: vpg_loss ------------------------------------------------------
    "f_baseline_from_logp": {
        "vpg_loss": _F
        + """    return -((logp - val.detach()) * ret).sum() / num_episodes
"""
    },
    "f_no_detach": {
        "vpg_loss": _F
        + """    return -(logp * (ret - val)).sum() / num_episodes
"""
    },
    "f_mean_over_steps": {
        "vpg_loss": _F
        + """    return -(logp * (ret - val).detach()).mean()
"""
    },
    "f_sign_flipped": {
        "vpg_loss": _F
        + """    return (logp * (ret - val).detach()).sum() / num_episodes
"""
    },
    # ---- concept checks --------------------------------------------------------
    "cc_baselines_action_ok": {
        "answer_baselines": _answer(
            "answer_baselines", "answer_baselines = {1, 2, 3, 5}"
        )
    },
    "cc_baselines_never_hurts": {
        "answer_baselines": _answer("answer_baselines", "answer_baselines = {1, 5}")
    },
    "cc_advantage_td_unbiased": {
        "answer_advantage": _answer(
            "answer_advantage", "answer_advantage = {1, 2, 3, 5}"
        )
    },
    "cc_advantage_mc_low_variance": {
        "answer_advantage": _answer("answer_advantage", "answer_advantage = {3, 4}")
    },
    "cc_causality_biased": {
        "answer_causality": _answer("answer_causality", "answer_causality = {1, 2, 3}")
    },
    "cc_causality_exact": {
        "answer_causality": _answer("answer_causality", "answer_causality = {2, 4, 5}")
    },
}

LOSES: dict[str, str] = {
    "a_not_discounted": "test_reward_to_go",
    "a_crosses_episode_boundary": "test_reward_to_go",
    "a_resets_after_adding": "test_reward_to_go",
    "a_full_return_every_step": "test_reward_to_go",
    "a_forward_scan": "test_reward_to_go",
    "a_quadratic_time": "test_reward_to_go",
    "b_baseline_from_score": "test_policy_gradient",
    "b_mean_over_steps": "test_policy_gradient",
    "b_ignores_baseline": "test_policy_gradient",
    "c_optimal_without_squares": "test_baselines",
    "c_optimal_pooled_over_parameters": "test_baselines",
    "c_optimal_nan_for_unvisited": "test_baselines",
    "c_constant_is_median": "test_baselines",
    "d_fits_rewards": "test_fit_linear_value",
    "d_fits_full_return": "test_fit_linear_value",
    "d_undiscounted_target": "test_fit_linear_value",
    "e_ascends_the_loss": "test_fit_value_net",
    "e_no_zero_grad": "test_fit_value_net",
    "e_target_as_column": "test_fit_value_net",
    "f_baseline_from_logp": "test_vpg_loss",
    "f_no_detach": "test_vpg_loss",
    "f_mean_over_steps": "test_vpg_loss",
    "f_sign_flipped": "test_vpg_loss",
    "cc_baselines_action_ok": "test_answer_baselines",
    "cc_baselines_never_hurts": "test_answer_baselines",
    "cc_advantage_td_unbiased": "test_answer_advantage",
    "cc_advantage_mc_low_variance": "test_answer_advantage",
    "cc_causality_biased": "test_answer_causality",
    "cc_causality_exact": "test_answer_causality",
}

CORRECT: dict[str, dict[str, str]] = {
    # explicit Python loops, one episode at a time; normal equations; plain torch
    "loops": {
        "reward_to_go": _A
        + """    out = np.empty(len(rew))
    ends = [t + 1 for t in range(len(rew)) if done[t]]
    if not ends or ends[-1] != len(rew):
        ends.append(len(rew))
    start = 0
    for end in ends:
        acc = 0.0
        for t in range(end - 1, start - 1, -1):
            acc = float(rew[t]) + gamma * acc
            out[t] = acc
        start = end
    return out
""",
        "policy_gradient": _B
        + """    total = np.zeros(score.shape[1])
    for t in range(len(ret)):
        total += score[t] * (ret[t] - baseline[t])
    return total / num_episodes
""",
        "baselines": _baselines(
            constant=_C_CONST + "    return sum(float(r) for r in ret) / len(ret)\n",
            optimal=_C_OPT
            + """    num_params = score.shape[1]
    b = np.zeros(num_params)
    for k in range(num_params):
        weights = score[:, k] ** 2
        if weights.sum() > 0:
            b[k] = float(np.dot(weights, ret) / weights.sum())
    return b
""",
        ),
        "fit_linear_value": _D
        + """    G = reward_to_go(rew, done, gamma)
    return np.linalg.solve(feats.T @ feats, feats.T @ G)
""",
        "fit_value_net": _E
        + """    optimizer = torch.optim.Adam(value_net.parameters(), lr=lr)
    criterion = torch.nn.MSELoss()
    history = []
    step = 0
    while step < num_iters:
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(value_net(obs), ret)
        history.append(float(loss))
        loss.backward()
        optimizer.step()
        step += 1
    return history
""",
        "vpg_loss": _F
        + """    with torch.no_grad():
        adv = ret - val
    return -torch.dot(logp, adv) / num_episodes
""",
        "answer_baselines": _answer("answer_baselines", "answer_baselines = [5, 3, 1]"),
        "answer_advantage": _answer("answer_advantage", "answer_advantage = (1, 3, 5)"),
        "answer_causality": _answer("answer_causality", "answer_causality = {4, 2, 1}"),
    },
    # vectorised differently: einsum, masks, torch.nn.functional
    "vectorised": {
        "reward_to_go": _A
        + """    rew = np.asarray(rew, dtype=np.float64)
    keep = 1.0 - np.asarray(done, dtype=np.float64)  # 0 where an episode ends
    out = np.zeros(len(rew) + 1)
    for t in range(len(rew) - 1, -1, -1):
        out[t] = rew[t] + gamma * keep[t] * out[t + 1]
    return out[:-1]
""",
        "policy_gradient": _B
        + """    return np.einsum("td,t->d", score, ret - baseline) / num_episodes
""",
        "baselines": _baselines(
            constant=_C_CONST + "    return np.asarray(ret).mean().item()\n",
            optimal=_C_OPT
            + """    sq = np.square(score)
    with np.errstate(invalid="ignore"):
        b = np.einsum("md,m->d", sq, ret) / sq.sum(axis=0)
    return np.nan_to_num(b)
""",
        ),
        "fit_value_net": _E
        + """    import torch.nn.functional as F

    opt = torch.optim.Adam(value_net.parameters(), lr=lr)
    out = []
    for _ in range(num_iters):
        loss = F.mse_loss(value_net(obs), ret)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.detach().item())
    return out
""",
        "vpg_loss": _F
        + """    adv = ret.detach() - val.detach()
    return -(logp * adv).sum() / num_episodes
""",
    },
}
