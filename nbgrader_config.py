# nbgrader reads this when run from the repository's root: solutions/ is the source and exercises/ the
# release folder (one subfolder per assignment in both), so `nbgrader generate_assignment CHAPTER` gives
# the student notebooks of exercises/. The gradebook stays in memory, and grading commands stop with a
# message: grading happens in a course folder outside the repository, set up by
#     python -m neuronlab.tools.grade grade CHAPTER SUBMISSIONS --course DIR
# whose own nbgrader_config.py calls the same configure() (book/instructors.md).
import os

from neuronlab.tools.grade import configure

c = get_config()  # noqa: F821 (provided by nbgrader)
configure(c, os.path.dirname(os.path.abspath(__file__)), layout="repository")
