"""Lecture 08 (monotonic improvement): wrong and alternative answers for the grader.

WRONG maps a mutant to replacement sources of solution cells (by grade_id); LOSES names
the test cell whose points it must lose. CORRECT holds answers that are right but
written differently (loops, the importance-ratio form, lists instead of sets).
"""

from __future__ import annotations

ASSIGNMENT = "08_monotonic_improvement"

# --------------------------------------------------------------------------
# Part A: performance_difference

_PD = '''
def performance_difference(mdp, pi_new, pi_old):
    """J(pi') - J(pi) directly and by the lemma."""
    direct = {direct}
    adv = {adv}
    weights = {weights}
    lemma = weights @ np.sum(pi_new * adv, axis=1)
    return float(direct), float(lemma)
'''


def _pd(
    direct: str = "exact.objective(mdp, pi_new) - exact.objective(mdp, pi_old)",
    adv: str = "exact.advantage(mdp, pi_old)",
    weights: str = "exact.visitation(mdp, pi_new)",
) -> dict[str, str]:
    return {
        "performance_difference": _PD.format(direct=direct, adv=adv, weights=weights)
    }


# --------------------------------------------------------------------------
# Part B: surrogate

_SURROGATE = '''
def surrogate(mdp, pi_new, pi_old):
    """L_pi(pi')."""
    adv = {adv}
    weights = {weights}
    return float(weights @ np.sum({action_weights} * adv, axis=1))
'''


def _surrogate(
    adv: str = "exact.advantage(mdp, pi_old)",
    weights: str = "exact.visitation(mdp, pi_old)",
    action_weights: str = "pi_new",
) -> dict[str, str]:
    return {
        "surrogate": _SURROGATE.format(
            adv=adv, weights=weights, action_weights=action_weights
        )
    }


# --------------------------------------------------------------------------
# Part C: kl_per_state and expected_kl

_KL_PER_STATE = '''
def kl_per_state(p, q):
    """KL(p || q) per state."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    ratio = np.divide(p, q, out=np.ones_like(p), where=p > 0)
    return np.sum(np.where(p > 0, p * np.log(ratio), 0.0), axis=1)
'''

_EXPECTED_KL = '''
def expected_kl(mdp, pi_new, pi_old):
    """E_{{s ~ d^pi}}[KL(pi' || pi)[s]]."""
    weights = {weights}
    return float(weights @ kl_per_state({first}, {second}))
'''


def _kl(
    per_state: str = _KL_PER_STATE,
    weights: str = "exact.state_distribution(mdp, pi_old)",
    first: str = "pi_new",
    second: str = "pi_old",
) -> dict[str, str]:
    expected = _EXPECTED_KL.format(weights=weights, first=first, second=second)
    return {"expected_kl": per_state + "\n" + expected}


# --------------------------------------------------------------------------
# Part D: bound_constant and lower_bound

_BOUND = '''
def bound_constant(mdp, pi_new, pi_old):
    """C of the Achiam et al. (2017) bound."""
    adv = exact.advantage(mdp, pi_old)
    eps = {eps}
    return float({factor} * mdp.gamma * eps / (1.0 - mdp.gamma) ** {power})


def lower_bound(mdp, pi_new, pi_old):
    """L - C sqrt(E KL)."""
    kl = max(expected_kl(mdp, pi_new, pi_old), 0.0)
    penalty = bound_constant(mdp, pi_new, pi_old) * {kl_term}
    return float(surrogate(mdp, pi_new, pi_old) {sign} penalty)
'''


def _bound(
    eps: str = "np.max(np.abs(np.sum(pi_new * adv, axis=1)))",
    factor: str = "np.sqrt(2.0)",
    power: str = "2",
    kl_term: str = "np.sqrt(kl)",
    sign: str = "-",
) -> dict[str, str]:
    return {
        "lower_bound": _BOUND.format(
            eps=eps, factor=factor, power=power, kl_term=kl_term, sign=sign
        )
    }


def _answer(name: str, value: str) -> dict[str, str]:
    return {f"answer_{name}": f"answer_{name} = {value}\n"}


WRONG: dict[str, dict[str, str]] = {
    # Part A: the lemma
    "pd_textbook_form_with_terminal_states": _pd(
        weights="exact.state_distribution(mdp, pi_new) / (1.0 - mdp.gamma)"
    ),
    "pd_d_not_normalised_by_one_minus_gamma": _pd(
        weights="exact.state_distribution(mdp, pi_new)"
    ),
    "pd_old_policy_states": _pd(weights="exact.visitation(mdp, pi_old)"),
    "pd_direct_reversed": _pd(
        direct="exact.objective(mdp, pi_old) - exact.objective(mdp, pi_new)"
    ),
    # Part B: the surrogate
    "surrogate_under_new_state_distribution": _surrogate(
        weights="exact.visitation(mdp, pi_new)"
    ),
    "surrogate_d_not_normalised_by_one_minus_gamma": _surrogate(
        weights="exact.visitation(mdp, pi_old) / (1.0 - mdp.gamma)"
    ),
    "surrogate_without_one_over_one_minus_gamma": _surrogate(
        weights="exact.state_distribution(mdp, pi_old)"
    ),
    "surrogate_with_new_policy_advantage": _surrogate(
        adv="exact.advantage(mdp, pi_new)"
    ),
    # Part C: the KL
    "kl_arguments_reversed": _kl(first="pi_old", second="pi_new"),
    "kl_under_new_state_distribution": _kl(
        weights="exact.state_distribution(mdp, pi_new)"
    ),
    "kl_d_not_normalised": _kl(weights="exact.visitation(mdp, pi_old)"),
    "kl_zero_probabilities_give_nan": _kl(
        per_state='''
def kl_per_state(p, q):
    """KL(p || q) per state."""
    p = np.asarray(p, dtype=np.float64)
    return np.sum(p * np.log(p / np.asarray(q)), axis=1)
'''
    ),
    # Part D: the bound
    "bound_epsilon_max_abs_advantage_as_in_trpo": _bound(eps="np.max(np.abs(adv))"),
    "bound_epsilon_of_old_policy": _bound(
        eps="np.max(np.abs(np.sum(pi_old * adv, axis=1)))"
    ),
    "bound_missing_sqrt2": _bound(factor="1.0"),
    "bound_one_minus_gamma_not_squared": _bound(power="1"),
    "bound_penalty_added": _bound(sign="+"),
    # concept checks
    "cc_parameter_space_missing_4": _answer("parameter_space", "{2}"),
    "cc_parameter_space_fixed_lr_limits_kl": _answer("parameter_space", "{2, 3, 4}"),
    "cc_kl_facts_symmetric": _answer("kl_facts", "{1, 2, 4}"),
    "cc_kl_facts_missing_pinsker": _answer("kl_facts", "{1}"),
    "cc_surrogate_positive_means_better": _answer("surrogate_facts", "{1, 2, 3, 4}"),
    "cc_surrogate_missing_2": _answer("surrogate_facts", "{1, 4}"),
    "cc_monotonic_scaled_c_keeps_guarantee": _answer("monotonic", "{1, 3, 4}"),
    "cc_monotonic_family_breaks_it": _answer("monotonic", "{1, 2, 3}"),
}

LOSES: dict[str, str] = {
    name: {
        "pd": "test_performance_difference",
        "surrogate": "test_surrogate",
        "kl": "test_expected_kl",
        "bound": "test_lower_bound",
    }.get(name.split("_")[0], "")
    for name in WRONG
}
LOSES.update(
    {
        "cc_parameter_space_missing_4": "test_answer_parameter_space",
        "cc_parameter_space_fixed_lr_limits_kl": "test_answer_parameter_space",
        "cc_kl_facts_symmetric": "test_answer_kl_facts",
        "cc_kl_facts_missing_pinsker": "test_answer_kl_facts",
        "cc_surrogate_positive_means_better": "test_answer_surrogate_facts",
        "cc_surrogate_missing_2": "test_answer_surrogate_facts",
        "cc_monotonic_scaled_c_keeps_guarantee": "test_answer_monotonic",
        "cc_monotonic_family_breaks_it": "test_answer_monotonic",
    }
)

CORRECT: dict[str, dict[str, str]] = {
    "loops_and_ratio_form": {
        "performance_difference": '''
def performance_difference(mdp, pi_new, pi_old):
    """Both sides of the lemma, with eta^{pi'} from its own linear system."""
    pi_new = np.asarray(pi_new, dtype=float)
    P_new, _ = exact.policy_matrices(mdp, pi_new)
    size = mdp.num_states
    # eta^T (I - gamma P_pi') = mu0^T; terminal states take no action
    eta = np.linalg.solve((np.eye(size) - mdp.gamma * P_new).T, mdp.mu0)
    eta[mdp.terminal] = 0.0
    q_old = exact.q_value(mdp, pi_old)
    v_old = exact.value(mdp, pi_old)
    lemma = 0.0
    for s in range(size):
        for a in range(mdp.num_actions):
            lemma += eta[s] * pi_new[s, a] * (q_old[s, a] - v_old[s])
    v_new = exact.value(mdp, pi_new)
    direct = sum(mdp.mu0[s] * (v_new[s] - v_old[s]) for s in range(size))
    return float(direct), float(lemma)
''',
        "surrogate": '''
def surrogate(mdp, pi_new, pi_old):
    """L_pi(pi') with the importance ratio written out."""
    pi_new = np.asarray(pi_new, dtype=float)
    pi_old = np.asarray(pi_old, dtype=float)
    adv = exact.advantage(mdp, pi_old)
    eta = exact.visitation(mdp, pi_old)
    total = 0.0
    for s in range(mdp.num_states):
        for a in range(mdp.num_actions):
            if pi_old[s, a] > 0:
                ratio = pi_new[s, a] / pi_old[s, a]
                total += eta[s] * pi_old[s, a] * ratio * adv[s, a]
    return total
''',
        "expected_kl": '''
import math


def kl_per_state(p, q):
    """KL(p || q) per state, one term at a time."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    out = np.zeros(p.shape[0])
    for s in range(p.shape[0]):
        for a in range(p.shape[1]):
            if p[s, a] > 0:
                out[s] += p[s, a] * math.log(p[s, a] / q[s, a])
    return out


def expected_kl(mdp, pi_new, pi_old):
    """Average KL over d^pi, normalising the visits by hand."""
    eta = exact.visitation(mdp, pi_old)
    d = eta / eta.sum()
    kl = kl_per_state(pi_new, pi_old)
    return float(sum(d[s] * kl[s] for s in range(mdp.num_states)))
''',
        "lower_bound": '''
def bound_constant(mdp, pi_new, pi_old):
    """C from its definition, state by state."""
    adv = exact.advantage(mdp, pi_old)
    eps = 0.0
    for s in range(mdp.num_states):
        expected = sum(pi_new[s][a] * adv[s, a] for a in range(mdp.num_actions))
        eps = max(eps, abs(expected))
    return 2.0**0.5 * mdp.gamma * eps / (1.0 - mdp.gamma) ** 2


def lower_bound(mdp, pi_new, pi_old):
    """L - C sqrt(E KL), through the total-variation constant and Pinsker."""
    tv_constant = 2.0 * mdp.gamma / (1.0 - mdp.gamma) ** 2
    adv = exact.advantage(mdp, pi_old)
    eps = np.abs((np.asarray(pi_new) * adv).sum(axis=1)).max()
    kl = max(expected_kl(mdp, pi_new, pi_old), 0.0)
    return surrogate(mdp, pi_new, pi_old) - tv_constant * eps * (kl / 2.0) ** 0.5
''',
        "answer_parameter_space": "answer_parameter_space = [4, 2]\n",
        "answer_kl_facts": "answer_kl_facts = (1, 4)\n",
        "answer_surrogate_facts": "answer_surrogate_facts = {4, 2, 1}\n",
        "answer_monotonic": "answer_monotonic = [1, 3]\n",
    },
}

assert all(LOSES.values()), "every wrong answer must name the test it fails"
