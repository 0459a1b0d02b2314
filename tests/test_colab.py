"""The Colab install cell: first in every notebook, silent here, pip on Colab.

Each notebook of solutions/ and lectures/ opens with a note and a code cell that
installs the course only when `shared` cannot be imported (Google Colab). The cell
names the repository of pyproject.toml's [project.urls], and the gymnasium
requirement of its dependencies. The cell's code runs here with subprocess.run
recorded, never called.
"""

from __future__ import annotations

import copy
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder import course, index
from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
URL = PYPROJECT["project"]["urls"]["Repository"]
GYMNASIUM = next(d for d in PYPROJECT["project"]["dependencies"] if "gymnasium" in d)
NOTEBOOKS = sorted(course.SOLUTIONS.glob("*/*.ipynb")) + sorted(
    course.LECTURES.glob("*/*.ipynb")
)


def _grade_id(cell: nbformat.NotebookNode) -> str:
    return str(cell.metadata.get("nbgrader", {}).get("grade_id"))


def _install_source(path: Path = course.SOLUTIONS) -> str:
    """The install cell of the first solution notebook."""
    first = sorted(path.glob("*/*.ipynb"))[0]
    return str(nbformat.read(first, as_version=4).cells[1].source)


def _run(source: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict]]:
    """Execute a cell's source; return the subprocess.run calls it made (not run)."""
    calls: list[tuple[Any, dict]] = []

    def record(args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((args, kwargs))
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", record)
    monkeypatch.setattr(importlib, "invalidate_caches", lambda: None)
    exec(compile(source, "colab_install", "exec"), {"__name__": "__main__"})
    return calls


def test_notebooks_exist() -> None:
    """Check that there are solution and lecture notebooks to look at"""
    assert len(NOTEBOOKS) >= 2 * len(course.assignments()) > 0


def check_install_cell(cells: list[nbformat.NotebookNode], where: str) -> None:
    """Assert that CELLS open with the Colab note, then the install cell with URL."""
    assert cells[0].cell_type == "markdown" and _grade_id(cells[0]) == "colab_note", (
        f"{where}: the first cell must be the Colab note (grade_id colab_note)"
    )
    cell = cells[1]
    assert cell.cell_type == "code" and _grade_id(cell) == "colab_install", (
        f"{where}: the second cell must be the install cell (grade_id colab_install)"
    )
    meta = cell.metadata["nbgrader"]
    assert meta["locked"] and not meta["grade"] and not meta["solution"], (
        f"{where}: the install cell must be locked, not graded, not a solution"
    )
    assert 'find_spec("shared") is None' in cell.source, (
        f"{where}: the install cell must do nothing where `shared` is importable"
    )
    urls = sorted(set(re.findall(r"https?://[^\s\"']+", cell.source)))
    assert urls == [URL], (
        f"{where}: the install cell names {urls}, but pyproject.toml's "
        f"[project.urls] Repository is {URL!r}. The URL lives in pyproject.toml; after "
        "changing it there, put it in the install cell of every notebook in solutions/ "
        f"(sed -i 's#{urls[0] if urls else 'OLD_URL'}#{URL}#' solutions/*/*.ipynb) and "
        "run `make release` to regenerate lectures/ and their Colab links."
    )
    assert f'"{GYMNASIUM}"' in cell.source, (
        f"{where}: the install cell must install {GYMNASIUM!r}, as pyproject.toml's "
        "dependencies say: edit the cells in solutions/ and run `make release`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_install_cell_comes_first_with_pyprojects_url(path: Path) -> None:
    """Check that the notebook opens with the note and the install cell, with the URL"""
    cells = nbformat.read(path, as_version=4).cells
    check_install_cell(cells, str(path.relative_to(REPO)))
    # one cell for all, so the two tests of its behaviour below cover every notebook
    assert cells[1].source == _install_source(), (
        f"{path.relative_to(REPO)}: the install cell differs from the one in "
        f"{sorted(course.SOLUTIONS.glob('*/*.ipynb'))[0].relative_to(REPO)}"
    )


def test_install_cell_check_fails_on_another_url_or_place() -> None:
    """Check that the check notices a stale URL and an install cell out of place"""
    cells = nbformat.read(NOTEBOOKS[0], as_version=4).cells
    stale = [cells[0], copy.deepcopy(cells[1])]
    stale[1].source = cells[1].source.replace(URL, "https://github.com/old/place")
    with pytest.raises(AssertionError, match="sed -i 's#https://github.com/old/place#"):
        check_install_cell(stale, "stale")
    with pytest.raises(AssertionError, match="first cell"):
        check_install_cell([cells[2], *cells], "moved")


def test_lecture_index_links_to_colab_with_the_same_url() -> None:
    """Check that the lecture index opens each lecture on Colab from pyproject's URL"""
    text = (course.LECTURES / "README.md").read_text()
    slug = URL.removeprefix("https://github.com/")
    for assignment in course.assignments():
        for name in course.notebooks(assignment):
            link = index.colab_url(f"{assignment}/{name}.ipynb", index.repository_url())
            assert f"github/{slug}/blob/" in link
            assert link in text, f"lectures/README.md lacks {link}: run `make release`"


def test_install_cell_does_nothing_where_shared_is_importable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that with `shared` importable (make lab, grading) no pip runs"""
    assert importlib.util.find_spec("shared") is not None
    assert _run(_install_source(), monkeypatch) == []


def test_install_cell_installs_gymnasium_then_the_course_on_colab(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that without `shared` the cell pip-installs gymnasium, then the course"""
    real = importlib.util.find_spec

    def without_shared(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "shared" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_shared)
    calls = _run(_install_source(), monkeypatch)
    assert len(calls) == 2, calls
    pip = [sys.executable, "-m", "pip", "install"]
    for args, kwargs in calls:
        assert list(args[:4]) == pip, f"not this kernel's pip: {args}"
        assert kwargs.get("check") is True, f"a failed install must stop: {kwargs}"
    (deps, _), (package, _) = calls
    # gymnasium is the one dependency Colab lacks; nothing else may be pulled in
    assert [a for a in deps[4:] if not a.startswith("-")] == [GYMNASIUM]
    assert [a for a in package[4:] if not a.startswith("-")] == [f"git+{URL}"]
    assert "--no-deps" in package, "the course's own list would pull JupyterLab etc."
