"""Every lecture through the grading CLI: right code earns points, wrong code does not.

Each `tests/mutants/lectureNN.py` lists plausible wrong implementations (WRONG, with
the test cell each must fail in LOSES) and correct but differently written ones
(CORRECT). One CLI run grades them all as a class, alongside the reference solution
and the untouched student release.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

from autograder import course
from autograder.grade import Row, read_csv
from tests.conftest import REPO, run_cli

MODULES: list[ModuleType] = [
    importlib.import_module(f"tests.mutants.{p.stem}")
    for p in sorted((REPO / "tests" / "mutants").glob("lecture*.py"))
]


def _solution(assignment: str) -> Path:
    return course.SOLUTIONS / assignment / f"{assignment}.ipynb"


def _test_ids(assignment: str) -> list[str]:
    nb = nbformat.read(_solution(assignment), as_version=4)
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    ]


def student_version(
    assignment: str, replacements: dict[str, str]
) -> nbformat.NotebookNode:
    """The reference notebook with some solution cells rewritten, as a student would."""
    nb = nbformat.read(_solution(assignment), as_version=4)
    ids = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    unknown = set(replacements) - set(ids)
    assert not unknown, f"mutants name cells that {assignment} lacks: {unknown}"
    for grade_id, source in replacements.items():
        assert ids[grade_id].metadata["nbgrader"]["solution"], (
            f"{grade_id}: not a solution"
        )
        ids[grade_id].source = source
    return nb


def _class(module: ModuleType) -> dict[str, nbformat.NotebookNode]:
    a = module.ASSIGNMENT
    versions = {
        "reference": nbformat.read(_solution(a), as_version=4),
        "untouched_release": nbformat.read(course.LECTURES / a / f"{a}.ipynb", 4),
    }
    versions |= {f"wrong_{k}": student_version(a, v) for k, v in module.WRONG.items()}
    versions |= {f"right_{k}": student_version(a, v) for k, v in module.CORRECT.items()}
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


def _cases(kind: str) -> list[tuple[ModuleType, str]]:
    return [(m, name) for m in MODULES for name in sorted(getattr(m, kind))]


def _ids(cases: list[tuple[ModuleType, str]]) -> list[str]:
    return [f"{m.ASSIGNMENT}:{name}" for m, name in cases]


def test_every_lecture_has_mutants() -> None:
    """Check that each lecture in solutions/ has a mutants module"""
    assert {m.ASSIGNMENT for m in MODULES} == set(course.assignments())


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.ASSIGNMENT)
def test_reference_solution_earns_full_marks(
    rows: dict[str, Row], module: ModuleType
) -> None:
    """Check that the solution notebook scores every point"""
    row = rows[f"{module.ASSIGNMENT}__reference"]
    assert row.status == "graded" and row.score == row.max_score > 0, row


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.ASSIGNMENT)
def test_untouched_release_scores_zero(
    rows: dict[str, Row], module: ModuleType
) -> None:
    """Check that the student version, as released, scores 0 without a crash"""
    row = rows[f"{module.ASSIGNMENT}__untouched_release"]
    assert (row.status, row.score) == ("graded", 0), row
    assert row.max_score == rows[f"{module.ASSIGNMENT}__reference"].max_score


@pytest.mark.parametrize(("module", "name"), _cases("WRONG"), ids=_ids(_cases("WRONG")))
def test_wrong_implementation_loses_its_points(
    rows: dict[str, Row], module: ModuleType, name: str
) -> None:
    """Check that a plausible wrong implementation loses that exercise's points"""
    row = rows[f"{module.ASSIGNMENT}__wrong_{name}"]
    target = module.LOSES[name]
    assert row.status == "graded", row
    score, max_score = row.parts[target]
    assert score < max_score, f"{name} kept the points of {target}: {row.parts}"


@pytest.mark.parametrize(
    ("module", "name"), _cases("CORRECT"), ids=_ids(_cases("CORRECT"))
)
def test_differently_written_solution_keeps_full_marks(
    rows: dict[str, Row], module: ModuleType, name: str
) -> None:
    """Check that a correct but differently written solution earns every point"""
    row = rows[f"{module.ASSIGNMENT}__right_{name}"]
    assert row.status == "graded" and row.score == row.max_score, row


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.ASSIGNMENT)
def test_every_test_cell_has_two_wrong_implementations(module: ModuleType) -> None:
    """Check that each test cell is targeted by at least two wrong implementations"""
    assert set(module.LOSES) == set(module.WRONG)
    for test_id in _test_ids(module.ASSIGNMENT):
        count = sum(target == test_id for target in module.LOSES.values())
        assert count >= 2, f"{test_id} has {count} wrong implementations, needs 2"
    assert module.CORRECT, "needs at least one correct alternative"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.ASSIGNMENT)
def test_solution_notebook_is_saved_clean(module: ModuleType) -> None:
    """Check that the source notebook is committed without outputs"""
    nb = nbformat.read(_solution(module.ASSIGNMENT), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
