"""Course tooling (executor, exercise generator): used by authors and tests, never by learners."""
