"""Command line: python -m autograder {grade,release,validate} ..."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from autograder import course
from autograder.expected import EXPECTED_DIR


def _grade(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from autograder.grade import Result, grade

    if not args.submissions.is_dir():
        print(
            f"error: submissions folder {args.submissions} does not exist",
            file=sys.stderr,
        )
        return 2
    if args.no_sandbox:
        print(
            "WARNING: --no-sandbox: student code runs with your rights and can read "
            "the references and write anywhere you can. Use it for trusted code only.",
            file=sys.stderr,
        )
    else:
        from autograder import sandbox

        print(sandbox.describe(), file=sys.stderr)
    bar = tqdm(total=0, unit="submission", file=sys.stderr, dynamic_ncols=True)

    def started(done: int, total: int) -> None:
        bar.reset(total=total)
        bar.update(done)
        if done:
            tqdm.write(f"resuming: {done} of {total} already graded (see --regrade)")

    def progress(result: Result) -> None:
        for row in result.rows:
            tqdm.write(
                f"{row.status:8} {row.score:g}/{row.max_score:g}  {row.student_id} "
                f"{row.assignment}/{row.notebook}",
                file=sys.stdout,
            )
        bar.update(1)

    try:
        rows = grade(
            args.submissions,
            args.out,
            args.assignment or None,
            workers=args.workers,
            timeout=args.timeout,
            notebook_timeout=args.notebook_timeout,
            source=args.source,
            expected=args.expected,
            scheduler=args.scheduler,
            regrade=args.regrade,
            sandbox=not args.no_sandbox,
            started=started,
            progress=progress,
        )
    except (RuntimeError, SystemExit) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    counts = Counter(r.status for r in rows)
    summary = ", ".join(
        f"{counts[s]} {s}" for s in ("graded", "missing", "error", "timeout")
    )
    print(
        f"{len(rows)} rows: {summary}. Wrote {args.out / 'grades.csv'}, "
        f"{args.out / 'feedback'}/ and {args.out / 'gradebook.db'}"
    )
    return 0


def _release(args: argparse.Namespace) -> int:
    from autograder.release import release

    problems = release(args.assignment or None, check=args.check)
    for problem in problems:
        print(problem)
    if args.check:
        print("in sync" if not problems else "out of date: run `make release`")
    return 1 if problems else 0


def _validate(args: argparse.Namespace) -> int:
    from autograder.validate import validate

    return validate(args.notebook, timeout=args.timeout)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m autograder`."""
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade a folder of submissions")
    g.add_argument(
        "--submissions",
        type=Path,
        required=True,
        help="DIR/<student_id>/<assignment>/<notebook>.ipynb",
    )
    g.add_argument(
        "--out", type=Path, required=True, help="where grades.csv and feedback/ go"
    )
    g.add_argument(
        "--assignment", action="append", help="grade only this one (repeatable)"
    )
    g.add_argument(
        "--workers", type=int, default=1, help="submissions graded in parallel"
    )
    g.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    g.add_argument(
        "--notebook-timeout",
        type=float,
        default=1800,
        help="seconds allowed per submitted assignment",
    )
    g.add_argument(
        "--source",
        type=Path,
        default=course.SOLUTIONS,
        help="nbgrader source folder with the reference notebooks",
    )
    g.add_argument(
        "--expected",
        type=Path,
        default=EXPECTED_DIR,
        help="folder of the recorded reference values (<assignment>.json)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on this Dask distributed scheduler (workers share the filesystem)",
    )
    g.add_argument(
        "--regrade",
        action="store_true",
        help="grade everything again, ignoring the journal of finished submissions",
    )
    g.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run kernels without isolation (trusted code only; prints a warning)",
    )
    g.set_defaults(func=_grade)

    r = sub.add_parser("release", help="regenerate lectures/ and reference values")
    r.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    r.add_argument(
        "--check", action="store_true", help="only report what is out of date"
    )
    r.set_defaults(func=_release)

    v = sub.add_parser("validate", help="self-check a notebook: run its visible tests")
    v.add_argument("notebook", type=Path)
    v.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    v.set_defaults(func=_validate)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
