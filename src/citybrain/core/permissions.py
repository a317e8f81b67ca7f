"""The registry of permission codes: each domain declares its own codes, titles and grants.

A domain module (``regions``, ``datahub.catalog``, later ``indicators``, ``events`` …) calls
:func:`declare` in its ``permissions.py`` with the codes it checks (``<domain>:<verb>``), their
Chinese titles and which built-in roles hold each one. ``iam`` reads the registry to build its
catalogue and the built-in roles, so adding a domain never edits ``iam``; ``citybrain.domains``
imports every domain's declarations once, before the app or the CLI reads them.

The route walk (``tests/test_routes_guarded.py``) fails on a ``require(code)`` whose code no
module declared, and the OpenAPI document names each operation's code with its title.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PermissionCode:
    code: str
    title: str
    domain: str
    granted_to: frozenset[str]
    """The built-in roles that hold the code (custom roles are granted codes in the web)."""


_REGISTRY: dict[str, PermissionCode] = {}


def declare(
    domain: str,
    titles: Mapping[str, str],
    *,
    granted_to: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Register ``domain``'s codes with their Chinese titles and built-in grants.

    Declaring the same code twice with the same content is harmless (a module re-imported by a
    test); a code claimed by two domains, or a grant of a code not declared here, is a
    programming error raised at import time.
    """
    grants = {code: frozenset(roles) for code, roles in (granted_to or {}).items()}
    stray = sorted(set(grants) - set(titles))
    if stray:
        raise ValueError(f"granted codes not declared by {domain}: {stray}")
    for code, title in titles.items():
        prefix, _, verb = code.partition(":")
        if not prefix or not verb or code != code.lower():
            raise ValueError(f"permission code must read <domain>:<verb>: {code!r}")
        entry = PermissionCode(code, title, domain, grants.get(code, frozenset()))
        existing = _REGISTRY.get(code)
        if existing is not None and existing != entry:
            raise ValueError(f"permission code {code!r} declared twice, differently")
        _REGISTRY[code] = entry


def declared() -> Mapping[str, PermissionCode]:
    """Every declared code, by code."""
    return dict(_REGISTRY)


def title_of(code: str) -> str:
    """The Chinese title of ``code``, or the code itself when nobody declared it."""
    entry = _REGISTRY.get(code)
    return entry.title if entry is not None else code


def grants_of(role: str) -> frozenset[str]:
    """The codes a built-in role holds, from every domain's declaration."""
    return frozenset(e.code for e in _REGISTRY.values() if role in e.granted_to)


class CatalogueView(Mapping[str, str]):
    """``code → title`` of every declared code, read live from the registry."""

    def __getitem__(self, code: str) -> str:
        return _REGISTRY[code].title

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(_REGISTRY))

    def __len__(self) -> int:
        return len(_REGISTRY)


class BuiltinRolesView(Mapping[str, frozenset[str]]):
    """``role → codes`` of the named built-in roles, read live from the registry."""

    def __init__(self, roles: Iterable[str]) -> None:
        self._roles = tuple(roles)

    def __getitem__(self, role: str) -> frozenset[str]:
        if role not in self._roles:
            raise KeyError(role)
        return grants_of(role)

    def __iter__(self) -> Iterator[str]:
        return iter(self._roles)

    def __len__(self) -> int:
        return len(self._roles)
