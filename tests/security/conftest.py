"""The cross-scope tests share one world per module (see ``idor_world``)."""

from idor_world import _savepoint, api, connection, world

__all__ = ["_savepoint", "api", "connection", "world"]
