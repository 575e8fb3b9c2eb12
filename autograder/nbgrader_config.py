"""nbgrader configuration for the dlmusic course.

The course root is the repository root: ``solutions/`` is nbgrader's source
folder and ``assignments/`` its release folder, so the two are the folders the
repository ships. Grading state (gradebook, submissions, feedback) lives in a
working folder the instructor chooses (``$DLMUSIC_GRADING_DIR``, default
``./grading`` under the current directory), never in the repository.
"""

from dlmusic_instructor import COURSE_ROOT, grading_dir

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

GRADING_DIR = grading_dir().resolve()

c.CourseDirectory.course_id = "dlmusic"
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = f"sqlite:///{GRADING_DIR / 'gradebook.db'}"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearOutput.enabled = True
c.Execute.timeout = 600
