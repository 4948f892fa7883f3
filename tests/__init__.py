"""farmsim's tests (a regular package, so that a `tests` package another library installs
cannot shadow it: pyproject.toml puts the project root first on the path)."""
