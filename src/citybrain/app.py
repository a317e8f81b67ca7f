"""The FastAPI application factory: routers of every module, error handlers, the front end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from citybrain import __version__, domains
from citybrain.core.audit.denials import install_denial_audit
from citybrain.core.config import Settings, get_settings
from citybrain.core.crypto import check_sm4_available
from citybrain.core.db import make_engine, make_session_factory, pool_options, reading
from citybrain.core.errors import NotFound, install_error_handlers
from citybrain.core.headers import SecurityHeaders
from citybrain.core.jobs.system import JobSystem
from citybrain.core.nul import install_nul_guard
from citybrain.core.openapi import openapi_builder
from citybrain.core.web import install_admission

PUBLIC_PATHS = frozenset(
    {"/api/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
# The single-page front end is static files; every API call it makes is guarded on its own.
FRONT_END_PATHS = frozenset({"/", "/{path:path}"})


def public_paths() -> frozenset[str]:
    """Every route path that answers without a user session or API key, by design.

    Sharing's data routes are listed because a grant token, checked by their own dependency,
    authenticates them instead of a user.
    """
    from citybrain.datahub.opendata import router as opendata
    from citybrain.datahub.sharing import router as sharing
    from citybrain.iam import router as iam

    return (
        PUBLIC_PATHS
        | FRONT_END_PATHS
        | iam.PUBLIC_ROUTES
        | opendata.PUBLIC_ROUTE_PATHS
        | sharing.PUBLIC_ROUTE_PATHS
    )


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    check_sm4_available()
    domains.load()
    app = FastAPI(
        title="citybrain",
        version=__version__,
        description="数字政府运营指挥中心 / 城市大脑 / 一网统管 开放平台 API",
        lifespan=_lifespan,
    )
    if session_factory is None:
        url = settings.resolved_database_url
        engine = engine or make_engine(url, **pool_options(url, size=settings.db_slots))
        session_factory = make_session_factory(engine)
    app.state.settings = settings
    app.state.session_factory = session_factory
    register_jobs()
    app.state.jobs = JobSystem(settings, session_factory)
    _install_jobs(app.state.jobs)
    install_nul_guard(app)
    install_error_handlers(app)
    install_denial_audit(app)
    install_admission(app, settings)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    _include_routers(app)

    @app.get(
        "/api/health",
        tags=["core"],
        summary="健康检查",
        description="无需登录。确认服务与数据库可用, 返回 status 与版本号; 供负载均衡与监控探测。",
    )
    def health() -> dict[str, Any]:
        # A reader: on SQLite it takes no lock, so it answers while writers queue.
        with reading(session_factory)() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    _mount_front_end(app, settings)
    app.openapi = openapi_builder(app, public_paths)  # type: ignore[method-assign]
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the app runs, its job system reacts to the domain events of its process."""
    stop = follow_domain_events(app.state.jobs)
    try:
        yield
    finally:
        stop()


def follow_domain_events(jobs: JobSystem) -> Callable[[], None]:
    """Every module's subscribers to domain events, queuing their work on ``jobs`` (app and
    ``citybrain worker``: a batch may be settled by either); returns the undo."""
    from citybrain.datahub.masterdata import tasks as masterdata_tasks

    masterdata_tasks.follow_batches(jobs)
    return lambda: masterdata_tasks.stop_following(jobs)


def register_jobs() -> None:
    """Every module's jobs and schedules into the job registry (app and ``citybrain worker``)."""
    from citybrain.datahub.ingest import tasks as ingest_tasks
    from citybrain.datahub.masterdata import tasks as masterdata_tasks
    from citybrain.datahub.sharing import tasks as sharing_tasks
    from citybrain.indicators import tasks as indicators_tasks
    from citybrain.messages import tasks as messages_tasks

    ingest_tasks.register_jobs()
    sharing_tasks.register_jobs()
    masterdata_tasks.register_jobs()
    indicators_tasks.register_jobs()
    messages_tasks.register_jobs()


def _install_jobs(jobs: JobSystem) -> None:
    """Deliveries queued by sessions outside a request find this process's job system."""
    from citybrain.messages import tasks as messages_tasks

    messages_tasks.install(jobs)


def _include_routers(app: FastAPI) -> None:
    from citybrain.boards.router import router as boards_router
    from citybrain.core.audit.router import router as audit_router
    from citybrain.core.jobs.router import router as jobs_router
    from citybrain.datahub.catalog.router import router as catalog_router
    from citybrain.datahub.datasources.router import router as datasources_router
    from citybrain.datahub.ingest.router import router as ingest_router
    from citybrain.datahub.masterdata.router import router as masterdata_router
    from citybrain.datahub.opendata.router import router as opendata_router
    from citybrain.datahub.quality.router import router as quality_router
    from citybrain.datahub.rectification.router import router as rectification_router
    from citybrain.datahub.sharing.router import router as sharing_router
    from citybrain.iam.resolver import install as install_iam
    from citybrain.iam.router import router as iam_router
    from citybrain.indicators.feedback.router import router as indicator_feedback_router
    from citybrain.indicators.router import router as indicators_router
    from citybrain.indicators.warnings.router import router as indicator_warnings_router
    from citybrain.messages.router import router as messages_router
    from citybrain.regions.router import router as regions_router
    from citybrain.reports.router import router as reports_router
    from citybrain.search.router import router as search_router

    install_iam()
    for router in (
        iam_router,
        regions_router,
        audit_router,
        jobs_router,
        catalog_router,
        datasources_router,
        ingest_router,
        quality_router,
        rectification_router,
        masterdata_router,
        sharing_router,
        opendata_router,
        search_router,
        reports_router,
        # before the indicator routes: "/warnings" and "/feedback" are no indicator codes
        indicator_warnings_router,
        indicator_feedback_router,
        indicators_router,
        messages_router,
        boards_router,
    ):
        app.include_router(router)


def _mount_front_end(app: FastAPI, settings: Settings) -> None:
    dist = settings.web_dist or Path(__file__).resolve().parents[2] / "web" / "dist"
    index = dist / "index.html"
    if not index.exists():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/", include_in_schema=False)
    @app.get("/{path:path}", include_in_schema=False)
    def front_end(path: str = "") -> FileResponse:
        if path.startswith("api/"):
            raise NotFound("接口不存在", code="no_such_endpoint", detail=path)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index)
