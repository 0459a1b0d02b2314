"""Lecture 01 (score function, REINFORCE): wrong and right student versions.

Each source below replaces a whole solution cell of
solutions/01_score_function/01_score_function.ipynb, written the way a student would
leave it: signature and docstring kept, the solution region replaced by their code.
Every WRONG entry breaks one exercise; LOSES names the test cell whose points it must
lose. CORRECT entries are right answers written differently (loops, autograd, lists).
"""

from __future__ import annotations

ASSIGNMENT = "01_score_function"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''def grad_log_softmax(theta: np.ndarray, s: int, a: int) -> np.ndarray:
    """Gradient of log pi_theta(a|s) with respect to theta, tabular softmax policy.

    Symbol   Shape   Description
    theta    (S, A)  logits; pi_theta(.|s) = softmax(theta[s])
    s        int     state
    a        int     action taken in s
    returns  (S, A)  d log pi_theta(a|s) / d theta[s', b]
    """
'''

_B = '''def trajectory_score(theta: np.ndarray, states, actions) -> np.ndarray:
    """Score of a trajectory, sum_t grad_theta log pi_theta(a_t|s_t).

    Symbol   Shape   Description
    theta    (S, A)  logits of the tabular softmax policy
    states   (T,)    s_0, ..., s_{T-1} (ints; array or list)
    actions  (T,)    a_0, ..., a_{T-1} (ints; array or list)
    returns  (S, A)  grad_theta log p_theta(tau); the dynamics terms contribute 0
    """
'''

_C = '''def reinforce_gradient(theta: np.ndarray, episodes, gamma: float) -> np.ndarray:
    """REINFORCE estimate (1/N) sum_i [sum_t grad log pi(a_t|s_t)] R(tau_i).

    Symbol    Shape   Description
    theta     (S, A)  logits of the tabular softmax policy
    episodes  list    N episodes with .obs (T_i,), .act (T_i,), .rew (T_i,)
    gamma     float   discount; R(tau_i) = sum_t gamma^t r_t
    returns   (S, A)  estimate of grad_theta J(theta)
    """
'''

_D = '''def surrogate_loss(theta: torch.Tensor, episodes, gamma: float) -> torch.Tensor:
    """Surrogate loss -(1/N) sum_i R(tau_i) sum_t log pi_theta(a_t|s_t); grad = -g_hat.

    Symbol    Shape   Description
    theta     (S, A)  float64 logits tensor (requires_grad=True)
    episodes  list    N episodes with .obs (T_i,), .act (T_i,), .rew (T_i,)
    gamma     float   discount; R(tau_i) = sum_t gamma^t r_t is a constant weight
    returns   ()      scalar loss tensor
    """
'''

_E = '''def reinforce_update(
    policy: CategoricalPolicy,
    optimizer: torch.optim.Optimizer,
    episodes,
    gamma: float,
) -> float:
    """One REINFORCE step: minimise the surrogate loss on a batch of episodes.

    Symbol     Shape   Description
    policy     -       pi_theta; policy.dist(obs).log_prob(act) = log pi(a|s)
    optimizer  -       torch optimizer over policy.parameters()
    episodes   list    N episodes with .obs (T_i, obs_dim), .act (T_i,), .rew (T_i,)
    gamma      float   discount; R(tau_i) = sum_t gamma^t r_t is a constant weight
    returns    float   the surrogate loss before the step
    """
'''

# Shared pieces of otherwise-correct student code.
_SOFTMAX_ROW = """    z = np.exp(theta[s] - np.max(theta[s]))
    probs = z / z.sum()
"""
_SOFTMAX_ALL = """    theta = np.asarray(theta, dtype=float)
    z = np.exp(theta - theta.max(axis=1, keepdims=True))
    probs = z / z.sum(axis=1, keepdims=True)
"""
_E_INPUTS = """    dev = next(policy.parameters()).device
    obs = torch.as_tensor(np.concatenate([ep.obs for ep in episodes]), device=dev)
    act = torch.as_tensor(np.concatenate([ep.act for ep in episodes]), device=dev)
    logp = policy.dist(obs).log_prob(act)
"""
_E_WEIGHTS = """    rets = [
        sum(gamma**t * r for t, r in enumerate(ep.rew)) for ep in episodes
    ]
    w = torch.as_tensor(
        np.concatenate([np.full(len(ep.rew), g) for ep, g in zip(episodes, rets)]),
        dtype=torch.float32,
        device=dev,
    )
"""
_E_STEP = """    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
"""


def _answer(name: str, choice: str) -> str:
    return f"# Replace the line below by your answer: {name} = {{...}}\n{choice}\n"


WRONG: dict[str, dict[str, str]] = {
    # ---- Part A: grad_log_softmax -------------------------------------------
    "a_softmax_without_max_shift": {
        "grad_log_softmax": _A
        + """    probs = np.exp(theta[s]) / np.exp(theta[s]).sum()
    grad = np.zeros(theta.shape)
    grad[s] = -probs
    grad[s, a] += 1.0
    return grad
"""
    },
    "a_forgets_minus_pi": {
        "grad_log_softmax": _A
        + """    grad = np.zeros(theta.shape)
    grad[s, a] = 1.0
    return grad
"""
    },
    "a_sign_flipped": {
        "grad_log_softmax": _A
        + _SOFTMAX_ROW
        + """    grad = np.zeros(theta.shape)
    grad[s] = probs
    grad[s, a] -= 1.0
    return grad
"""
    },
    "a_fills_every_row": {
        "grad_log_softmax": _A
        + _SOFTMAX_ROW
        + """    grad = np.zeros(theta.shape)
    grad[:] = -probs
    grad[:, a] += 1.0
    return grad
"""
    },
    # ---- Part B: trajectory_score -------------------------------------------
    "b_fancy_index_drops_repeats": {
        "trajectory_score": _B
        + _SOFTMAX_ALL
        + """    states, actions = np.asarray(states), np.asarray(actions)
    score = np.zeros(theta.shape)
    score[states, actions] += 1.0
    score[states] -= probs[states]
    return score
"""
    },
    "b_averages_over_steps": {
        "trajectory_score": _B
        + """    score = np.zeros(np.shape(theta))
    for s, a in zip(states, actions):
        score += grad_log_softmax(theta, s, a)
    return score / max(len(states), 1)
"""
    },
    "b_overwrites_instead_of_adding": {
        "trajectory_score": _B
        + """    score = np.zeros(np.shape(theta))
    for s, a in zip(states, actions):
        score = grad_log_softmax(theta, s, a)
    return score
"""
    },
    # ---- Part C: reinforce_gradient -----------------------------------------
    "c_no_discount": {
        "reinforce_gradient": _C
        + """    grad = np.zeros(np.shape(theta))
    for ep in episodes:
        grad += trajectory_score(theta, ep.obs, ep.act) * np.sum(ep.rew)
    return grad / len(episodes)
"""
    },
    "c_step_reward_instead_of_return": {
        "reinforce_gradient": _C
        + """    grad = np.zeros(np.shape(theta))
    for ep in episodes:
        for t, (s, a, r) in enumerate(zip(ep.obs, ep.act, ep.rew)):
            grad += grad_log_softmax(theta, s, a) * gamma**t * r
    return grad / len(episodes)
"""
    },
    "c_sums_over_episodes": {
        "reinforce_gradient": _C
        + """    grad = np.zeros(np.shape(theta))
    for ep in episodes:
        ret = np.sum(gamma ** np.arange(len(ep.rew)) * ep.rew)
        grad += trajectory_score(theta, ep.obs, ep.act) * ret
    return grad
"""
    },
    "c_discount_runs_across_episodes": {
        "reinforce_gradient": _C
        + """    # one clock for the whole batch: t is not reset for a new episode
    grad = np.zeros(np.shape(theta))
    t = 0
    for ep in episodes:
        ret = 0.0
        for r in ep.rew:
            ret += gamma**t * r
            t += 1
        grad += trajectory_score(theta, ep.obs, ep.act) * ret
    return grad / len(episodes)
"""
    },
    "c_score_without_minus_pi": {
        "reinforce_gradient": _C
        + """    grad = np.zeros(np.shape(theta))
    for ep in episodes:
        ret = np.sum(gamma ** np.arange(len(ep.rew)) * ep.rew)
        for s, a in zip(ep.obs, ep.act):
            grad[s, a] += ret
    return grad / len(episodes)
"""
    },
    # ---- Part D: surrogate_loss ---------------------------------------------
    "d_objective_not_loss": {
        "surrogate_loss": _D
        + """    log_pi = torch.log_softmax(theta, dim=1)
    total = 0.0
    for ep in episodes:
        ret = float(np.sum(gamma ** np.arange(len(ep.rew)) * ep.rew))
        total = total + ret * log_pi[ep.obs, ep.act].sum()
    return total / len(episodes)
"""
    },
    "d_sums_over_episodes": {
        "surrogate_loss": _D
        + """    log_pi = torch.log_softmax(theta, dim=1)
    total = 0.0
    for ep in episodes:
        ret = float(np.sum(gamma ** np.arange(len(ep.rew)) * ep.rew))
        total = total - ret * log_pi[ep.obs, ep.act].sum()
    return total
"""
    },
    "d_log_of_softmax": {
        "surrogate_loss": _D
        + """    log_pi = torch.log(torch.softmax(theta, dim=1))
    total = 0.0
    for ep in episodes:
        ret = float(np.sum(gamma ** np.arange(len(ep.rew)) * ep.rew))
        total = total - ret * log_pi[ep.obs, ep.act].sum()
    return total / len(episodes)
"""
    },
    "d_value_without_graph": {
        "surrogate_loss": _D
        + """    # computes the right number, but in numpy: autograd cannot see it
    logits = theta.detach().numpy()
    log_pi = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    total = 0.0
    for ep in episodes:
        ret = np.sum(gamma ** np.arange(len(ep.rew)) * ep.rew)
        total -= ret * log_pi[ep.obs, ep.act].sum()
    return torch.tensor(total / len(episodes), requires_grad=True)
"""
    },
    "d_step_rewards": {
        "surrogate_loss": _D
        + """    log_pi = torch.log_softmax(theta, dim=1)
    total = 0.0
    for ep in episodes:
        disc = torch.as_tensor(gamma ** np.arange(len(ep.rew)) * ep.rew)
        total = total - (disc * log_pi[ep.obs, ep.act]).sum()
    return total / len(episodes)
"""
    },
    # ---- Part E: reinforce_update -------------------------------------------
    "e_sums_over_episodes": {
        "reinforce_update": _E
        + _E_INPUTS
        + _E_WEIGHTS
        + """    loss = -(w * logp).sum()
"""
        + _E_STEP
    },
    "e_averages_over_steps": {
        "reinforce_update": _E
        + _E_INPUTS
        + _E_WEIGHTS
        + """    loss = -(w * logp).mean()
"""
        + _E_STEP
    },
    "e_ascends_the_loss": {
        "reinforce_update": _E
        + _E_INPUTS
        + _E_WEIGHTS
        + """    loss = (w * logp).sum() / len(episodes)
"""
        + _E_STEP
    },
    "e_no_zero_grad": {
        "reinforce_update": _E
        + _E_INPUTS
        + _E_WEIGHTS
        + """    loss = -(w * logp).sum() / len(episodes)
    loss.backward()
    optimizer.step()
    return loss.item()
"""
    },
    "e_no_discount": {
        "reinforce_update": _E
        + _E_INPUTS
        + """    w = torch.as_tensor(
        np.concatenate([np.full(len(ep.rew), ep.rew.sum()) for ep in episodes]),
        dtype=torch.float32,
        device=dev,
    )
    loss = -(w * logp).sum() / len(episodes)
"""
        + _E_STEP
    },
    # right for plain SGD, but bypasses the optimizer it is given (Adam in training)
    "e_hand_written_sgd_step": {
        "reinforce_update": _E
        + _E_INPUTS
        + _E_WEIGHTS
        + """    loss = -(w * logp).sum() / len(episodes)
    optimizer.zero_grad()
    loss.backward()
    lr = optimizer.param_groups[0]["lr"]
    with torch.no_grad():
        for p in policy.parameters():
            p -= lr * p.grad
    return loss.item()
"""
    },
    # "on-policy, so forget everything": wipes Adam's moment estimates every call
    "e_resets_optimizer_state": {
        "reinforce_update": _E
        + _E_INPUTS
        + _E_WEIGHTS
        + """    loss = -(w * logp).sum() / len(episodes)
    optimizer.state.clear()
"""
        + _E_STEP
    },
    # ---- concept checks -----------------------------------------------------
    "cc_dynamics_score_only": {
        "answer_dynamics": _answer("answer_dynamics", "answer_dynamics = {2}")
    },
    "cc_dynamics_true_gradient_too": {
        "answer_dynamics": _answer("answer_dynamics", "answer_dynamics = {2, 3, 4}")
    },
    "cc_pg_facts_formula_only": {
        "answer_pg_facts": _answer("answer_pg_facts", "answer_pg_facts = {1}")
    },
    "cc_pg_facts_always_up": {
        "answer_pg_facts": _answer("answer_pg_facts", "answer_pg_facts = {1, 2, 3}")
    },
    "cc_on_policy_reuse_batch": {
        "answer_on_policy": _answer("answer_on_policy", "answer_on_policy = {1, 2, 3}")
    },
    "cc_on_policy_loss_tracks_progress": {
        "answer_on_policy": _answer("answer_on_policy", "answer_on_policy = {2, 3, 4}")
    },
}

LOSES: dict[str, str] = {
    "a_softmax_without_max_shift": "test_grad_log_softmax",
    "a_forgets_minus_pi": "test_grad_log_softmax",
    "a_sign_flipped": "test_grad_log_softmax",
    "a_fills_every_row": "test_grad_log_softmax",
    "b_fancy_index_drops_repeats": "test_trajectory_score",
    "b_averages_over_steps": "test_trajectory_score",
    "b_overwrites_instead_of_adding": "test_trajectory_score",
    "c_no_discount": "test_reinforce_gradient",
    "c_step_reward_instead_of_return": "test_reinforce_gradient",
    "c_sums_over_episodes": "test_reinforce_gradient",
    "c_discount_runs_across_episodes": "test_reinforce_gradient",
    "c_score_without_minus_pi": "test_reinforce_gradient",
    "d_objective_not_loss": "test_surrogate_loss",
    "d_sums_over_episodes": "test_surrogate_loss",
    "d_log_of_softmax": "test_surrogate_loss",
    "d_value_without_graph": "test_surrogate_loss",
    "d_step_rewards": "test_surrogate_loss",
    "e_sums_over_episodes": "test_reinforce_update",
    "e_averages_over_steps": "test_reinforce_update",
    "e_ascends_the_loss": "test_reinforce_update",
    "e_no_zero_grad": "test_reinforce_update",
    "e_no_discount": "test_reinforce_update",
    "e_hand_written_sgd_step": "test_reinforce_training",
    "e_resets_optimizer_state": "test_reinforce_training",
    "cc_dynamics_score_only": "test_answer_dynamics",
    "cc_dynamics_true_gradient_too": "test_answer_dynamics",
    "cc_pg_facts_formula_only": "test_answer_pg_facts",
    "cc_pg_facts_always_up": "test_answer_pg_facts",
    "cc_on_policy_reuse_batch": "test_answer_on_policy",
    "cc_on_policy_loss_tracks_progress": "test_answer_on_policy",
}

CORRECT: dict[str, dict[str, str]] = {
    # explicit Python loops everywhere, no vectorisation
    "loops": {
        "grad_log_softmax": _A
        + """    import math

    row = [float(x) for x in theta[s]]
    top = max(row)
    total = sum(math.exp(x - top) for x in row)
    grad = np.zeros((len(theta), len(row)))
    for b in range(len(row)):
        indicator = 1.0 if b == a else 0.0
        grad[s][b] = indicator - math.exp(row[b] - top) / total
    return grad
""",
        "trajectory_score": _B
        + """    score = np.zeros(np.shape(theta))
    for t in range(len(states)):
        score = score + grad_log_softmax(theta, int(states[t]), int(actions[t]))
    return score
""",
        "reinforce_gradient": _C
        + """    total = np.zeros(np.shape(theta))
    for ep in episodes:
        ret, discount = 0.0, 1.0
        for r in ep.rew:
            ret += discount * r
            discount *= gamma
        score = np.zeros(np.shape(theta))
        for s, a in zip(ep.obs, ep.act):
            score += grad_log_softmax(theta, int(s), int(a))
        total += ret * score
    return total / len(episodes)
""",
        "surrogate_loss": _D
        + """    loss = torch.zeros((), dtype=theta.dtype)
    for ep in episodes:
        ret = 0.0
        for t, r in enumerate(ep.rew):
            ret += gamma**t * float(r)
        for s, a in zip(ep.obs, ep.act):
            loss = loss - ret * torch.log_softmax(theta[int(s)], dim=0)[int(a)]
    return loss / len(episodes)
""",
        "reinforce_update": _E
        + """    dev = next(policy.parameters()).device
    losses = []
    for ep in episodes:
        ret = 0.0
        for r in reversed(ep.rew):  # R = r_0 + gamma (r_1 + gamma (r_2 + ...))
            ret = float(r) + gamma * ret
        obs = torch.as_tensor(ep.obs, dtype=torch.float32, device=dev)
        act = torch.as_tensor(ep.act, device=dev)
        losses.append(-ret * policy.dist(obs).log_prob(act).sum())
    loss = torch.stack(losses).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
""",
        "answer_dynamics": "answer_dynamics = [3, 2]\n",
        "answer_pg_facts": "answer_pg_facts = (1, 3)\n",
        "answer_on_policy": "answer_on_policy = frozenset({3, 2})\n",
    },
    # torch autograd for the tabular parts, cross-entropy for the neural one
    "autograd_and_cross_entropy": {
        "grad_log_softmax": _A
        + """    theta_t = torch.tensor(np.asarray(theta, dtype=float))
    theta_t.requires_grad_(True)
    torch.log_softmax(theta_t[s], dim=0)[a].backward()
    return theta_t.grad.numpy()
""",
        "trajectory_score": _B
        + """    theta_t = torch.tensor(np.asarray(theta, dtype=float))
    theta_t.requires_grad_(True)
    s = torch.as_tensor(np.asarray(states, dtype=np.int64))
    a = torch.as_tensor(np.asarray(actions, dtype=np.int64))
    (torch.log_softmax(theta_t, dim=1)[s, a].sum() + 0.0 * theta_t.sum()).backward()
    return theta_t.grad.numpy()
""",
        "reinforce_gradient": _C
        + """    theta_t = torch.tensor(np.asarray(theta, dtype=float))
    theta_t.requires_grad_(True)
    log_pi = torch.log_softmax(theta_t, dim=1)
    objective = 0.0 * theta_t.sum()
    for ep in episodes:
        ret = float(np.dot(np.power(gamma, np.arange(len(ep.rew))), ep.rew))
        objective = objective + ret * log_pi[ep.obs, ep.act].sum() / len(episodes)
    objective.backward()
    return theta_t.grad.numpy()
""",
        "surrogate_loss": _D
        + """    import torch.nn.functional as F

    states = torch.as_tensor(np.concatenate([ep.obs for ep in episodes]))
    actions = torch.as_tensor(np.concatenate([ep.act for ep in episodes]))
    weights = torch.cat(
        [
            torch.full((len(ep.rew),), ep.discounted_return(gamma), dtype=theta.dtype)
            for ep in episodes
        ]
    )
    nll = F.cross_entropy(theta[states], actions, reduction="none")
    return (weights * nll).sum() / len(episodes)
""",
        "reinforce_update": _E
        + """    import torch.nn.functional as F

    dev = next(policy.parameters()).device
    obs = torch.as_tensor(np.concatenate([ep.obs for ep in episodes]), device=dev)
    act = torch.as_tensor(np.concatenate([ep.act for ep in episodes]), device=dev)
    weights = torch.cat(
        [torch.full((len(ep),), ep.discounted_return(gamma)) for ep in episodes]
    ).to(dev)
    nll = F.cross_entropy(policy(obs), act, reduction="none")
    loss = (weights * nll).sum() / len(episodes)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss)
""",
    },
}
