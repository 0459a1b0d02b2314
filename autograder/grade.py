"""Grade a folder of submissions: DIR/<student_id>/<assignment>/<notebook>.ipynb.

Each (student, assignment) is one task (`autograder.task`), graded in its own scratch
course directory by a worker: a thread of this process (``--workers N``), or a Dask
worker (``--scheduler ADDRESS``). Only this process writes to the output folder:

* ``journal.jsonl`` gets one line per finished task, as it finishes. A run that is
  killed and started again skips the tasks already there (unless the submission, the
  references or the limits changed, or ``--regrade`` is given), so no work is lost and
  no row is written twice.
* ``grades.csv``, ``parts.csv``, ``feedback/`` and the master nbgrader ``gradebook.db``
  are written from the journal: one writer, because SQLite is unsafe under concurrent
  writers (nbgrader #174).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder import course, gradebook
from autograder.expected import EXPECTED_DIR
from autograder.rows import STATUSES, Row, read_csv, write_csv
from autograder.task import (
    Result,
    Settings,
    Task,
    fingerprint,
    grade_task,
    template,
    test_cells,
)

__all__ = ["STATUSES", "Result", "Row", "grade", "read_csv"]

JOURNAL = "journal.jsonl"


def find_tasks(
    submissions: Path, wanted: list[str] | None, source: Path
) -> tuple[list[Task], list[Row]]:
    """Every (student, assignment) to grade, and rows for what cannot be graded."""
    known = course.assignments(source)
    unknown = sorted(set(wanted or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown assignment(s) {unknown}; {source} has {known}")
    students = sorted(
        p
        for p in submissions.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    )
    found = {a.name for s in students for a in s.iterdir() if a.is_dir()}
    chosen = wanted or sorted(found & set(known))
    tasks: list[Task] = []
    rows: list[Row] = []
    for student in students:
        for assignment in chosen:
            folder = student / assignment
            if folder.is_dir() and not folder.is_symlink():
                tasks.append(Task(len(tasks), student.name, assignment, folder))
                continue
            why = (
                f"{assignment}/ is a symbolic link; submit the folder itself"
                if folder.is_symlink()
                else f"no folder {assignment}/ for this student"
            )
            for name in course.notebooks(assignment, source):
                rows.append(Row(student.name, assignment, name, 0, 0, "missing", why))
        if not wanted:
            for extra in sorted(
                {a.name for a in student.iterdir() if a.is_dir()} - set(known)
            ):
                rows.append(
                    Row(
                        student.name,
                        extra,
                        "",
                        0,
                        0,
                        "error",
                        f"{extra!r} is not an assignment of this course ({known})",
                    )
                )
    return tasks, rows


def read_journal(path: Path) -> dict[str, Result]:
    """Finished tasks by key; a line cut short by a kill is ignored."""
    done: dict[str, Result] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
            rows = [Row.from_json(r) for r in item["rows"]]
            done[item["key"]] = Result(item["key"], item["fingerprint"], rows)
        except (ValueError, KeyError, TypeError):
            continue
    return done


def _append(path: Path, result: Result) -> None:
    line = json.dumps(
        {
            "key": result.key,
            "fingerprint": result.fingerprint,
            "rows": [r.to_json() for r in result.rows],
        },
        ensure_ascii=False,
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _run_local(tasks: list[Task], settings: Settings, workers: int) -> Iterator[Result]:
    # Threads suffice: each task's real work is an nbgrader subprocess and its kernel.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(grade_task, t, settings) for t in tasks]
        for future in as_completed(futures):
            yield future.result()


def _run_dask(tasks: list[Task], settings: Settings, address: str) -> Iterator[Result]:
    # Workers must see the same paths (submissions, source, references): a shared
    # filesystem, as on a cluster with NFS. Results come back here to be written.
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    with Client(address) as client:
        futures = client.map(
            grade_task, tasks, settings=settings, pure=False, retries=1
        )
        for future in dask_completed(futures):
            yield future.result()


def grade(
    submissions: Path,
    out: Path,
    wanted: list[str] | None = None,
    *,
    workers: int = 1,
    timeout: int = 120,
    notebook_timeout: float = 1800,
    source: Path = course.SOLUTIONS,
    expected: Path = EXPECTED_DIR,
    scheduler: str | None = None,
    regrade: bool = False,
    sandbox: bool = True,
    started: Callable[[int, int], None] | None = None,
    progress: Callable[[Result], None] | None = None,
) -> list[Row]:
    """Grade every submission; write OUT/grades.csv, feedback/, gradebook.db."""
    tasks, rows = find_tasks(submissions, wanted, source)
    out.mkdir(parents=True, exist_ok=True)
    journal = out / JOURNAL
    if regrade and journal.exists():
        journal.unlink()
    with tempfile.TemporaryDirectory(prefix="pgg-") as tmp:
        hide = (submissions.resolve(), out.resolve()) if sandbox else None
        settings = Settings(
            source.resolve(),
            expected.resolve(),
            Path(tmp),
            timeout,
            notebook_timeout,
            hide,
        )
        structure = {
            a: test_cells(template(settings, a), a)
            for a in sorted({t.assignment for t in tasks} | set(wanted or []))
        }
        finished = read_journal(journal)
        results = [
            finished[t.key]
            for t in tasks
            if t.key in finished
            and finished[t.key].fingerprint == fingerprint(t, settings)
        ]
        todo = [t for t in tasks if t.key not in {r.key for r in results}]
        if started:
            started(len(results), len(tasks))
        runner = (
            _run_dask(todo, settings, scheduler)
            if scheduler
            else _run_local(todo, settings, workers)
        )
        for result in runner:
            for relative, page in result.pages.items():
                path = out / "feedback" / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(page, encoding="utf-8")
            if result.final:
                _append(journal, result)
            results.append(result)
            if progress:
                progress(result)
    rows += [row for result in results for row in result.rows]
    for row in rows:
        cells = structure.get(row.assignment, {}).get(row.notebook, [])
        row.max_score = row.max_score or sum(points for _, points in cells)
    rows.sort(key=lambda r: (r.student_id, r.assignment, r.notebook))
    write_csv(out / "grades.csv", rows)
    gradebook.write(out / "gradebook.db", rows, structure)
    return rows
