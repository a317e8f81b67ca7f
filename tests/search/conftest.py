"""Search fixtures live in ``search_fixtures`` (a module name of its own, importable by tests)."""

from search_fixtures import publish

__all__ = ["publish"]
