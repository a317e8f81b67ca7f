"""The port through which the ledger learns the names of people, roles and regions.

Users and roles live in ``iam``, which sits above ``core``; ``iam`` installs a directory at app
start (as it installs the principal resolver), and without one the ledger shows the stored
codes. Names are looked up when a record is shown, never stored in it, so a renamed user is
shown by the current name while the chained record keeps the account that acted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from sqlalchemy.orm import Session


class AuditDirectory(Protocol):
    def actor_names(self, session: Session, actors: Collection[str]) -> Mapping[str, str]:
        """Display names of the given account names (missing ones left out)."""
        ...

    def role_titles(self, session: Session, roles: Collection[str]) -> Mapping[str, str]:
        """Chinese titles of the given role names (missing ones left out)."""
        ...

    def region_names(self, session: Session, codes: Collection[str]) -> Mapping[str, str]:
        """Names of the given region codes (missing ones left out)."""
        ...


class _NoDirectory:
    def actor_names(self, session: Session, actors: Collection[str]) -> Mapping[str, str]:
        return {}

    def role_titles(self, session: Session, roles: Collection[str]) -> Mapping[str, str]:
        return {}

    def region_names(self, session: Session, codes: Collection[str]) -> Mapping[str, str]:
        return {}


_directory: AuditDirectory = _NoDirectory()


def install_directory(directory: AuditDirectory) -> None:
    global _directory
    _directory = directory


def directory() -> AuditDirectory:
    return _directory
