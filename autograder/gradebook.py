"""The master nbgrader gradebook, written by the grading run's main process only.

Workers grade in scratch courses with throwaway gradebooks; their results are merged
here afterwards, by one writer, because SQLite is unsafe under concurrent writers. The
file is an ordinary nbgrader gradebook: ``nbgrader export`` and the formgrader read it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from autograder import course
from autograder.execute import environment
from autograder.rows import Row

# assignment -> notebook -> [(grade_id, points)] of its test cells
Structure = dict[str, dict[str, list[tuple[str, float]]]]


def write(path: Path, rows: list[Row], structure: Structure) -> None:
    """Create or update PATH with every row's points per test cell (upserts only)."""
    # nbgrader checks the schema with the `alembic` program next to this interpreter.
    path_env = {"PATH": course.with_bin(os.environ.get("PATH", ""))}
    with (
        warnings.catch_warnings(),
        environment(path_env),
        Gradebook(f"sqlite:///{path}") as gb,
    ):
        # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; harmless.
        warnings.simplefilter("ignore", SAWarning)
        for assignment, notebooks in structure.items():
            gb.update_or_create_assignment(assignment)
            for notebook, cells in notebooks.items():
                gb.update_or_create_notebook(notebook, assignment)
                for grade_id, points in cells:
                    gb.update_or_create_grade_cell(
                        grade_id,
                        notebook,
                        assignment,
                        max_score=points,
                        cell_type="code",
                    )
        for row in rows:
            if row.notebook not in structure.get(row.assignment, {}):
                continue
            cells = structure[row.assignment][row.notebook]
            gb.update_or_create_student(row.student_id)
            try:
                gb.find_submission(row.assignment, row.student_id)
            except MissingEntry:
                gb.add_submission(row.assignment, row.student_id)
            for grade_id, _ in cells:
                grade = gb.find_grade(
                    grade_id, row.notebook, row.assignment, row.student_id
                )
                # Missing, refused and timed-out parts are worth 0, not "ungraded".
                grade.auto_score = row.parts.get(grade_id, (0.0, 0.0))[0]
        gb.db.commit()
