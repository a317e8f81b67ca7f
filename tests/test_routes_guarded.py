"""Every route of the app is either public by name or guarded: somewhere in its dependency
tree sits ``require(code)`` (the callable carries ``permission_code``) or ``authenticated``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from citybrain.app import create_app, public_paths
from citybrain.core.security import authenticated
from citybrain.iam.router import PUBLIC_ROUTES


def _api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Any]]:
    """``(path, methods, dependant)`` of every API route, with routers' prefixes and
    router-level dependencies applied (FastAPI ≥ 0.16x includes routers lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes holds the flattened APIRoutes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, set(route.methods), route.dependant
        return
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.path, set(context.methods or ()), context.dependant


def _guards(dependant: Dependant) -> list[str]:
    """The permission codes (and ``authenticated``) anywhere in a dependency tree."""
    found: list[str] = []
    for sub in dependant.dependencies:
        if sub.call is authenticated:
            found.append("authenticated")
        code = getattr(sub.call, "permission_code", None)
        if isinstance(code, str):
            found.append(code)
        found.extend(_guards(sub))
    return found


def _unguarded(app: FastAPI) -> list[str]:
    public = public_paths()
    routes = list(_api_routes(app))
    assert len(routes) > 20, "the walk found too few routes: is the app assembled?"
    return [
        f"{'/'.join(sorted(methods))} {path}"
        for path, methods, dependant in routes
        if path not in public and not _guards(dependant)
    ]


def test_every_non_public_route_has_a_permission_dependency(settings):
    unguarded = _unguarded(create_app(settings))
    print("routes without a permission dependency:", *unguarded or ["(none)"], sep="\n  ")
    assert not unguarded, "routes without a permission dependency:\n  " + "\n  ".join(unguarded)


def test_the_public_iam_routes_exist(settings):
    paths = {path for path, _, _ in _api_routes(create_app(settings))}
    assert paths >= PUBLIC_ROUTES


def test_the_walk_sees_guards_where_they_are(settings):
    found = {
        (path, "/".join(sorted(methods))): _guards(dependant)
        for path, methods, dependant in _api_routes(create_app(settings))
    }
    assert found[("/api/v1/audit/records", "GET")] == ["audit:read", "authenticated"]
    assert found[("/api/v1/iam/me", "GET")] == ["authenticated"]
    assert found[("/api/v1/iam/users/{user_id}/unlock", "POST")][0] == "iam:unlock"
    assert found[("/api/v1/iam/login", "POST")] == []


def test_the_walk_catches_a_naked_route(settings):
    app = create_app(settings)

    @app.get("/api/v1/naked")
    def naked() -> dict[str, str]:
        return {}

    assert _unguarded(app) == ["GET /api/v1/naked"]
