"""Plausible wrong (and right) student code for every lecture, and how to apply it.

Each `tests/mutants/lectureNN.py` holds:

* ``WRONG``: mutant name -> {solution cell grade_id: the source a student might write};
* ``LOSES``: mutant name -> the test cell whose points that mutant must lose;
* ``CORRECT``: name -> replacements that are right but written differently.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import nbformat

from autograder import course
from tests.conftest import REPO

MODULES: list[ModuleType] = [
    importlib.import_module(f"tests.mutants.{p.stem}")
    for p in sorted((REPO / "tests" / "mutants").glob("lecture*.py"))
]


def solution_path(assignment: str) -> Path:
    """The source notebook of an assignment."""
    return course.SOLUTIONS / assignment / f"{assignment}.ipynb"


def grade_id(cell: nbformat.NotebookNode) -> str:
    """The nbgrader grade_id of a cell ('' when it has none)."""
    return str(cell.metadata.get("nbgrader", {}).get("grade_id", ""))


def test_ids(assignment: str) -> list[str]:
    """grade_ids of the notebook's test cells, in order."""
    nb = nbformat.read(solution_path(assignment), as_version=4)
    return [
        grade_id(c)
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    ]


def student_version(
    assignment: str, replacements: dict[str, str]
) -> nbformat.NotebookNode:
    """The reference notebook with some solution cells rewritten, as a student would."""
    nb = nbformat.read(solution_path(assignment), as_version=4)
    cells = {grade_id(c): c for c in nb.cells}
    unknown = set(replacements) - set(cells)
    assert not unknown, f"mutants name cells that {assignment} lacks: {unknown}"
    for gid, source in replacements.items():
        assert cells[gid].metadata["nbgrader"]["solution"], (
            f"{gid}: not a solution cell"
        )
        cells[gid].source = source
    return nb


def rounds(module: ModuleType, per_test: int = 2) -> list[list[str]]:
    """Pack mutants into few notebooks: `per_test` of them for each test cell.

    Within one round every mutant targets a different test cell and rewrites
    different solution cells, so one graded notebook checks several exercises.
    """
    chosen: list[str] = []
    for test_id in test_ids(module.ASSIGNMENT):
        names = sorted(n for n, target in module.LOSES.items() if target == test_id)
        chosen += names[:per_test]
    packed: list[list[str]] = []
    for name in chosen:
        for group in packed:
            targets = {module.LOSES[n] for n in group}
            cells = {c for n in group for c in module.WRONG[n]}
            if module.LOSES[name] not in targets and not cells & set(
                module.WRONG[name]
            ):
                group.append(name)
                break
        else:
            packed.append([name])
    return packed
