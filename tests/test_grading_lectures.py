"""Every lecture through the grading CLI: right code earns points, wrong code does not.

One CLI run grades a whole synthetic class: for each lecture the reference solution,
the untouched student release, a correct but differently written solution, and a few
notebooks into which wrong implementations are packed (two per test cell, each in a
different exercise; `tests/test_mutants.py` checks each one on its own).
"""

from __future__ import annotations

from types import ModuleType

import nbformat
import pytest

from autograder import course
from autograder.grade import Row, read_csv
from tests.conftest import run_cli
from tests.mutation import MODULES, rounds, solution_path, student_version


def _class(module: ModuleType) -> dict[str, nbformat.NotebookNode]:
    a = module.ASSIGNMENT
    versions = {
        "reference": nbformat.read(solution_path(a), as_version=4),
        "untouched_release": nbformat.read(course.LECTURES / a / f"{a}.ipynb", 4),
        "right": student_version(a, module.CORRECT[sorted(module.CORRECT)[0]]),
    }
    for k, group in enumerate(rounds(module)):
        merged = {
            cell: src for name in group for cell, src in module.WRONG[name].items()
        }
        versions[f"wrong{k}"] = student_version(a, merged)
    return {f"{a}__{student}": nb for student, nb in versions.items()}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Row]:
    tmp = tmp_path_factory.mktemp("lectures")
    subs, out = tmp / "submissions", tmp / "out"
    for module in MODULES:
        for student, nb in _class(module).items():
            folder = subs / student / module.ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{module.ASSIGNMENT}.ipynb")
    args = ["grade", "--submissions", str(subs), "--out", str(out), "--workers", "2"]
    for module in MODULES:
        args += ["--assignment", module.ASSIGNMENT]
    done = run_cli(*args, timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr
    return {
        r.student_id: r
        for r in read_csv(out / "grades.csv")
        if r.student_id.startswith(r.assignment + "__")
    }


def _by_lecture() -> pytest.MarkDecorator:
    return pytest.mark.parametrize("module", MODULES, ids=lambda m: m.ASSIGNMENT)


def test_every_lecture_has_mutants() -> None:
    """Check that each lecture in solutions/ has a mutants module"""
    assert {m.ASSIGNMENT for m in MODULES} == set(course.assignments())


@_by_lecture()
def test_reference_solution_earns_full_marks(
    rows: dict[str, Row], module: ModuleType
) -> None:
    """Check that the solution notebook scores every point"""
    row = rows[f"{module.ASSIGNMENT}__reference"]
    assert row.status == "graded" and row.score == row.max_score > 0, row


@_by_lecture()
def test_untouched_release_scores_zero(
    rows: dict[str, Row], module: ModuleType
) -> None:
    """Check that the student version, as released, scores 0 without a crash"""
    row = rows[f"{module.ASSIGNMENT}__untouched_release"]
    assert (row.status, row.score) == ("graded", 0), row
    assert row.max_score == rows[f"{module.ASSIGNMENT}__reference"].max_score


@_by_lecture()
def test_wrong_implementations_lose_their_points(
    rows: dict[str, Row], module: ModuleType
) -> None:
    """Check that every packed wrong implementation loses its exercise's points"""
    kept = []
    for k, group in enumerate(rounds(module)):
        row = rows[f"{module.ASSIGNMENT}__wrong{k}"]
        assert row.status == "graded", row
        for name in group:
            score, max_score = row.parts[module.LOSES[name]]
            if score >= max_score:
                kept.append(f"{name} kept the points of {module.LOSES[name]}")
    assert not kept, kept


@_by_lecture()
def test_differently_written_solution_keeps_full_marks(
    rows: dict[str, Row], module: ModuleType
) -> None:
    """Check that a correct but differently written solution earns every point"""
    row = rows[f"{module.ASSIGNMENT}__right"]
    assert row.status == "graded" and row.score == row.max_score, row


@_by_lecture()
def test_solution_notebook_is_saved_clean(module: ModuleType) -> None:
    """Check that the source notebook is committed without outputs"""
    nb = nbformat.read(solution_path(module.ASSIGNMENT), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
