# nbgrader reads this when run from the repository's root: solutions/ is the source,
# exercises/ the release folder (one subfolder per assignment in both).
c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
