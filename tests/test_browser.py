"""A real browser: headless Chromium in JupyterLab (`make lab`).

It opens lecture 01, runs its Colab install cell (which must do nothing here), its
setup cell and a cell of its own, reads the output and checks that nbgrader's
Validate button is on the toolbar. Then it opens nbgrader's formgrader on the
repository root (`make lab LAB_DIR=.`, as instructors do) and checks that it lists
every lecture. Screenshots go to test-artifacts/browser/.
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

            # Run the Colab install cell, then the lecture's setup cell: the first
            # two code cells. `shared` is importable here, so the first prints nothing.
            code_cells = page.locator(".jp-CodeCell")
            install, setup = code_cells.nth(0), code_cells.nth(1)
            for count, cell in enumerate((install, setup), start=1):
                cell.locator(".jp-InputArea-editor").click()
                page.keyboard.press("Shift+Enter")
                expect(cell.locator(".jp-InputPrompt")).to_have_text(
                    f"[{count}]:", timeout=120_000
                )
                errors = cell.locator(".jp-OutputArea-output[data-mime-type*='error']")
                assert errors.count() == 0
            assert install.locator(".jp-OutputArea-output").count() == 0

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


def test_formgrader_lists_the_lectures(chromium: str, tmp_path: Path) -> None:
    """Check that the formgrader, served from the repository root, lists each lecture"""
    from playwright.sync_api import expect, sync_playwright

    before = {p.name for p in REPO.iterdir()}
    # LAB_DIR=. as in the README; the gradebook goes to a scratch folder, so that the
    # test neither creates nor touches an instructor's gradebook.db in the checkout
    gradebook = tmp_path / "gradebook.db"
    proc, base = start_lab(
        Path("."), lab_args=f"--CourseDirectory.db_url=sqlite:///{gradebook}"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "formgrader.png"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=FLAGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/formgrader")
            heading = page.get_by_role("heading", name="Manage Assignments")
            expect(heading).to_be_visible(timeout=60_000)
            # one row per lecture (nbgrader's source folder is solutions/), by name
            expect(page.locator("td.name a")).to_have_text(
                course.assignments(), timeout=60_000
            )
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
    finally:
        stop_lab(proc)
    assert gradebook.is_file(), "the formgrader did not use the scratch gradebook"
    assert {p.name for p in REPO.iterdir()} == before, "the formgrader left files"
    assert shot.stat().st_size > 10_000
