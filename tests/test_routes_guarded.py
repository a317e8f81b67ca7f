"""Every route of the app is either public by name or guarded: somewhere in its dependency
tree sits ``require(code)`` (the callable carries ``permission_code``) or ``authenticated``."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from citybrain.app import create_app, public_paths
from citybrain.core import permissions as permissions_registry
from citybrain.core.openapi import api_routes, guards_of
from citybrain.core.security import require
from citybrain.iam.router import PUBLIC_ROUTES

_api_routes = api_routes
_guards = guards_of


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


def _only_authenticated(app: FastAPI) -> list[str]:
    public = public_paths()
    return sorted(
        f"{'/'.join(sorted(methods))} {path}"
        for path, methods, dependant in _api_routes(app)
        if path not in public and set(_guards(dependant)) == {"authenticated"}
    )


AUTHENTICATED_ONLY = {
    # Signing out needs no permission beyond being signed in: a limited session (forced
    # password change, TOTP set-up) must still be able to leave.
    "POST /api/v1/iam/logout",
    # Who am I: the web asks it first to learn the caller's permissions, so it cannot need one.
    "GET /api/v1/iam/me",
    # One's own inbox (消息中心): every signed-in person receives messages, whatever their
    # roles; each route reads or changes the caller's own rows only (API keys are refused).
    "GET /api/v1/messages/inbox",
    "GET /api/v1/messages/inbox/unread-count",
    "GET /api/v1/messages/inbox/{message_id}",
    "POST /api/v1/messages/inbox/{message_id}/read",
    "POST /api/v1/messages/inbox/read-all",
    "GET /api/v1/messages/stream",
    "GET /api/v1/messages/me/contact",
    "PUT /api/v1/messages/me/contact",
}
"""Non-public routes guarded by "signed in" alone. Every other route names a permission code;
this list stays short and each entry says why."""


def test_routes_guarded_only_by_being_signed_in_are_the_listed_ones(settings):
    assert _only_authenticated(create_app(settings)) == sorted(AUTHENTICATED_ONLY)


def test_every_required_code_is_declared_by_a_domain(settings):
    declared = permissions_registry.declared()
    used = {
        code
        for _, _, dependant in _api_routes(create_app(settings))
        for code in _guards(dependant)
        if code != "authenticated"
    }
    assert used, "the walk found no permission codes"
    assert sorted(used - declared.keys()) == []


def test_the_walk_catches_an_undeclared_code(settings):
    app = create_app(settings)

    @app.get("/api/v1/stray", dependencies=[Depends(require("stray:read"))])
    def stray() -> dict[str, str]:
        return {}

    used = {c for p, _, d in _api_routes(app) if p == "/api/v1/stray" for c in _guards(d)}
    assert used - permissions_registry.declared().keys() - {"authenticated"} == {"stray:read"}


def test_the_openapi_names_schemes_and_each_operations_permission(settings):
    document = create_app(settings).openapi()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    records = document["paths"]["/api/v1/audit/records"]["get"]
    assert records["x-permissions"] == ["audit:read"]
    assert "查看审计日志 (`audit:read`)" in records["description"]
    assert records["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "security" not in document["paths"]["/api/v1/iam/login"]["post"]
    grants = document["paths"]["/api/v1/sharing/grants"]["get"]
    assert "其一即可" in grants["description"]
    guarded = [
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path not in public_paths() and "security" not in operation
    ]
    assert guarded == []
