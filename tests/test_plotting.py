"""Unit tests for shared.plotting: runs on Agg, returns Axes, validates inputs."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.quiver import Quiver  # noqa: E402

from shared import plotting  # noqa: E402
from shared.plotting import (  # noqa: E402
    FIGSIZE,
    PALETTE,
    estimator_histogram,
    gridworld_heatmap,
    learning_curves,
)


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def test_functions_never_call_show(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plots are returned, not shown (show would block or warn under Agg)."""

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", fail)
    learning_curves({"a": [([0, 1], [0.0, 1.0])]})
    estimator_histogram(np.arange(10.0), 4.5)
    gridworld_heatmap(np.zeros(4), (2, 2), np.full((4, 4), 0.25))


def test_global_rcparams_untouched() -> None:
    """The house style is applied in an rc_context only."""
    before = dict(mpl.rcParams)
    learning_curves({"a": [([0, 1], [0.0, 1.0])]})
    assert dict(mpl.rcParams) == before


# ---------------------------------------------------------------- learning curves


def test_learning_curves_mean_and_band() -> None:
    """One line and one shaded band per method, labelled axes, the house size."""
    steps = np.arange(0, 1000, 100)
    curves = {
        "REINFORCE": [(steps, steps * 0.1), (steps, steps * 0.3)],
        "PPO": [(steps, steps * 1.0), (steps, steps * 2.0), (steps, steps * 3.0)],
    }
    ax = learning_curves(curves)
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 2
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2
    assert ax.get_xlabel() == "environment steps"
    assert ax.get_ylabel() == "episode return"
    assert legend_texts(ax) == ["REINFORCE (2 seeds)", "PPO (3 seeds)"]
    assert tuple(ax.figure.get_size_inches()) == pytest.approx(FIGSIZE)
    # the line is the mean over seeds on the shared grid
    line = ax.get_lines()[1]
    np.testing.assert_allclose(line.get_xdata(), steps)
    np.testing.assert_allclose(line.get_ydata(), steps * 2.0)
    assert line.get_color() == PALETTE[1]


def test_learning_curves_band_width() -> None:
    """band='std' spans +- one sample std; 'ci95' spans +- 1.96 std / sqrt(n)."""
    steps = np.array([0.0, 1.0])
    curves = {"a": [(steps, np.array([0.0, 0.0])), (steps, np.array([2.0, 2.0]))]}
    for band, half in [
        ("std", np.sqrt(2.0)),
        ("ci95", 1.959964 * np.sqrt(2) / np.sqrt(2)),
    ]:
        ax = learning_curves(curves, band=band)  # type: ignore[arg-type]
        (poly,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
        ys = poly.get_paths()[0].vertices[:, 1]
        assert ys.max() == pytest.approx(1.0 + half, rel=1e-5)
        assert ys.min() == pytest.approx(1.0 - half, rel=1e-5)


def test_learning_curves_interpolates_different_grids() -> None:
    """Seeds logged at different steps are averaged on their common range."""
    a = (np.array([0.0, 10.0, 20.0]), np.array([0.0, 10.0, 20.0]))
    b = (np.array([5.0, 15.0, 30.0]), np.array([10.0, 20.0, 35.0]))
    ax = learning_curves({"m": [a, b]}, num_points=4, title="T")
    line = ax.get_lines()[0]
    x = np.asarray(line.get_xdata(), dtype=float)
    np.testing.assert_allclose(x, [5.0, 10.0, 15.0, 20.0])
    # seed a: y = x; seed b: y = x + 5 on [5, 15], then slope 1.5
    expected = (x + np.interp(x, b[0], b[1])) / 2
    np.testing.assert_allclose(line.get_ydata(), expected)
    assert ax.get_title() == "T"


def test_learning_curves_single_seed_has_no_band_and_draws_on_given_ax() -> None:
    """With one seed only the line is drawn; a passed ax is reused."""
    _, ax = plt.subplots()
    out = learning_curves({"a": [([0, 1, 2], [1.0, 2.0, 3.0])]}, ax=ax)
    assert out is ax
    assert len(ax.get_lines()) == 1 and len(ax.collections) == 0


@pytest.mark.parametrize(
    ("curves", "match"),
    [
        ({}, "non-empty dict"),
        ({"a": []}, "no seeds"),
        ({"a": ([0, 1, 2], [1.0, 2.0, 3.0])}, "single .steps, returns. pair"),
        ({"a": [([0, 1, 2], [1.0, 2.0])]}, r"shape \(3,\) but returns has shape"),
        ({"a": [([0, 2, 1], [1.0, 2.0, 3.0])]}, "strictly increasing"),
        ({"a": [([0, 1], [1.0, np.nan])]}, "NaN"),
        ({"a": [([], [])]}, "empty"),
        ({"a": [([[0, 1]], [[1.0, 2.0]])]}, "must be 1-D"),
        ({"a": [([0, 1, 2],)]}, r"pair, got 1 items"),
        ({"a": [([0, 1], [0.0, 1.0]), ([5, 6], [0.0, 1.0])]}, "no common range"),
    ],
)
def test_learning_curves_bad_input(curves: object, match: str) -> None:
    """Malformed curves raise ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=match):
        learning_curves(curves)  # type: ignore[arg-type]


def test_learning_curves_bad_band() -> None:
    """An unknown band is rejected."""
    with pytest.raises(ValueError, match="band"):
        learning_curves({"a": [([0, 1], [0.0, 1.0])]}, band="iqr")  # type: ignore[arg-type]


# ---------------------------------------------------------------- histogram


def test_estimator_histogram() -> None:
    """Histogram + mean line + true-value line, with a legend."""
    rng = np.random.default_rng(0)
    samples = rng.normal(2.0, 1.0, size=400)
    ax = estimator_histogram(samples, 2.0, label="REINFORCE")
    assert isinstance(ax, Axes)
    assert len(ax.patches) >= 1
    lines = ax.get_lines()
    assert [ln.get_gid() for ln in lines] == ["sample_mean", "true_value"]
    assert lines[0].get_xdata()[0] == pytest.approx(samples.mean())
    texts = legend_texts(ax)
    assert texts[0] == "REINFORCE (N=400)"
    assert texts[2] == "true value 2"
    assert ax.get_ylabel() == "density" and ax.get_xlabel() == "estimate"


def test_estimator_histogram_component_and_overlay() -> None:
    """(N, D) samples pick a component; a second call overlays without a 2nd truth."""
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(200, 3))
    ax = estimator_histogram(samples, [0.0, 5.0, 0.0], component=1, label="a")
    estimator_histogram(samples * 0.5, [0.0, 5.0, 0.0], ax=ax, component=1, label="b")
    gids = [ln.get_gid() for ln in ax.get_lines()]
    assert gids.count("true_value") == 1 and gids.count("sample_mean") == 2
    assert ax.get_lines()[1].get_xdata()[0] == pytest.approx(5.0)
    colours = [ln.get_color() for ln in ax.get_lines() if ln.get_gid() == "sample_mean"]
    assert colours == PALETTE[:2]
    assert ax.get_xlabel() == "estimate (component 1)"


def test_estimator_histogram_without_truth() -> None:
    """true_value=None draws no truth line."""
    ax = estimator_histogram(np.arange(5.0), None)
    assert [ln.get_gid() for ln in ax.get_lines()] == ["sample_mean"]


@pytest.mark.parametrize(
    ("samples", "true_value", "kwargs", "match"),
    [
        (np.zeros(0), 1.0, {}, r"shape \(N,\) or \(N, D\)"),
        (np.zeros((2, 2, 2)), 1.0, {}, r"shape \(N,\) or \(N, D\)"),
        (np.zeros((5, 2)), 1.0, {"component": 2}, "out of range"),
        (np.array([1.0, np.nan]), 1.0, {}, "1 NaN/inf"),
        (np.zeros((5, 2)), [1.0, 2.0, 3.0], {}, r"true_value has shape \(3,\)"),
    ],
)
def test_estimator_histogram_bad_input(
    samples: np.ndarray, true_value: object, kwargs: dict[str, int], match: str
) -> None:
    """Malformed samples or true values raise ValueError."""
    with pytest.raises(ValueError, match=match):
        estimator_histogram(samples, true_value, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- gridworld


def quivers(ax: Axes) -> list[Quiver]:
    return [c for c in ax.collections if isinstance(c, Quiver)]


def test_gridworld_heatmap_values_and_colourbar() -> None:
    """One image with the values in grid layout, a colourbar, no arrows by default."""
    values = np.arange(6.0)
    ax = gridworld_heatmap(values, (2, 3), title="V")
    assert isinstance(ax, Axes)
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), values.reshape(2, 3))
    assert len(ax.figure.axes) == 2  # the heatmap and its colourbar
    assert not quivers(ax)
    assert ax.get_title() == "V"
    assert len(ax.texts) == 6 and ax.texts[4].get_text() == "4.00"


def test_gridworld_heatmap_argmax_arrows_point_the_right_way() -> None:
    """Arrow (u, v) in image coordinates follows ACTION_DELTAS; ties all drawn."""
    pi = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],  # up: row - 1 -> v < 0 (rows grow downward)
            [0.0, 1.0, 0.0, 0.0],  # right: u > 0
            [0.0, 0.0, 1.0, 0.0],  # down: v > 0
            [0.5, 0.0, 0.0, 0.5],  # tie between up and left: two arrows
        ]
    )
    ax = gridworld_heatmap(np.zeros(4), (2, 2), pi, annotate=False)
    (quiver,) = quivers(ax)
    u, v = np.asarray(quiver.U), np.asarray(quiver.V)
    assert len(u) == 5
    assert (u[0], v[0]) == (0.0, pytest.approx(-0.4))
    assert (u[1], v[1]) == (pytest.approx(0.4), 0.0)
    assert (u[2], v[2]) == (0.0, pytest.approx(0.4))
    assert {(u[3], v[3]), (u[4], v[4])} == {(0.0, -0.4), (-0.4, 0.0)}
    assert not ax.texts


def test_gridworld_heatmap_prob_arrows_and_terminal() -> None:
    """arrows='prob' scales length by pi(a|s); terminal states get no arrows."""
    pi = np.tile([0.1, 0.2, 0.3, 0.4], (4, 1))
    terminal = np.array([False, False, False, True])
    ax = gridworld_heatmap(np.zeros(4), (2, 2), pi, arrows="prob", terminal=terminal)
    (quiver,) = quivers(ax)
    lengths = np.hypot(np.asarray(quiver.U), np.asarray(quiver.V))
    assert len(lengths) == 12
    np.testing.assert_allclose(lengths[:4], 0.45 * pi[0])


@pytest.mark.parametrize(
    ("values", "policy", "kwargs", "match"),
    [
        (np.zeros(5), None, {}, "needs 6 states"),
        (np.zeros(6), np.zeros((6, 3)), {}, r"expected \(6, 4\)"),
        (np.zeros(6), np.zeros((6, 4)), {"arrows": "all"}, "arrows must be"),
        (np.zeros(6), None, {"terminal": np.zeros(5)}, r"terminal has shape \(5,\)"),
    ],
)
def test_gridworld_heatmap_bad_input(
    values: np.ndarray, policy: np.ndarray | None, kwargs: dict[str, object], match: str
) -> None:
    """Shapes that do not fit the grid raise ValueError."""
    with pytest.raises(ValueError, match=match):
        gridworld_heatmap(values, (2, 3), policy, **kwargs)  # type: ignore[arg-type]


def test_style_helpers() -> None:
    """style() is temporary; apply_style() sets the defaults."""
    original = mpl.rcParams["axes.spines.top"]
    try:
        with plotting.style():
            assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["axes.spines.top"] == original
        plotting.apply_style()
        assert tuple(mpl.rcParams["figure.figsize"]) == FIGSIZE
    finally:
        mpl.rcdefaults()
