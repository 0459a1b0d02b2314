"""A real browser: headless Chromium opens lecture 01 in JupyterLab (`make lab`).

It runs the lecture's setup cell and a cell of its own, reads the output, checks that
nbgrader's Validate button is on the toolbar, and saves a screenshot to
test-artifacts/browser/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from autograder import course
from tests.conftest import REPO, start_lab, stop_lab

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts" / "browser"
LECTURE = "01_score_function"
# Flags for a sandboxed, offline, root-run headless Chromium.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture()
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is missing: `make test` installs Debian's chromium as root"
            )
        pytest.skip("no Chromium here (install Debian's `chromium` to run this test)")
    return CHROMIUM


def test_lecture_runs_in_jupyterlab(chromium: str, tmp_path: Path) -> None:
    """Check that a browser can open a lecture, run cells and see the Validate button"""
    from playwright.sync_api import expect, sync_playwright

    # Serve a copy, so that JupyterLab's autosave can never touch lectures/.
    shutil.copytree(course.LECTURES / LECTURE, tmp_path / LECTURE)
    proc, base = start_lab(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{LECTURE}.png"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=FLAGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/lab/tree/{LECTURE}/{LECTURE}.ipynb")
            news = page.get_by_role("button", name="No", exact=True)
            status = page.locator(".jp-StatusBar-Widget", has_text="Idle")
            expect(status.first).to_be_visible(timeout=120_000)
            expect(page.get_by_role("button", name="Validate")).to_be_visible()

            # Run the lecture's own setup cell (the first code cell).
            setup = page.locator(".jp-CodeCell").first
            setup.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            expect(setup.locator(".jp-InputPrompt")).to_have_text(
                "[1]:", timeout=120_000
            )
            assert (
                setup.locator(".jp-OutputArea-output[data-mime-type*='error']").count()
                == 0
            )

            # A cell of our own, below it: the kernel sees the course library.
            page.keyboard.press("Escape")
            page.keyboard.press("b")  # insert a cell below, in command mode
            page.keyboard.press("Enter")  # edit it
            page.keyboard.type("import shared.exact as ex; print('J =', ex.__name__)")
            page.keyboard.press("Shift+Enter")
            output = page.locator(".jp-OutputArea-output", has_text="J = shared.exact")
            expect(output).to_be_visible(timeout=60_000)
            if news.is_visible():  # the "Jupyter news?" toast would hide a corner
                news.click()
            page.screenshot(path=str(shot))
            browser.close()
    finally:
        stop_lab(proc)
    assert shot.stat().st_size > 10_000
