# nbgrader reads this when run from the repository's root: solutions/ is the source,
# exercises/ the release folder (one subfolder per assignment in both).
import os

from nbgrader.converters import GenerateAssignment

from neuronlab.tools.exercises import ExerciseVersion

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The course's one extra step (retitle "Solutions" as "Exercises"), first, then nbgrader's own steps.
c.GenerateAssignment.preprocessors = [ExerciseVersion, *GenerateAssignment.class_traits()["preprocessors"].default()]
