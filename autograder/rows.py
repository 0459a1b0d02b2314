"""Rows of grades.csv and parts.csv: one per (student, assignment, notebook)."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("graded", "missing", "error", "timeout")


@dataclass
class Row:
    """One line of grades.csv."""

    student_id: str
    assignment: str
    notebook: str
    score: float
    max_score: float
    status: str
    message: str
    # grade_id -> (score, max_score) of each test cell; written to parts.csv
    parts: dict[str, tuple[float, float]] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (parts as [score, max] pairs)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        """The inverse of `to_json`."""
        parts = {k: (float(v[0]), float(v[1])) for k, v in data["parts"].items()}
        return cls(**{**data, "parts": parts})


COLUMNS = [
    "student_id",
    "assignment",
    "notebook",
    "score",
    "max_score",
    "status",
    "message",
]


def write_csv(path: Path, rows: list[Row]) -> None:
    """grades.csv, and parts.csv beside it with the points of every test cell."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r.student_id,
                    r.assignment,
                    r.notebook,
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    r.status,
                    r.message,
                ]
            )
    with path.with_name("parts.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]
        )
        for r in rows:
            for grade_id, (score, max_score) in r.parts.items():
                writer.writerow(
                    [
                        r.student_id,
                        r.assignment,
                        r.notebook,
                        grade_id,
                        f"{score:g}",
                        f"{max_score:g}",
                    ]
                )


def read_csv(path: Path) -> list[Row]:
    """Rows of a grades.csv (with their parts from parts.csv when it is there)."""
    parts: dict[tuple[str, str, str], dict[str, tuple[float, float]]] = {}
    if path.with_name("parts.csv").exists():
        with path.with_name("parts.csv").open(newline="", encoding="utf-8") as fh:
            for p in csv.DictReader(fh):
                key = (p["student_id"], p["assignment"], p["notebook"])
                parts.setdefault(key, {})[p["grade_id"]] = (
                    float(p["score"]),
                    float(p["max_score"]),
                )
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Row(
                r["student_id"],
                r["assignment"],
                r["notebook"],
                float(r["score"]),
                float(r["max_score"]),
                r["status"],
                r["message"],
                parts.get((r["student_id"], r["assignment"], r["notebook"]), {}),
            )
            for r in csv.DictReader(fh)
        ]
