"""nbgrader configuration for instructors working in this repository.

`solutions/` is nbgrader's source directory and `lectures/` its release directory, so
`nbgrader generate_assignment 01_score_function` (or `make release`) regenerates the
student version, and the formgrader (`jupyter lab`, then Nbgrader > Formgrader) lists the
assignments. `python -m autograder` uses the same settings in scratch directories.
"""

from autograder.course import IGNORE_STDERR_PATTERN

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "pgcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "lectures"

# Library warnings on stderr (torch, gymnasium, matplotlib) must never zero a test cell.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = IGNORE_STDERR_PATTERN
c.Execute.timeout = 120
