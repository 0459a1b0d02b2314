"""Small torch policies and value networks (lectures 01-06).

Every constructor takes `seed`: the initial parameters depend on it alone, and
building a network never changes torch's global random state. Sampling takes an
explicit `torch.Generator`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from torch.distributions import Categorical, Independent, Normal

__all__ = [
    "CategoricalPolicy",
    "GaussianPolicy",
    "ValueNet",
    "device",
    "mlp",
]

DEVICE_ENV_VAR = "PGCOURSE_DEVICE"

# Gain of the orthogonal init of a policy's output layer: tiny logits / means, so
# the initial policy is close to uniform (categorical) or centred on 0 (Gaussian).
POLICY_OUTPUT_GAIN = 0.01


def device() -> torch.device:
    """Torch device for the course: cuda if available, else cpu (lectures 01-06).

    The environment variable PGCOURSE_DEVICE overrides: "auto" (default), "cpu",
    "cuda" or "cuda:<index>".
    """
    value = os.environ.get(DEVICE_ENV_VAR, "auto").strip().lower()
    if value in ("", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if value == "cpu":
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", value)
    if match is None:
        raise ValueError(
            f"{DEVICE_ENV_VAR}={value!r} is not a known device; use 'auto', 'cpu', "
            "'cuda' or 'cuda:<index>' (e.g. 'cuda:0'), or unset it."
        )
    if not torch.cuda.is_available():
        raise ValueError(
            f"{DEVICE_ENV_VAR}={value!r} asks for a GPU, but torch sees no CUDA "
            "device here; use 'cpu' or 'auto'."
        )
    index = int(match.group(1) or 0)
    if index >= torch.cuda.device_count():
        raise ValueError(
            f"{DEVICE_ENV_VAR}={value!r}: there are only "
            f"{torch.cuda.device_count()} CUDA device(s) (indices from 0)."
        )
    return torch.device(value)


def mlp(
    sizes: Sequence[int],
    activation: type[nn.Module] = nn.Tanh,
    output_activation: type[nn.Module] = nn.Identity,
) -> nn.Sequential:
    """Multi-layer perceptron with layer widths `sizes` (lectures 01-06)."""
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least (in, out) sizes, got {tuple(sizes)}.")
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        act = activation if i < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[i], sizes[i + 1]), act()]
    return nn.Sequential(*layers)


def _fresh_seed() -> int:
    # seed=None: new entropy from the OS (not from torch's global generator)
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)


def _build_mlp(
    sizes: Sequence[int],
    activation: type[nn.Module],
    seed: int | None,
    output_gain: float | None,
) -> nn.Sequential:
    """Build an mlp whose initial parameters depend only on `seed`."""
    # fork_rng saves the CPU generator and restores it on exit, so seeding inside
    # leaves the caller's global RNG state untouched. Layers are built on the CPU,
    # so only the CPU generator is used and no CUDA state needs forking.
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(_fresh_seed() if seed is None else seed)
        net = mlp(sizes, activation)
        if output_gain is not None:
            last = net[-2]
            assert isinstance(last, nn.Linear)
            nn.init.orthogonal_(last.weight, gain=output_gain)
            nn.init.zeros_(last.bias)
    return net


def _as_obs(obs: torch.Tensor | ArrayLike, like: torch.Tensor) -> torch.Tensor:
    """obs as a tensor with the dtype and device of the parameter `like`."""
    return torch.as_tensor(obs, dtype=like.dtype, device=like.device)


class CategoricalPolicy(nn.Module):
    """pi(a|s) = softmax(logits(s))_a for discrete actions (lectures 01-06)."""

    def __init__(
        self,
        obs_dim: int,
        num_actions: int,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: type[nn.Module] = nn.Tanh,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.obs_dim = obs_dim
        self.num_actions = num_actions
        sizes = [obs_dim, *hidden, num_actions]
        self.net = _build_mlp(sizes, activation, seed, POLICY_OUTPUT_GAIN)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Logits (..., num_actions) of observations (..., obs_dim) (lectures 01-06)."""
        out: torch.Tensor = self.net(_as_obs(obs, next(self.parameters())))
        return out

    def dist(self, obs: torch.Tensor) -> Categorical:
        """The distribution pi(.|s) for a batch of observations (lectures 01-06)."""
        return Categorical(logits=self(obs))

    def act(
        self, obs: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample a ~ pi(.|s) and return (act, logp) (lectures 01-06).

        obs: (..., obs_dim); act and logp: (...), act of dtype int64.

        generator: torch.Generator on the policy's device (None: torch's global one).
        logp keeps its graph, so it can be used in a loss; wrap the call in
        torch.no_grad() when only collecting data.
        """
        dist = self.dist(obs)
        probs = dist.probs.reshape(-1, self.num_actions)
        # multinomial draws one index per row with probability pi(a|s)
        flat = torch.multinomial(probs, 1, generator=generator)
        act = flat.reshape(dist.batch_shape)
        return act, dist.log_prob(act)


class GaussianPolicy(nn.Module):
    """pi(a|s) = N(mu(s), diag(sigma^2)), sigma state-independent (lectures 01-06)."""

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: type[nn.Module] = nn.Tanh,
        log_std_init: float = -0.5,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.obs_dim = obs_dim
        self.act_dim = act_dim
        sizes = [obs_dim, *hidden, act_dim]
        self.mean_net = _build_mlp(sizes, activation, seed, POLICY_OUTPUT_GAIN)
        # log sigma is a free parameter shared by all states
        self.log_std = nn.Parameter(torch.full((act_dim,), float(log_std_init)))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Mean action mu(s), shape (..., act_dim) (lectures 01-06)."""
        out: torch.Tensor = self.mean_net(_as_obs(obs, self.log_std))
        return out

    def dist(self, obs: torch.Tensor) -> Independent:
        """pi(.|s) whose log_prob sums over action dimensions (lectures 01-06)."""
        mean = self(obs)
        # Independent(..., 1): log pi(a|s) = sum_j log N(a_j; mu_j(s), sigma_j^2)
        return Independent(Normal(mean, self.log_std.exp().expand_as(mean)), 1)

    def act(
        self, obs: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample a ~ pi(.|s); return (act (..., act_dim), logp (...)) (lectures 01-06).

        generator: torch.Generator on the policy's device (None: torch's global one).
        """
        dist = self.dist(obs)
        mean = dist.mean
        noise = torch.randn(
            mean.shape, generator=generator, dtype=mean.dtype, device=mean.device
        )
        # reparameterised sample a = mu(s) + sigma * eps, eps ~ N(0, I); the sample
        # itself carries no gradient (score-function estimators use logp only)
        act = (mean + self.log_std.exp() * noise).detach()
        return act, dist.log_prob(act)


class ValueNet(nn.Module):
    """State-value estimate V(s) (lectures 01-06)."""

    def __init__(
        self,
        obs_dim: int,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: type[nn.Module] = nn.Tanh,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.obs_dim = obs_dim
        self.net = _build_mlp([obs_dim, *hidden, 1], activation, seed, None)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """V(s) of shape obs.shape[:-1], e.g. (batch,) (lectures 01-06)."""
        out: torch.Tensor = self.net(_as_obs(obs, next(self.parameters())))
        return out.squeeze(-1)
