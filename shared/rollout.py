"""Rollouts: episodes sampled from tabular MDPs and batches from gymnasium vector envs.

Gymnasium 1.x vector envs reset finished sub-environments with the "next step"
autoreset rule: when step t ends an episode in env i (terminated or truncated),
step t returns the true final observation, and the following call to step()
ignores env i's action and returns its reset observation with reward 0 and both
flags False. That following step is not a transition; Batch marks it invalid.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from numpy.typing import ArrayLike, NDArray

from shared.mdp import TabularMDP

if TYPE_CHECKING:
    import torch

# obs (N, *obs_shape) -> (act (N, *act_shape), logp (N,)), all numpy arrays.
PolicyFn = Callable[[NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]


@dataclass(kw_only=True)
class Episode:
    """One episode, or the piece of one inside a batch (lectures 01-06).

    Symbol      Shape            Description
    obs         (L, *obs_shape)  observation at each step where an action was taken
    act         (L, *act_shape)  action taken at each step
    rew         (L,)             reward received after each action
    logp        (L,)             log pi(act[t] | obs[t]) under the sampling policy
    terminated  bool             ended in a terminal state: later rewards are 0
    truncated   bool             cut off (time limit or end of the batch): if not
                                 also terminated, bootstrap from V(final_obs)
    final_obs   (*obs_shape)     observation after the last action (None: unknown)
    from_start  bool             obs[0] is the first observation of the episode
                                 (False for a piece that began in an earlier batch)
    """

    obs: NDArray[Any]
    act: NDArray[Any]
    rew: NDArray[np.float64]
    logp: NDArray[Any]
    terminated: bool
    truncated: bool
    final_obs: NDArray[Any] | None = None
    from_start: bool = True

    def __len__(self) -> int:
        return int(self.rew.shape[0])

    def discounted_return(self, gamma: float = 1.0) -> float:
        """G_0 = sum_t gamma^t r_t of this episode (lectures 01, 02)."""
        return float(np.sum(self.rew * gamma ** np.arange(len(self))))


@dataclass(kw_only=True)
class Batch:
    """T steps of N parallel environments, time-major (lectures 03-06).

    Symbol      Shape               Description
    obs         (T, N, *obs_shape)  observation the action was chosen from
    act         (T, N, *act_shape)  action passed to the env
    rew         (T, N)              reward (0 on autoreset steps)
    terminated  (T, N) bool         the episode reached a terminal state
    truncated   (T, N) bool         the episode was cut off by a time limit (both
                                    flags can be set; terminated wins: no bootstrap)
    logp        (T, N)              log pi(act | obs) under the sampling policy
    next_obs    (T, N, *obs_shape)  true next observation: on a terminated or
                                    truncated step, the episode's final
                                    observation (not the reset one)
    valid       (T, N) bool         False on autoreset steps (no transition)
    continued   (N,) bool or None   env i's first step continues an episode
                                    from the previous batch (None: none does)
    """

    obs: NDArray[Any]
    act: NDArray[Any]
    rew: NDArray[np.float64]
    terminated: NDArray[np.bool_]
    truncated: NDArray[np.bool_]
    logp: NDArray[Any]
    next_obs: NDArray[Any]
    valid: NDArray[np.bool_]
    continued: NDArray[np.bool_] | None = None

    @property
    def done(self) -> NDArray[np.bool_]:
        """done = terminated | truncated, shape (T, N) (lectures 03-06)."""
        return self.terminated | self.truncated

    @property
    def num_steps(self) -> int:
        """T, the number of vector steps (lectures 03-06)."""
        return int(self.rew.shape[0])

    @property
    def num_envs(self) -> int:
        """N, the number of parallel environments (lectures 03-06)."""
        return int(self.rew.shape[1])


# ---------------------------------------------------------------------------
# Tabular MDPs


def sample_tabular(
    mdp: TabularMDP,
    pi: ArrayLike,
    num_episodes: int,
    rng: np.random.Generator,
    max_steps: int = 1000,
) -> list[Episode]:
    """Sample episodes s_0 ~ mu0, a_t ~ pi(.|s_t), s_{t+1} ~ P(.|s_t, a_t) (lec. 01-03).

    Symbol  Shape   Description
    pi      (S, A)  pi[s, a] = pi(a | s)

    Rewards are the expected rewards R[s, a]. An episode is terminated when it
    enters a terminal state and truncated after max_steps actions; obs holds the
    states where actions were taken and final_obs the state after the last one.
    All episodes are simulated together, one vectorised step at a time.
    """
    pi_arr = np.asarray(pi, dtype=np.float64)
    shape = (mdp.num_states, mdp.num_actions)
    if pi_arr.shape != shape:
        raise ValueError(f"pi must have shape (S, A) = {shape}; got {pi_arr.shape}.")
    if num_episodes < 0 or max_steps < 0:
        raise ValueError("num_episodes and max_steps must be >= 0.")
    pi_cdf = _cdf(pi_arr)
    P_cdf = _cdf(mdp.P)

    state = _sample_rows(np.broadcast_to(_cdf(mdp.mu0), (num_episodes, shape[0])), rng)
    alive = ~mdp.terminal[state]
    ids, states, acts = [], [], []
    for _ in range(max_steps):
        live = np.flatnonzero(alive)
        if live.size == 0:
            break
        s = state[live]
        a = _sample_rows(pi_cdf[s], rng)
        s_next = _sample_rows(P_cdf[s, a], rng)
        ids.append(live)
        states.append(s)
        acts.append(a)
        state[live] = s_next
        alive[live] = ~mdp.terminal[s_next]

    # Regroup the time-major records by episode; a stable sort keeps time order.
    empty = np.zeros(0, dtype=np.int64)
    all_ids = np.concatenate(ids) if ids else empty
    order = np.argsort(all_ids, kind="stable")
    all_s = (np.concatenate(states) if states else empty)[order]
    all_a = (np.concatenate(acts) if acts else empty)[order]
    all_r = mdp.R[all_s, all_a]
    with np.errstate(divide="ignore"):
        all_logp = np.log(pi_arr[all_s, all_a])
    # Episode e's steps are entries offsets[e] to offsets[e + 1] - 1.
    offsets = np.zeros(num_episodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_ids, minlength=num_episodes), out=offsets[1:])
    return [
        Episode(
            obs=all_s[lo:hi],
            act=all_a[lo:hi],
            rew=all_r[lo:hi],
            logp=all_logp[lo:hi],
            terminated=bool(mdp.terminal[state[e]]),
            truncated=bool(alive[e]),
            final_obs=np.asarray(state[e]),
        )
        for e, (lo, hi) in enumerate(zip(offsets[:-1], offsets[1:], strict=True))
    ]


def _cdf(probs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative sums over the last axis, with the last entry set to exactly 1."""
    cdf = np.cumsum(probs, axis=-1)
    cdf /= cdf[..., -1:]
    cdf[..., -1] = 1.0
    return cdf


def _sample_rows(
    cdf: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.int64]:
    """One index per row of cdf (n, K) by inverse-CDF sampling."""
    # The sample is the number of cdf entries <= u for u ~ U[0, 1): index k has
    # probability cdf[k] - cdf[k - 1], and zero-probability indices are skipped.
    u = rng.random((cdf.shape[0],))
    return (u[:, None] >= cdf).sum(axis=1).astype(np.int64)


# ---------------------------------------------------------------------------
# Gymnasium vector envs


def make_vector_env(
    env_id: str = "CartPole-v1",
    num_envs: int = 4,
    seed: int = 0,
    vectorization: str = "sync",
    **kwargs: Any,
) -> gym.vector.VectorEnv:
    """Make a seeded gymnasium vector env with next-step autoreset (lectures 03-06).

    vectorization: "sync" (one process), "async" (one process per env) or
    "vector" (the env's own batched implementation, e.g. for CartPole-v1).
    Extra keyword arguments go to gymnasium.make_vec (e.g. max_episode_steps=10).
    The env is reset with ``seed``; call ``obs, _ = envs.reset()`` to start.
    """
    modes = {
        "sync": gym.VectorizeMode.SYNC,
        "async": gym.VectorizeMode.ASYNC,
        "vector": gym.VectorizeMode.VECTOR_ENTRY_POINT,
    }
    if vectorization not in modes:
        raise ValueError(
            f"vectorization must be one of {sorted(modes)}; got {vectorization!r}."
        )
    envs = gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode=modes[vectorization], **kwargs
    )
    _check_autoreset(envs)
    envs.reset(seed=seed)
    envs.action_space.seed(seed)
    return envs


# Where collect() stopped on each vector env: (last_obs, ended), where ended[i]
# says env i's next step is an autoreset step. Weak keys: envs can be freed.
_resume: weakref.WeakKeyDictionary[Any, tuple[NDArray[Any], NDArray[np.bool_]]] = (
    weakref.WeakKeyDictionary()
)


def collect(
    envs: gym.vector.VectorEnv,
    policy_fn: PolicyFn,
    num_steps: int,
    obs: NDArray[Any],
) -> tuple[Batch, NDArray[Any]]:
    """Step a vector env num_steps times; return (Batch, last_obs) (lectures 03-06).

    Symbol     Shape            Description
    policy_fn  obs -> act, logp (N, *obs_shape) -> (N, *act_shape), (N,)
    obs        (N, *obs_shape)  from envs.reset(), or last_obs of the previous call

    Pass last_obs back in to continue where the previous call stopped: collect
    remembers which envs ended an episode on the final step, so their next step
    is marked as an autoreset step. Observations from envs.reset() start fresh.
    """
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1; got {num_steps}.")
    _check_autoreset(envs)
    obs = np.asarray(obs)
    ended = np.zeros(obs.shape[0], dtype=np.bool_)
    continued = np.zeros(obs.shape[0], dtype=np.bool_)
    previous = _resume.get(envs)
    if previous is not None and _same_obs(obs, previous[0]):
        ended = previous[1]
        continued = ~ended
    batch, last_obs, ended = _rollout(envs, policy_fn, obs, ended, num_steps, None)
    batch.continued = continued
    _resume[envs] = (last_obs, ended)
    return batch, last_obs


def sample_episodes(
    envs: gym.vector.VectorEnv,
    policy_fn: PolicyFn,
    num_episodes: int,
    seed: int | None = None,
    max_steps: int = 100_000,
) -> list[Episode]:
    """Reset envs and run them until num_episodes complete episodes exist (lec. 02-04).

    Each env is given a fixed share of the episodes in advance (env i runs its
    first num_episodes // N episodes, the first num_episodes % N envs one more),
    so waiting for long episodes does not bias the sample towards short ones.
    Episodes cut by the env's time limit are kept, with truncated=True.
    ``seed`` is passed to envs.reset; max_steps bounds the number of vector steps.
    """
    if num_episodes < 1:
        raise ValueError(f"num_episodes must be >= 1; got {num_episodes}.")
    _check_autoreset(envs)
    obs, _ = envs.reset(seed=seed)
    _resume.pop(envs, None)
    num_envs = envs.num_envs
    quota = num_episodes // num_envs + (np.arange(num_envs) < num_episodes % num_envs)
    batch, _, _ = _rollout(
        envs,
        policy_fn,
        np.asarray(obs),
        np.zeros(num_envs, dtype=np.bool_),
        None,
        quota,
        max_steps,
    )
    per_env = _split(batch)
    return [ep for i in range(num_envs) for ep, _ in per_env[i][: quota[i]]]


def episodes(batch: Batch) -> list[Episode]:
    """Split a Batch into per-env episodes of valid steps, env by env (lectures 03-06).

    An episode still running at the end of the batch is returned with
    truncated=True (bootstrap from its final_obs); one that began before the
    batch has from_start=False. The lengths add up to batch.valid.sum().
    """
    return [ep for env_eps in _split(batch) for ep, _ in env_eps]


def episode_returns(batch: Batch) -> NDArray[np.float64]:
    """Undiscounted returns of episodes that begin and end in the batch (lec. 03-06)."""
    returns = [
        float(ep.rew.sum())
        for env_eps in _split(batch)
        for ep, ended in env_eps
        if ended and ep.from_start
    ]
    return np.array(returns, dtype=np.float64)


def torch_policy_fn(
    policy: torch.nn.Module,
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
) -> PolicyFn:
    """Wrap a torch policy with .dist(obs) as a numpy policy_fn (lectures 02-06).

    Sampling uses ``generator`` (it must live on ``device``; None uses torch's
    global generator). Supports Categorical, Normal and Independent(Normal)
    distributions; log-probabilities are summed over action dimensions.
    ``device`` defaults to the device of the policy's parameters.
    """
    import torch

    if device is None:
        param = next(policy.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
    dev = torch.device(device)
    dist_fn = cast(
        Callable[["torch.Tensor"], "torch.distributions.Distribution"], policy.dist
    )

    def policy_fn(obs: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
        with torch.inference_mode():
            obs_t = torch.as_tensor(obs, dtype=torch.float32, device=dev)
            dist = dist_fn(obs_t)
            act = _sample(dist, generator)
            logp = dist.log_prob(act)
            # log pi(a|s) = sum_j log pi(a_j|s) for independent action dimensions.
            if logp.dim() > 1:
                logp = logp.flatten(1).sum(1)
        return act.cpu().numpy(), logp.cpu().numpy()

    return policy_fn


def _sample(
    dist: torch.distributions.Distribution, generator: torch.Generator | None
) -> torch.Tensor:
    """Draw one sample from dist using an explicit generator."""
    import torch
    from torch.distributions import Categorical, Independent, Normal

    if generator is None:
        return dist.sample()
    if isinstance(dist, Independent):
        return _sample(dist.base_dist, generator)
    if isinstance(dist, Categorical):
        probs = dist.probs.reshape(-1, dist.probs.shape[-1])
        flat = torch.multinomial(probs, 1, generator=generator)
        return flat.reshape(dist.batch_shape)
    if isinstance(dist, Normal):
        noise = torch.randn(
            dist.batch_shape,
            generator=generator,
            dtype=dist.mean.dtype,
            device=dist.mean.device,
        )
        return dist.mean + dist.stddev * noise
    raise TypeError(
        f"cannot sample a {type(dist).__name__} with an explicit generator; "
        "supported: Categorical, Normal, Independent(Normal)."
    )


def _check_autoreset(envs: gym.vector.VectorEnv) -> None:
    """Raise ValueError unless envs uses next-step autoreset (gymnasium's default)."""
    mode = envs.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    if AutoresetMode(mode) != AutoresetMode.NEXT_STEP:
        raise ValueError(
            f"the vector env uses autoreset mode {AutoresetMode(mode).value!r}; "
            "collect and sample_episodes need 'NextStep' (gymnasium's default)."
        )


def _same_obs(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Whether a is (a copy of) the stored last observation b."""
    return a is b or (a.shape == b.shape and bool(np.array_equal(a, b)))


def _rollout(
    envs: gym.vector.VectorEnv,
    policy_fn: PolicyFn,
    obs: NDArray[Any],
    ended: NDArray[np.bool_],
    num_steps: int | None,
    quota: NDArray[np.int64] | None,
    max_steps: int = 100_000,
) -> tuple[Batch, NDArray[Any], NDArray[np.bool_]]:
    """Step envs num_steps times, or until env i has ended quota[i] episodes.

    ended[i] on entry says env i's first step is an autoreset step; the result
    is (batch, last observation, ended after the last step).
    """
    num_envs = obs.shape[0]
    capacity = num_steps if num_steps is not None else 256
    # obs_buf[t] is the observation at step t; obs_buf[t + 1] the one step t
    # returned, which with next-step autoreset is also the true next observation.
    obs_buf = np.empty((capacity + 1, *obs.shape), dtype=obs.dtype)
    obs_buf[0] = obs
    rew = np.empty((capacity, num_envs), dtype=np.float64)
    terminated = np.empty((capacity, num_envs), dtype=np.bool_)
    truncated = np.empty((capacity, num_envs), dtype=np.bool_)
    valid = np.empty((capacity, num_envs), dtype=np.bool_)
    act_buf: NDArray[Any] = np.empty(0)
    logp_buf: NDArray[Any] = np.empty(0)
    num_ended = np.zeros(num_envs, dtype=np.int64)

    t = 0
    while True:
        if num_steps is not None:
            if t == num_steps:
                break
        else:
            assert quota is not None
            if np.all(num_ended >= quota):
                break
            if t == max_steps:
                raise RuntimeError(
                    f"episodes did not finish within {max_steps} vector steps; "
                    "does the env have a time limit (max_episode_steps)?"
                )
            if t == capacity:
                # Double the buffers; amortised cost O(1) per step.
                obs_buf = _grow(obs_buf, 2 * capacity + 1)
                rew, terminated, truncated, valid, act_buf, logp_buf = (
                    _grow(x, 2 * capacity)
                    for x in (rew, terminated, truncated, valid, act_buf, logp_buf)
                )
                capacity *= 2

        act, logp = policy_fn(obs)
        act, logp = np.asarray(act), np.asarray(logp)
        if t == 0:
            act_buf = np.empty((capacity, *act.shape), dtype=act.dtype)
            logp_buf = np.empty((capacity, num_envs), dtype=logp.dtype)
        obs, r, term, trunc, _ = envs.step(act)
        obs_buf[t + 1] = obs
        act_buf[t] = act
        logp_buf[t] = logp
        rew[t] = r
        terminated[t] = term
        truncated[t] = trunc
        valid[t] = ~ended
        # Autoreset steps always report term = trunc = False, so this counts
        # each episode end exactly once.
        ended = np.logical_or(term, trunc)
        if quota is not None:
            num_ended += ended
        t += 1

    batch = Batch(
        obs=obs_buf[:t],
        act=act_buf[:t],
        rew=rew[:t],
        terminated=terminated[:t],
        truncated=truncated[:t],
        logp=logp_buf[:t],
        next_obs=obs_buf[1 : t + 1].copy(),
        valid=valid[:t],
    )
    return batch, obs_buf[t].copy(), ended


def _grow(arr: NDArray[Any], length: int) -> NDArray[Any]:
    """arr with its first axis extended to length (new entries uninitialised)."""
    out = np.empty((length, *arr.shape[1:]), dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out


def _split(batch: Batch) -> list[list[tuple[Episode, bool]]]:
    """Per env, (episode, ended in this batch) pairs of valid steps, in time order."""
    done = batch.done & batch.valid
    continued = (
        batch.continued
        if batch.continued is not None
        else np.zeros(batch.num_envs, dtype=np.bool_)
    )
    per_env: list[list[tuple[Episode, bool]]] = []
    for i in range(batch.num_envs):
        steps = np.flatnonzero(batch.valid[:, i])
        # An episode's valid steps are contiguous and its last one is done.
        pieces = np.split(steps, np.flatnonzero(done[steps, i]) + 1)
        env_eps = []
        for k, idx in enumerate(pieces):
            if idx.size == 0:
                continue
            last = idx[-1]
            ended = bool(done[last, i])
            episode = Episode(
                obs=batch.obs[idx, i],
                act=batch.act[idx, i],
                rew=batch.rew[idx, i],
                logp=batch.logp[idx, i],
                terminated=bool(batch.terminated[last, i]),
                truncated=bool(batch.truncated[last, i]) or not ended,
                final_obs=batch.next_obs[last, i],
                from_start=not (k == 0 and continued[i]),
            )
            env_eps.append((episode, ended))
        per_env.append(env_eps)
    return per_env
