"""Benchmark: grading throughput for a class of copies of one real submission.

Grades the same class with ``--workers 1`` and ``--workers 2`` (each from scratch), in
one session so the two runs share the machine's conditions, then prints seconds per
submission, the speed-up, and whether the two grades.csv files are identical.

    .venv/bin/python bench/grading_throughput.py [--assignment 06_imitation]
        [--students 20] [--workers 1 2] [--no-sandbox]
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import course


def _grade(
    subs: Path, out: Path, assignment: str, workers: int, extra: list[str]
) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--submissions", str(subs)]
        + ["--out", str(out), "--assignment", assignment, "--workers", str(workers)]
        + ["--regrade", *extra],
        capture_output=True,
        text=True,
        cwd=course.REPO,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grading failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def main(argv: list[str]) -> None:
    """Print seconds per submission for each worker count, and the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assignment", default="06_imitation")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args(argv)
    extra = ["--no-sandbox"] if args.no_sandbox else []
    with tempfile.TemporaryDirectory(prefix="pgcourse-bench-") as tmp:
        subs = Path(tmp) / "subs"
        for i in range(args.students):
            shutil.copytree(
                course.SOLUTIONS / args.assignment, subs / f"s{i:03d}" / args.assignment
            )
        times = {}
        for workers in args.workers:
            out = Path(tmp) / f"out{workers}"
            times[workers] = _grade(subs, out, args.assignment, workers, extra)
            print(
                f"workers={workers}: {times[workers]:6.1f} s for {args.students} "
                f"submissions, {times[workers] / args.students:5.2f} s per submission",
                flush=True,
            )
        first = args.workers[0]
        for workers in args.workers[1:]:
            same = filecmp.cmp(
                Path(tmp) / f"out{first}" / "grades.csv",
                Path(tmp) / f"out{workers}" / "grades.csv",
                shallow=False,
            )
            print(
                f"speed-up {first} -> {workers} workers: "
                f"{times[first] / times[workers]:.2f}x; identical grades.csv: {same}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
