"""Unit tests for shared.policies: shapes, log-probabilities, seeding, device()."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.distributions import Normal

from shared.policies import (
    CategoricalPolicy,
    GaussianPolicy,
    ValueNet,
    device,
    mlp,
)

OBS_DIM, NUM_ACTIONS, ACT_DIM, BATCH = 4, 3, 2, 6


def params(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(
        torch.equal(x, y) for x, y in zip(a, b, strict=True)
    )


# ---------------------------------------------------------------- device()


@pytest.mark.parametrize("value", ["cpu", " CPU "])
def test_device_cpu_override(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """PGCOURSE_DEVICE=cpu forces the CPU (case and spaces ignored)."""
    monkeypatch.setenv("PGCOURSE_DEVICE", value)
    assert device() == torch.device("cpu")


@pytest.mark.parametrize("value", [None, "auto", ""])
def test_device_auto(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    """Unset, empty or 'auto' picks cuda exactly when it is available."""
    if value is None:
        monkeypatch.delenv("PGCOURSE_DEVICE", raising=False)
    else:
        monkeypatch.setenv("PGCOURSE_DEVICE", value)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device().type == expected


@pytest.mark.parametrize("value", ["gpu", "cuda0", "tpu", "cuda:x"])
def test_device_unknown_value(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """An unknown value is a ValueError that names the variable and the options."""
    monkeypatch.setenv("PGCOURSE_DEVICE", value)
    with pytest.raises(ValueError, match="PGCOURSE_DEVICE") as info:
        device()
    assert "'cpu'" in str(info.value) and "'auto'" in str(info.value)


@pytest.mark.parametrize("value", ["cuda", "cuda:0", "cuda:99"])
def test_device_cuda_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """cuda / cuda:N work with a GPU and explain themselves without one."""
    monkeypatch.setenv("PGCOURSE_DEVICE", value)
    if value == "cuda:99" or not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            device()
    else:
        assert device() == torch.device(value)


# ---------------------------------------------------------------- mlp


def test_mlp_structure() -> None:
    """mlp alternates Linear and activation, with the output activation last."""
    net = mlp([4, 8, 8, 2], activation=nn.ReLU, output_activation=nn.Sigmoid)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear, nn.Sigmoid]
    assert net(torch.zeros(5, 4)).shape == (5, 2)
    with pytest.raises(ValueError, match="at least"):
        mlp([4])


# ---------------------------------------------------------------- seeding


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: CategoricalPolicy(OBS_DIM, NUM_ACTIONS, seed=seed),
        lambda seed: GaussianPolicy(OBS_DIM, ACT_DIM, seed=seed),
        lambda seed: ValueNet(OBS_DIM, seed=seed),
    ],
    ids=["categorical", "gaussian", "value"],
)
def test_seeded_init_is_reproducible_and_private(make) -> None:  # type: ignore[no-untyped-def]
    """Same seed -> same parameters; different seed -> different; global RNG kept."""
    torch.manual_seed(1234)
    state = torch.get_rng_state()
    a, b, c = params(make(0)), params(make(0)), params(make(1))
    assert torch.equal(torch.get_rng_state(), state)
    assert same(a, b)
    assert not same(a, c)
    # seed=None draws fresh entropy, not from torch's global generator
    d, e = params(make(None)), params(make(None))
    assert torch.equal(torch.get_rng_state(), state)
    assert not same(d, e)


def test_policy_output_layer_is_small() -> None:
    """The last layer has gain 0.01 and zero bias, so pi_0 is nearly uniform."""
    policy = CategoricalPolicy(OBS_DIM, NUM_ACTIONS, seed=0)
    probs = policy.dist(torch.randn(100, OBS_DIM)).probs
    assert torch.allclose(probs, torch.full_like(probs, 1 / NUM_ACTIONS), atol=0.02)
    gaussian = GaussianPolicy(OBS_DIM, ACT_DIM, seed=0)
    assert gaussian(torch.randn(100, OBS_DIM)).abs().max() < 0.05


# ---------------------------------------------------------------- categorical


def test_categorical_shapes_and_logp() -> None:
    """act returns int actions and logp = dist.log_prob(act) for any batch shape."""
    policy = CategoricalPolicy(OBS_DIM, NUM_ACTIONS, hidden=(16,), seed=0)
    gen = torch.Generator().manual_seed(0)
    for batch_shape in [(), (BATCH,), (5, BATCH)]:
        obs = torch.randn(*batch_shape, OBS_DIM)
        assert policy(obs).shape == (*batch_shape, NUM_ACTIONS)
        act, logp = policy.act(obs, gen)
        assert act.shape == batch_shape and logp.shape == batch_shape
        assert act.dtype == torch.int64
        assert ((act >= 0) & (act < NUM_ACTIONS)).all()
        logits = policy(obs)
        expected = torch.log_softmax(logits, -1).gather(-1, act[..., None])[..., 0]
        assert torch.allclose(logp, expected, atol=1e-6)


def test_categorical_accepts_numpy_float64_obs() -> None:
    """NumPy float64 observations are converted to the parameters' dtype."""
    policy = CategoricalPolicy(OBS_DIM, NUM_ACTIONS, seed=0)
    assert policy(np.zeros((3, OBS_DIM))).dtype == torch.float32  # type: ignore[arg-type]


def test_categorical_sampling_follows_generator_and_probs() -> None:
    """Same generator seed -> same actions; frequencies match pi(a|s)."""
    policy = CategoricalPolicy(1, NUM_ACTIONS, hidden=(), seed=0)
    with torch.no_grad():
        last = policy.net[0]
        assert isinstance(last, nn.Linear)
        last.weight.zero_()
        last.bias.copy_(torch.log(torch.tensor([0.2, 0.3, 0.5])))
    obs = torch.zeros(20_000, 1)
    state = torch.get_rng_state()
    a1, _ = policy.act(obs, torch.Generator().manual_seed(3))
    a2, _ = policy.act(obs, torch.Generator().manual_seed(3))
    a3, _ = policy.act(obs, torch.Generator().manual_seed(4))
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a1, a2) and not torch.equal(a1, a3)
    freq = torch.bincount(a1, minlength=3).double() / len(a1)
    # 4 standard errors of a proportion with n = 20000
    assert torch.allclose(freq, torch.tensor([0.2, 0.3, 0.5]).double(), atol=0.015)


def test_categorical_logp_has_gradient() -> None:
    """logp from act keeps its graph (usable directly in a REINFORCE loss)."""
    policy = CategoricalPolicy(OBS_DIM, NUM_ACTIONS, seed=0)
    _, logp = policy.act(torch.randn(BATCH, OBS_DIM), torch.Generator())
    logp.sum().backward()
    assert all(p.grad is not None for p in policy.parameters())


# ---------------------------------------------------------------- gaussian


def test_gaussian_shapes_and_logp_sums_over_action_dims() -> None:
    """log pi(a|s) = sum_j log N(a_j; mu_j(s), sigma_j^2)."""
    policy = GaussianPolicy(OBS_DIM, ACT_DIM, hidden=(16,), log_std_init=-0.3, seed=0)
    gen = torch.Generator().manual_seed(0)
    for batch_shape in [(), (BATCH,), (5, BATCH)]:
        obs = torch.randn(*batch_shape, OBS_DIM)
        act, logp = policy.act(obs, gen)
        assert act.shape == (*batch_shape, ACT_DIM)
        assert logp.shape == batch_shape
        mean = policy(obs)
        std = torch.full_like(mean, math.exp(-0.3))
        per_dim = Normal(mean, std).log_prob(act)
        assert torch.allclose(logp, per_dim.sum(-1), atol=1e-5)
        assert torch.allclose(policy.dist(obs).log_prob(act), logp)


def test_gaussian_sampling_is_reproducible_and_has_right_moments() -> None:
    """Same generator seed -> same actions; mean ~ mu(s), std ~ exp(log_std)."""
    policy = GaussianPolicy(OBS_DIM, ACT_DIM, log_std_init=0.5, seed=0)
    obs = torch.zeros(20_000, OBS_DIM)
    with torch.no_grad():
        a1, _ = policy.act(obs, torch.Generator().manual_seed(7))
        a2, _ = policy.act(obs, torch.Generator().manual_seed(7))
        mu = policy(obs[:1])[0]
    assert torch.equal(a1, a2)
    assert not a1.requires_grad
    assert torch.allclose(a1.mean(0), mu, atol=0.05)
    assert torch.allclose(a1.std(0), torch.full((ACT_DIM,), math.exp(0.5)), atol=0.05)


def test_gaussian_log_std_is_a_state_independent_parameter() -> None:
    """log_std is one trainable vector of length act_dim."""
    policy = GaussianPolicy(OBS_DIM, ACT_DIM, seed=0)
    assert isinstance(policy.log_std, nn.Parameter)
    assert policy.log_std.shape == (ACT_DIM,)
    _, logp = policy.act(torch.randn(BATCH, OBS_DIM), torch.Generator())
    logp.sum().backward()
    assert policy.log_std.grad is not None


# ---------------------------------------------------------------- value net


def test_value_net_returns_batch_shape() -> None:
    """V(s) has shape (batch,), not (batch, 1)."""
    value = ValueNet(OBS_DIM, hidden=(8, 8), seed=0)
    assert value(torch.randn(BATCH, OBS_DIM)).shape == (BATCH,)
    assert value(torch.randn(5, BATCH, OBS_DIM)).shape == (5, BATCH)
    assert value(torch.randn(OBS_DIM)).shape == ()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_policies_on_cuda() -> None:
    """Modules move to the GPU and sample with a CUDA generator."""
    dev = torch.device("cuda")
    policy = CategoricalPolicy(OBS_DIM, NUM_ACTIONS, seed=0).to(dev)
    gaussian = GaussianPolicy(OBS_DIM, ACT_DIM, seed=0).to(dev)
    gen = torch.Generator(device=dev).manual_seed(0)
    obs = torch.randn(BATCH, OBS_DIM, device=dev)
    act, logp = policy.act(obs, gen)
    assert act.device.type == "cuda" and logp.shape == (BATCH,)
    act, logp = gaussian.act(obs, gen)
    assert act.shape == (BATCH, ACT_DIM) and logp.device.type == "cuda"
    assert ValueNet(OBS_DIM, seed=0).to(dev)(obs).shape == (BATCH,)
