"""shared.widgets: sliders with a front end, one static figure without."""

from __future__ import annotations

from typing import Any

import ipywidgets
import pytest

from shared import widgets


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in widgets.HEADLESS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", widgets.HEADLESS_ENV)
def test_headless_draws_once_with_starting_values(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Check that grading/CI draws the figure once with each slider's start value"""
    _clear(monkeypatch)
    monkeypatch.setenv(name, "1")
    calls: list[dict[str, Any]] = []
    widgets.interact(
        lambda **kw: calls.append(kw),
        eps=ipywidgets.FloatSlider(value=0.2, min=0.0, max=1.0),
        horizon=10,
    )
    assert calls == [{"eps": 0.2, "horizon": 10}]


def test_front_end_gets_ipywidgets_interact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that with a front end the controls go to ipywidgets.interact"""
    _clear(monkeypatch)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(ipywidgets, "interact", lambda fn, **kw: seen.update(kw))
    slider = ipywidgets.IntSlider(value=3)
    widgets.interact(lambda **kw: None, horizon=slider)
    assert seen == {"horizon": slider} and not widgets.headless()
