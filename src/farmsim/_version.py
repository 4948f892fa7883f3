"""farmsim's version, in a module of its own: :mod:`farmsim` exports it, and what writes it into
files (a results folder's ``manifest.json``) imports it from here rather than from the package,
whose ``__init__`` imports the engine."""

__version__ = "0.1.0"
