"""Lecture 05 (PPO): wrong and right student versions.

Each source below replaces a whole solution cell of solutions/05_ppo/05_ppo.ipynb,
written the way a student would leave it: signature and docstring kept, the solution
region replaced by their code. Every WRONG entry breaks one exercise; LOSES names the
test cell whose points it must lose. CORRECT entries are right answers written
differently (torch.where, torch.distributions, no shuffling, numpy shuffling).
"""

from __future__ import annotations

ASSIGNMENT = "05_ppo"

# --------------------------------------------------------------------------
# Signatures and docstrings of the graded functions, as released.

_A = '''\
def clipped_surrogate(
    ratio: torch.Tensor, adv: torch.Tensor, clip_eps: float
) -> torch.Tensor:
    """PPO's clipped surrogate, one value per sample (lecture 05).

    Symbol    Shape  Description
    ratio     (B,)   r_i = pi_theta(a_i|s_i) / pi_k(a_i|s_i), may carry gradients
    adv       (B,)   advantage estimates A_i
    clip_eps  float  epsilon in (0, 1)
    returns   (B,)   min(r_i A_i, clip(r_i, 1 - eps, 1 + eps) A_i)
    Any shape works as long as ratio and adv have the same one.
    """
'''

_B = '''\
def categorical_kl(logits_p: torch.Tensor, logits_q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) between categorical distributions given by logits (lecture 05).

    Symbol    Shape     Description
    logits_p  (..., K)  unnormalised log-probabilities of p
    logits_q  (..., K)  unnormalised log-probabilities of q
    returns   (...)     sum_a p(a) (log p(a) - log q(a)), one value per row
    """
'''

_C = '''\
def kl_estimators(
    logp_new: torch.Tensor, logp_old: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sample estimators (k1, k2, k3) of KL(pi_k || pi_theta), a ~ pi_k (lecture 05).

    Symbol    Shape  Description
    logp_new  (B,)   log pi_theta(a_i|s_i)
    logp_old  (B,)   log pi_k(a_i|s_i), the policy that sampled a_i
    returns   3x(B,) k1, k2, k3 of the table above, one value per sample
    """
'''

_D = '''\
def update_beta(beta: float, kl: float, target_kl: float) -> float:
    """Adaptive KL-penalty rule: beta_{k+1} from beta_k (lecture 05).

    beta       beta_k > 0, the current penalty coefficient
    kl         d, the measured KL(pi_k || pi_{k+1}) of the update just made
    target_kl  delta, the target divergence per update
    returns    beta_{k+1}
    """
'''

_E = '''\
def ppo_loss(
    policy: CategoricalPolicy,
    value_fn: ValueNet,
    mb: PPOBatch,
    cfg: PPOConfig,
    beta: float = 0.0,
) -> torch.Tensor:
    """The loss PPO minimises on one minibatch of B >= 2 samples (lecture 05).

    policy    pi_theta; policy(obs) gives logits (B, A)
    value_fn  V_phi; value_fn(obs) gives values (B,)
    mb        PPOBatch of the minibatch (log-probabilities and logits of pi_k)
    cfg       clip_eps, norm_adv, vf_coef, ent_coef are used
    beta      weight of the KL(pi_k || pi_theta) penalty (0: no penalty)
    returns   scalar: policy loss + vf_coef * value loss - ent_coef * entropy
    """
'''

_F = '''\
def ppo_update(
    policy: CategoricalPolicy,
    value_fn: ValueNet,
    optimizer: torch.optim.Optimizer,
    batch: PPOBatch,
    cfg: PPOConfig,
    generator: torch.Generator,
    beta: float = 0.0,
) -> None:
    """One PPO update: num_epochs passes of minibatch SGD over batch (lecture 05).

    optimizer  holds the parameters of both networks
    batch      PPOBatch of the whole rollout, collected by pi_k
    cfg        num_epochs, num_minibatches, max_grad_norm (and ppo_loss's fields)
    generator  torch.Generator on batch's device, for the shuffling
    beta       KL-penalty weight passed to ppo_loss
    """
'''


# Shared pieces of otherwise-correct student code.
_LOSS_START = """\
    logits = policy(mb.obs)
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, mb.act.unsqueeze(-1)).squeeze(-1)
"""
_LOSS_ADV = """\
    adv = mb.adv
    if cfg.norm_adv:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    if cfg.clip_eps is None:
        surrogate = ratio * adv
    else:
        surrogate = clipped_surrogate(ratio, adv, cfg.clip_eps)
"""
_LOSS_TERMS = """\
    value_loss = (value_fn(mb.obs) - mb.ret).pow(2).mean()
    entropy = -(logp_all.exp() * logp_all).sum(dim=-1).mean()
"""
_UPDATE_STEP = """\
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            optimizer.step()
"""


def _loss(ratio: str, policy_loss: str, total: str) -> str:
    return _E + _LOSS_START + ratio + _LOSS_ADV + policy_loss + _LOSS_TERMS + total


_RATIO = "    ratio = torch.exp(logp - mb.logp)\n"
_PENALTY = """\
    policy_loss = -surrogate.mean()
    if beta > 0:
        policy_loss = policy_loss + beta * categorical_kl(mb.logits, logits).mean()
"""
_TOTAL = "    return policy_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy\n"


def _update(loop: str) -> str:
    return (
        _F
        + """\
    params = [p for group in optimizer.param_groups for p in group["params"]]
"""
        + loop
    )


_EPOCHS = """\
    for _ in range(cfg.num_epochs):
        order = torch.randperm(len(batch), generator=generator, device=batch.obs.device)
        for idx in order.tensor_split(cfg.num_minibatches):
            loss = ppo_loss(policy, value_fn, batch.subset(idx), cfg, beta)
"""


def _answer(name: str, choice: str) -> str:
    return f"# Replace the line below by your answer: answer_{name} = {{...}}\n" + (
        f"answer_{name} = {choice}\n"
    )


WRONG: dict[str, dict[str, str]] = {
    # Part A: the clipped surrogate
    "clip_max_instead_of_min": {
        "clipped_surrogate": _A
        + """\
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv
    return torch.maximum(ratio * adv, clipped)
"""
    },
    "clip_the_advantage": {
        "clipped_surrogate": _A
        + """\
    clipped_adv = torch.clamp(adv, 1.0 - clip_eps, 1.0 + clip_eps)
    return torch.minimum(ratio * adv, ratio * clipped_adv)
"""
    },
    # Part B: the exact KL
    "kl_arguments_reversed": {
        "categorical_kl": _B
        + """\
    logp = torch.log_softmax(logits_q, dim=-1)
    logq = torch.log_softmax(logits_p, dim=-1)
    return (logp.exp() * (logp - logq)).sum(dim=-1)
"""
    },
    "kl_log_of_softmax": {
        "categorical_kl": _B
        + """\
    p = torch.softmax(logits_p, dim=-1)
    q = torch.softmax(logits_q, dim=-1)
    return (p * (p.log() - q.log())).sum(dim=-1)
"""
    },
    "kl_logits_as_log_probs": {
        "categorical_kl": _B
        + """\
    p = torch.softmax(logits_p, dim=-1)
    return (p * (logits_p - logits_q)).sum(dim=-1)
"""
    },
    # Part C: the sample estimators
    "k1_sign_flipped": {
        "kl_estimators": _C
        + """\
    log_ratio = logp_new - logp_old
    k1 = log_ratio
    k2 = 0.5 * log_ratio**2
    k3 = torch.expm1(log_ratio) - log_ratio
    return k1, k2, k3
"""
    },
    "k3_inverse_ratio": {
        "kl_estimators": _C
        + """\
    log_ratio = logp_new - logp_old
    k1 = -log_ratio
    k2 = 0.5 * log_ratio**2
    k3 = torch.expm1(-log_ratio) + log_ratio
    return k1, k2, k3
"""
    },
    # Part D: the adaptive beta
    "beta_wrong_direction": {
        "update_beta": _D
        + """\
    if kl >= 1.5 * target_kl:
        return beta / 2.0
    if kl <= target_kl / 1.5:
        return 2.0 * beta
    return beta
"""
    },
    "beta_thresholds_at_target": {
        "update_beta": _D
        + """\
    if kl > target_kl:
        return 2.0 * beta
    if kl < target_kl:
        return beta / 2.0
    return beta
"""
    },
    # Part E: the loss
    "loss_value_sign_flipped": {
        "ppo_loss": _loss(
            _RATIO,
            _PENALTY,
            """\
    return policy_loss - cfg.vf_coef * value_loss - cfg.ent_coef * entropy
""",
        )
    },
    "loss_entropy_sign_flipped": {
        "ppo_loss": _loss(
            _RATIO,
            _PENALTY,
            """\
    return policy_loss + cfg.vf_coef * value_loss + cfg.ent_coef * entropy
""",
        )
    },
    "loss_ratio_inverted": {
        "ppo_loss": _loss("    ratio = torch.exp(mb.logp - logp)\n", _PENALTY, _TOTAL)
    },
    "loss_penalty_kl_reversed": {
        "ppo_loss": _loss(
            _RATIO,
            """\
    policy_loss = -surrogate.mean()
    if beta > 0:
        policy_loss = policy_loss + beta * categorical_kl(logits, mb.logits).mean()
""",
            _TOTAL,
        )
    },
    # Part F: the update
    "update_without_zero_grad": {
        "ppo_update": _update(
            _EPOCHS
            + """\
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            optimizer.step()
"""
        )
    },
    "update_single_epoch": {
        "ppo_update": _update(
            """\
    order = torch.randperm(len(batch), generator=generator, device=batch.obs.device)
    for idx in order.tensor_split(cfg.num_minibatches):
        loss = ppo_loss(policy, value_fn, batch.subset(idx), cfg, beta)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        optimizer.step()
"""
        )
    },
    "update_refreshes_old_logp": {
        "ppo_update": _update(
            """\
    for _ in range(cfg.num_epochs):
        with torch.no_grad():
            logits_now = policy(batch.obs)
            logp_now = torch.log_softmax(logits_now, -1)
            logp_now = logp_now.gather(-1, batch.act[:, None]).squeeze(-1)
        current = PPOBatch(
            batch.obs, batch.act, logp_now, logits_now, batch.adv, batch.ret
        )
        order = torch.randperm(len(batch), generator=generator, device=batch.obs.device)
        for idx in order.tensor_split(cfg.num_minibatches):
            loss = ppo_loss(policy, value_fn, current.subset(idx), cfg, beta)
"""
            + _UPDATE_STEP
        )
    },
    "update_without_grad_clipping": {
        "ppo_update": _update(
            _EPOCHS
            + """\
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
"""
        )
    },
    # Concept checks
    "clip_figure_seeds_answer": {
        "answer_clip_figure": _answer("clip_figure", "{1, 4}")
    },
    "clip_figure_depends_on_eps": {
        "answer_clip_figure": _answer("clip_figure", "{2, 3, 4}")
    },
    "kl_facts_k1_nonnegative": {"answer_kl_facts": _answer("kl_facts", "{1, 2, 3}")},
    "kl_facts_k2_unbiased": {"answer_kl_facts": _answer("kl_facts", "{1, 3, 4}")},
    "beta_rule_halves": {"answer_beta_rule": _answer("beta_rule", "{2, 4}")},
    "beta_rule_rejects": {"answer_beta_rule": _answer("beta_rule", "{1, 3, 4}")},
    "data_reuse_clip_unbiased": {
        "answer_data_reuse": _answer("data_reuse", "{1, 2, 3}")
    },
    "data_reuse_frozen_ratio": {
        "answer_data_reuse": _answer("data_reuse", "{1, 3, 4}")
    },
}

LOSES: dict[str, str] = {
    "clip_max_instead_of_min": "test_clipped_surrogate",
    "clip_the_advantage": "test_clipped_surrogate",
    "kl_arguments_reversed": "test_categorical_kl",
    "kl_log_of_softmax": "test_categorical_kl",
    "kl_logits_as_log_probs": "test_categorical_kl",
    "k1_sign_flipped": "test_kl_estimators",
    "k3_inverse_ratio": "test_kl_estimators",
    "beta_wrong_direction": "test_update_beta",
    "beta_thresholds_at_target": "test_update_beta",
    "loss_value_sign_flipped": "test_ppo_loss",
    "loss_entropy_sign_flipped": "test_ppo_loss",
    "loss_ratio_inverted": "test_ppo_loss",
    "loss_penalty_kl_reversed": "test_ppo_loss",
    "update_without_zero_grad": "test_ppo_update",
    "update_single_epoch": "test_ppo_update",
    "update_refreshes_old_logp": "test_ppo_update",
    "update_without_grad_clipping": "test_ppo_update",
    "clip_figure_seeds_answer": "test_answer_clip_figure",
    "clip_figure_depends_on_eps": "test_answer_clip_figure",
    "kl_facts_k1_nonnegative": "test_answer_kl_facts",
    "kl_facts_k2_unbiased": "test_answer_kl_facts",
    "beta_rule_halves": "test_answer_beta_rule",
    "beta_rule_rejects": "test_answer_beta_rule",
    "data_reuse_clip_unbiased": "test_answer_data_reuse",
    "data_reuse_frozen_ratio": "test_answer_data_reuse",
}

CORRECT: dict[str, dict[str, str]] = {
    "written_differently": {
        # the two sides of the clip spelled out with torch.where
        "clipped_surrogate": _A
        + """\
    upper = ratio.clamp(max=1.0 + clip_eps) * adv
    lower = ratio.clamp(min=1.0 - clip_eps) * adv
    return torch.where(adv >= 0, upper, lower)
""",
        # log-probabilities by hand with logsumexp
        "categorical_kl": _B
        + """\
    logp = logits_p - torch.logsumexp(logits_p, dim=-1, keepdim=True)
    logq = logits_q - torch.logsumexp(logits_q, dim=-1, keepdim=True)
    p = torch.softmax(logits_p, dim=-1)
    return torch.sum(p * (logp - logq), dim=-1)
""",
        # the ratio itself, no expm1
        "kl_estimators": _C
        + """\
    ratio = torch.exp(logp_new - logp_old)
    log_ratio = torch.log(ratio)
    return -log_ratio, log_ratio * log_ratio / 2, ratio - 1 - log_ratio
""",
        "update_beta": _D
        + """\
    factor = 1.0
    if kl >= 1.5 * target_kl:
        factor = 2.0
    elif kl <= target_kl / 1.5:
        factor = 0.5
    return beta * factor
""",
        # torch.distributions and F.mse_loss
        "ppo_loss": _E
        + """\
    from torch.distributions import Categorical, kl_divergence

    dist = Categorical(logits=policy(mb.obs))
    ratio = (dist.log_prob(mb.act) - mb.logp).exp()
    adv = mb.adv
    if cfg.norm_adv:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    if cfg.clip_eps is None:
        objective = (ratio * adv).mean()
    else:
        objective = clipped_surrogate(ratio, adv, cfg.clip_eps).mean()
    if beta > 0:
        objective = objective - beta * kl_divergence(
            Categorical(logits=mb.logits), dist
        ).mean()
    value_loss = torch.nn.functional.mse_loss(value_fn(mb.obs), mb.ret)
    return -objective + cfg.vf_coef * value_loss - cfg.ent_coef * dist.entropy().mean()
""",
        # no shuffling at all: the minibatches are consecutive slices
        "ppo_update": _F
        + """\
    params = list(policy.parameters()) + list(value_fn.parameters())
    chunks = torch.arange(len(batch)).tensor_split(cfg.num_minibatches)
    for epoch in range(cfg.num_epochs):
        for idx in chunks:
            optimizer.zero_grad(set_to_none=True)
            ppo_loss(policy, value_fn, batch.subset(idx), cfg, beta).backward()
            torch.nn.utils.clip_grad_norm_(params, max_norm=cfg.max_grad_norm)
            optimizer.step()
""",
    },
    "numpy_shuffling": {
        "ppo_update": _F
        + """\
    rng = np.random.default_rng(0)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    size = -(-len(batch) // cfg.num_minibatches)
    for _ in range(cfg.num_epochs):
        perm = rng.permutation(len(batch))
        for start in range(0, len(batch), size):
            idx = torch.as_tensor(perm[start : start + size])
            loss = ppo_loss(policy, value_fn, batch.subset(idx), cfg, beta)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            optimizer.step()
""",
    },
}
