"""Tests for shared.rollout: tabular sampling, vector-env batches and episodes."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn
from torch.distributions import Categorical, Distribution, Independent, Normal

from shared.exact import softmax_policy
from shared.mdp import bandit, chain, two_state
from shared.rollout import (
    Batch,
    Episode,
    PolicyFn,
    collect,
    episode_returns,
    episodes,
    make_vector_env,
    sample_episodes,
    sample_tabular,
    torch_policy_fn,
)

MODES = ["sync", "vector"]
# CartPole-v1 ends an episode when |x| > 2.4 or |theta| > 12 degrees, and
# starts every episode with all four state variables in [-0.05, 0.05].
X_LIMIT, THETA_LIMIT, RESET_BOUND = 2.4, 12 * 2 * np.pi / 360, 0.05


def random_policy(seed: int) -> PolicyFn:
    """A uniformly random CartPole policy_fn with its own generator."""
    rng = np.random.default_rng(seed)

    def policy_fn(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        act = rng.integers(0, 2, size=obs.shape[0])
        return act, np.full(obs.shape[0], np.log(0.5))

    return policy_fn


def run(
    mode: str = "sync",
    num_envs: int = 4,
    num_steps: int = 300,
    seed: int = 0,
    policy_seed: int = 0,
    **kwargs: object,
) -> Batch:
    """Collect one batch on a fresh CartPole-v1 vector env."""
    envs = make_vector_env(
        "CartPole-v1", num_envs=num_envs, seed=seed, vectorization=mode, **kwargs
    )
    obs, _ = envs.reset()
    batch, _ = collect(envs, random_policy(policy_seed), num_steps, obs)
    return batch


def batch_arrays(batch: Batch) -> dict[str, np.ndarray]:
    """The per-step arrays of a batch, by name."""
    return {
        f.name: getattr(batch, f.name)
        for f in dataclasses.fields(batch)
        if f.name != "continued"
    }


# --- tabular MDPs -------------------------------------------------------------


def test_sample_tabular_episodes_are_consistent() -> None:
    """Check states, rewards, log-probabilities and flags of chain episodes."""
    mdp = chain(num_states=4, slip=0.2)
    pi = softmax_policy(np.random.default_rng(0).normal(size=(4, 2)))
    eps = sample_tabular(mdp, pi, 200, np.random.default_rng(1))
    assert len(eps) == 200
    for ep in eps:
        assert ep.terminated and not ep.truncated and ep.from_start
        assert ep.obs[0] == 0 and ep.final_obs == 3
        assert not mdp.terminal[ep.obs].any()
        np.testing.assert_array_equal(ep.rew, mdp.R[ep.obs, ep.act])
        np.testing.assert_allclose(ep.logp, np.log(pi[ep.obs, ep.act]))
        # Every step is a possible transition.
        next_states = np.append(ep.obs[1:], ep.final_obs)
        assert np.all(mdp.P[ep.obs, ep.act, next_states] > 0)


def test_sample_tabular_determinism() -> None:
    """Check the same generator seed gives the same episodes, another seed not."""
    mdp, pi = chain(), np.full((5, 2), 0.5)

    def lengths(seed: int) -> list[int]:
        return [
            len(ep) for ep in sample_tabular(mdp, pi, 50, np.random.default_rng(seed))
        ]

    assert lengths(3) == lengths(3)
    assert lengths(3) != lengths(4)


def test_sample_tabular_truncates() -> None:
    """Check episodes that never terminate are cut at max_steps and flagged."""
    eps = sample_tabular(
        two_state(), np.full((2, 2), 0.5), 20, np.random.default_rng(0), 7
    )
    assert all(len(ep) == 7 and ep.truncated and not ep.terminated for ep in eps)


def test_sample_tabular_start_in_terminal() -> None:
    """Check an episode starting in a terminal state is empty and terminated."""
    mdp = dataclasses.replace(bandit(), mu0=[0.0, 1.0])
    (ep,) = sample_tabular(mdp, np.full((2, 3), 1 / 3), 1, np.random.default_rng(0))
    assert len(ep) == 0 and ep.terminated and ep.final_obs == 1
    assert ep.discounted_return(0.9) == 0.0


def test_sample_tabular_action_frequencies() -> None:
    """Check actions follow pi (within 4 binomial standard errors), never a 0 one."""
    pi = np.array([[0.2, 0.0, 0.8], [1 / 3, 1 / 3, 1 / 3]])
    n = 20_000
    eps = sample_tabular(bandit(), pi, n, np.random.default_rng(5))
    counts = np.bincount([ep.act[0] for ep in eps], minlength=3)
    assert counts[1] == 0
    se = np.sqrt(pi[0] * (1 - pi[0]) / n)
    assert np.all(np.abs(counts / n - pi[0]) <= 4 * se + 1e-12)


def test_discounted_return() -> None:
    """Check G_0 = sum_t gamma^t r_t."""
    ep = Episode(
        obs=np.zeros(3),
        act=np.zeros(3),
        rew=np.array([1.0, 2.0, 4.0]),
        logp=np.zeros(3),
        terminated=True,
        truncated=False,
    )
    assert ep.discounted_return(0.5) == pytest.approx(1 + 1 + 1)
    assert ep.discounted_return() == pytest.approx(7.0)
    assert len(ep) == 3


# --- vector envs: collect -------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_autoreset_steps_are_invalid(mode: str) -> None:
    """Check the step after each episode end is invalid, pays 0 and resets obs."""
    batch = run(mode)
    T, N = batch.num_steps, batch.num_envs
    assert batch.obs.shape == (T, N, 4) and batch.next_obs.shape == (T, N, 4)
    assert batch.act.shape == batch.logp.shape == batch.valid.shape == (T, N)
    ended = batch.done[:-1]
    assert ended.sum() > 10
    # Autoreset steps are exactly the steps right after an episode ended.
    np.testing.assert_array_equal(~batch.valid[1:], ended)
    assert batch.valid[0].all()
    assert np.all(batch.rew[1:][ended] == 0.0) and not batch.done[1:][ended].any()
    # The autoreset step returns a fresh start state.
    assert np.all(np.abs(batch.next_obs[1:][ended]) <= RESET_BOUND)


@pytest.mark.parametrize("mode", MODES)
def test_next_obs_is_the_final_obs(mode: str) -> None:
    """Check next_obs on terminating steps is the failed state, not the reset one."""
    batch = run(mode)
    final = batch.next_obs[batch.terminated]
    assert len(final) > 5
    failed = (np.abs(final[:, 0]) > X_LIMIT) | (np.abs(final[:, 2]) > THETA_LIMIT)
    assert failed.all()
    # With next-step autoreset, the next step's obs is that same final obs.
    np.testing.assert_array_equal(batch.next_obs[:-1], batch.obs[1:])


def test_batch_matches_single_env_replay() -> None:
    """Check every valid transition against a plain CartPole-v1 replaying them."""
    seed, num_envs = 3, 3
    batch = run("sync", num_envs=num_envs, num_steps=200, seed=seed)
    for i in range(num_envs):
        env = gym.make("CartPole-v1")
        env.reset(seed=seed + i)  # SyncVectorEnv seeds sub-env i with seed + i
        obs, _ = env.reset()
        for t in np.flatnonzero(batch.valid[:, i]):
            np.testing.assert_array_equal(batch.obs[t, i], obs)
            obs, rew, term, trunc, _ = env.step(int(batch.act[t, i]))
            np.testing.assert_array_equal(batch.next_obs[t, i], obs)
            assert (batch.rew[t, i], batch.terminated[t, i]) == (rew, term)
            assert batch.truncated[t, i] == trunc
            if term or trunc:
                obs, _ = env.reset()


@pytest.mark.parametrize("mode", MODES)
def test_time_limit_is_truncation(mode: str) -> None:
    """Check an episode cut by max_episode_steps is truncated, not terminated."""
    batch = run(mode, num_steps=100, max_episode_steps=10)
    assert batch.truncated.any()
    for ep, env_end in zip(episodes(batch), last_piece_flags(batch), strict=True):
        if len(ep) == 10:
            # Gymnasium also sets terminated if the pole falls on the last step.
            assert ep.truncated
        elif not env_end:
            # A finished episode shorter than the limit must have terminated.
            assert ep.terminated and not ep.truncated
    # Most 10-step episodes reach the limit without failing.
    assert (batch.truncated & ~batch.terminated).sum() > 5


def last_piece_flags(batch: Batch) -> list[bool]:
    """For each episode of episodes(batch), whether it is its env's last one."""
    return [is_last for is_last, _ in piece_flags(batch)]


def piece_flags(batch: Batch) -> list[tuple[bool, bool]]:
    """For each episode of episodes(batch): (its env's last one?, ended in batch?)."""
    flags = []
    for i in range(batch.num_envs):
        done = batch.done[batch.valid[:, i], i]
        num = int(done.sum()) + int(not done[-1])
        flags += [(k == num - 1, k < num - 1 or bool(done[-1])) for k in range(num)]
    return flags


@pytest.mark.parametrize("mode", MODES)
def test_determinism(mode: str) -> None:
    """Check the same seeds give identical batches and other seeds do not."""
    first, again = run(mode, seed=7), run(mode, seed=7)
    for name, arr in batch_arrays(first).items():
        np.testing.assert_array_equal(arr, getattr(again, name), err_msg=name)
    other = run(mode, seed=8)
    assert not np.array_equal(first.obs, other.obs)


def test_collect_continues_across_calls() -> None:
    """Check two collects of T steps equal one of 2T, across an episode boundary."""
    kwargs = {"num_envs": 3, "seed": 1, "vectorization": "sync", "max_episode_steps": 5}
    T = 11  # 5-step episodes plus one autoreset step: episodes end at t = 4, 10
    envs = make_vector_env("CartPole-v1", **kwargs)
    obs, _ = envs.reset()
    full, _ = collect(envs, random_policy(0), 2 * T, obs)

    envs = make_vector_env("CartPole-v1", **kwargs)
    obs, _ = envs.reset()
    policy_fn = random_policy(0)
    first, last_obs = collect(envs, policy_fn, T, obs)
    second, _ = collect(envs, policy_fn, T, last_obs)
    assert first.done[-1].any(), "the split must fall right after an episode end"
    for name, arr in batch_arrays(full).items():
        joined = np.concatenate([getattr(first, name), getattr(second, name)])
        np.testing.assert_array_equal(arr, joined, err_msg=name)
    assert not first.continued.any()
    np.testing.assert_array_equal(second.continued, ~first.done[-1])

    # After a reset, collect starts fresh episodes again.
    obs, _ = envs.reset()
    third, _ = collect(envs, policy_fn, T, obs)
    assert third.valid[0].all() and not third.continued.any()


def test_episodes_split_the_valid_steps() -> None:
    """Check episodes() covers each valid step once, in order, env by env."""
    envs = make_vector_env("CartPole-v1", num_envs=4, seed=2)
    obs, _ = envs.reset()
    policy_fn = random_policy(1)
    _, obs = collect(envs, policy_fn, 37, obs)
    batch, _ = collect(envs, policy_fn, 150, obs)
    eps = episodes(batch)
    assert sum(len(ep) for ep in eps) == batch.valid.sum()
    gathered = np.concatenate([ep.obs for ep in eps])
    expected = np.concatenate([batch.obs[batch.valid[:, i], i] for i in range(4)])
    np.testing.assert_array_equal(gathered, expected)
    for ep, is_last in zip(eps, last_piece_flags(batch), strict=True):
        # Only an env's last piece may still be running (flagged truncated).
        assert ep.terminated or ep.truncated
        if not is_last:
            assert ep.terminated
        np.testing.assert_array_equal(ep.rew, 1.0)
    # Pieces that began in the previous batch are marked.
    assert sum(not ep.from_start for ep in eps) == batch.continued.sum() > 0


def test_episode_returns() -> None:
    """Check returns are counted only for episodes that begin and end in the batch."""
    envs = make_vector_env("CartPole-v1", num_envs=4, seed=4)
    obs, _ = envs.reset()
    policy_fn = random_policy(2)
    _, obs = collect(envs, policy_fn, 29, obs)
    batch, _ = collect(envs, policy_fn, 200, obs)
    returns = episode_returns(batch)
    flags = piece_flags(batch)
    complete = [
        ep
        for ep, (_, ended) in zip(episodes(batch), flags, strict=True)
        if ended and ep.from_start
    ]
    assert returns.dtype == np.float64 and len(complete) > 5
    # CartPole pays 1 per step, so each return is the episode's length.
    np.testing.assert_array_equal(returns, [len(ep) for ep in complete])
    # Every episode end in the batch counts, except those of continued pieces.
    ended = batch.done & batch.valid
    assert len(returns) == ended.sum() - batch.continued.sum()


def test_same_step_autoreset_is_rejected() -> None:
    """Check collect refuses vector envs that do not use next-step autoreset."""
    envs = gym.make_vec(
        "CartPole-v1",
        num_envs=2,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
    )
    obs, _ = envs.reset(seed=0)
    with pytest.raises(ValueError, match="NextStep"):
        collect(envs, random_policy(0), 5, obs)


def test_make_vector_env_bad_mode() -> None:
    """Check an unknown vectorization mode is named in the error."""
    with pytest.raises(ValueError, match="'threads'"):
        make_vector_env(vectorization="threads")


# --- vector envs: whole episodes -------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_sample_episodes(mode: str) -> None:
    """Check sample_episodes returns whole episodes from reset to their end."""
    envs = make_vector_env("CartPole-v1", num_envs=4, seed=0, vectorization=mode)
    eps = sample_episodes(envs, random_policy(0), 10)
    assert len(eps) == 10
    for ep in eps:
        assert ep.from_start and (ep.terminated or ep.truncated)
        assert np.all(np.abs(ep.obs[0]) <= RESET_BOUND)
        assert ep.final_obs is not None and len(ep.obs) == len(ep.rew) >= 1
        if ep.terminated:
            x, theta = ep.final_obs[0], ep.final_obs[2]
            assert abs(x) > X_LIMIT or abs(theta) > THETA_LIMIT
    again = sample_episodes(
        make_vector_env("CartPole-v1", num_envs=4, seed=0, vectorization=mode),
        random_policy(0),
        10,
    )
    assert [len(ep) for ep in eps] == [len(ep) for ep in again]


def test_sample_episodes_keeps_time_limit_episodes() -> None:
    """Check episodes cut by the time limit are kept and flagged truncated."""
    envs = make_vector_env("CartPole-v1", num_envs=3, seed=0, max_episode_steps=10)
    eps = sample_episodes(envs, random_policy(0), 7, seed=5)
    assert len(eps) == 7 and any(ep.truncated for ep in eps)
    for ep in eps:
        assert len(ep) <= 10
        assert ep.truncated == (len(ep) == 10)
        assert ep.terminated or ep.truncated


def test_sample_episodes_needs_episodes_to_end() -> None:
    """Check an env whose episodes never end raises instead of looping forever."""
    envs = make_vector_env("CartPole-v1", num_envs=2, seed=0)
    with pytest.raises(RuntimeError, match="did not finish within 3"):
        sample_episodes(envs, random_policy(0), 2, max_steps=3)


# --- torch policies ---------------------------------------------------------------


class TinyCategorical(nn.Module):
    """Stand-in for a discrete torch policy: linear logits."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(4, 2)

    def dist(self, obs: torch.Tensor) -> Distribution:
        return Categorical(logits=self.net(obs))


class TinyGaussian(nn.Module):
    """Stand-in for a continuous torch policy: linear mean, fixed std."""

    def __init__(self, independent: bool) -> None:
        super().__init__()
        self.net = nn.Linear(3, 2)
        self.log_std = nn.Parameter(torch.tensor([-0.5, 0.3]))
        self.independent = independent

    def dist(self, obs: torch.Tensor) -> Distribution:
        normal = Normal(self.net(obs), self.log_std.exp())
        return Independent(normal, 1) if self.independent else normal


def test_torch_policy_fn_categorical() -> None:
    """Check actions and log-probabilities, and reproducibility with a generator."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        policy = TinyCategorical()
    obs = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)

    def sample(seed: int) -> tuple[np.ndarray, np.ndarray]:
        fn = torch_policy_fn(policy, "cpu", torch.Generator().manual_seed(seed))
        return fn(obs)

    act, logp = sample(1)
    assert act.shape == logp.shape == (64,) and act.dtype == np.int64
    expected = torch.log_softmax(policy.net(torch.as_tensor(obs)), dim=1)
    expected = expected.detach().numpy()[np.arange(64), act]
    np.testing.assert_allclose(logp, expected, rtol=1e-6)
    np.testing.assert_array_equal(sample(1)[0], act)
    assert not np.array_equal(sample(2)[0], act)


@pytest.mark.parametrize("independent", [False, True])
def test_torch_policy_fn_gaussian(independent: bool) -> None:
    """Check Gaussian samples: summed log-probabilities and the right mean."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        policy = TinyGaussian(independent)
    obs = np.zeros((4000, 3), dtype=np.float32)
    fn = torch_policy_fn(policy, generator=torch.Generator().manual_seed(0))
    act, logp = fn(obs)
    assert act.shape == (4000, 2) and logp.shape == (4000,)
    mean = policy.net.bias.detach().numpy()
    std = policy.log_std.exp().detach().numpy()
    expected = Normal(torch.as_tensor(mean), torch.as_tensor(std)).log_prob(
        torch.as_tensor(act)
    )
    np.testing.assert_allclose(logp, expected.sum(1).numpy(), rtol=1e-5)
    se = std / np.sqrt(len(act))
    assert np.all(np.abs(act.mean(0) - mean) <= 4 * se)


def test_torch_policy_fn_in_collect() -> None:
    """Check a wrapped torch policy drives collect and sample_episodes."""
    policy = TinyCategorical()
    envs = make_vector_env("CartPole-v1", num_envs=2, seed=0)
    fn = torch_policy_fn(policy, generator=torch.Generator().manual_seed(0))
    obs, _ = envs.reset()
    batch, _ = collect(envs, fn, 20, obs)
    assert batch.logp.dtype == np.float32 and np.all(batch.logp < 0)
    assert len(sample_episodes(envs, fn, 3)) == 3
