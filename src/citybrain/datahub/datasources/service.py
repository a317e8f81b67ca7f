"""Commands on data sources, and the one way to open one (:func:`open_source_engine`).

Every check that stands between a user and a database server lives here, so the pull, the
scheduler, the connection test and later the indicator platform cannot each forget one: the
source is visible from the caller's region, enabled, its fields are plain names, its host
resolves only to reachable addresses and the socket goes to the checked address, the
connection is time-limited and read-only, and the use is audited with its purpose.
"""

from __future__ import annotations

import time
from contextlib import closing
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from citybrain.core import outbound
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.context import actor_of
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import Conflict, InvalidState, PermissionDenied
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.datasources import rules, usage
from citybrain.datahub.datasources.config import get_datasource_settings
from citybrain.datahub.datasources.models import Datasource
from citybrain.datahub.datasources.queries import get_source
from citybrain.datahub.datasources.schemas import (
    ConnectionTestResult,
    DatasourceCreate,
    DatasourceUpdate,
)
from citybrain.regions.scope import normalise_code

SECRET_CONTEXT = "datasource.secret"  # noqa: S105 - cipher context label, not a secret


class Purpose(StrEnum):
    """Why a source is opened; named in its ``datasource.use`` audit record."""

    test = "test"
    pull = "pull"
    scheduled_pull = "scheduled_pull"
    indicator = "indicator"


def _cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(
        encryption_key=settings.key("field_key"), index_key=settings.key("blind_index_key")
    )


def allowed_networks(settings: Settings) -> tuple[outbound.IPNetwork, ...]:
    """The private ranges an administrator opened (``CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS``)."""
    return outbound.parse_networks(settings.outbound_allowed_networks)


def _managed(source: Datasource, region_code: str) -> None:
    if not catalog_scope.within(region_code, source.region_code):
        raise PermissionDenied(
            f"数据源“{source.name}”属于上级区划，本级只能使用，不能修改",
            code="region_out_of_scope",
            detail=source.id,
        )


def _check_reachable(host: str, port: int, settings: Settings) -> outbound.IPAddress:
    """The checked address of ``host``. Raises OutboundRefused (403, ``outbound_refused``) or
    HostUnresolvable (422, ``host_unresolvable``) without ever connecting."""
    return outbound.resolve_checked(host, port, allowed_networks(settings))


def _name_taken(session: Session, name: str, *, other_than: int | None = None) -> None:
    query = select(func.count()).select_from(Datasource).where(Datasource.name == name)
    if other_than is not None:
        query = query.where(Datasource.id != other_than)
    if session.execute(query).scalar_one():
        raise Conflict(f"数据源名称“{name}”已被使用", code="datasource_name_taken", detail=name)


def _public(source: Datasource) -> dict[str, Any]:
    """What an audit record may say about a source: never the password."""
    return {
        "name": source.name,
        "driver": source.driver,
        "host": source.host,
        "port": source.port,
        "database": source.database,
        "username": source.username,
        "region_code": source.region_code,
        "enabled": source.enabled,
        "secret_set": bool(source.secret_token),
    }


def create_source(
    session: Session,
    *,
    spec: DatasourceCreate,
    region_code: str,
    settings: Settings | None = None,
) -> Datasource:
    """Register a source in ``spec.region_code`` (default ``region_code``, the caller's), which
    must lie inside the caller's region. The host must resolve to reachable addresses now
    (checked again at every use). The password is stored encrypted. Audited as
    ``datasource.create`` (without the password).

    Raises SourceRefused ``driver_not_allowed`` / ``field_not_allowed``, OutboundRefused,
    HostUnresolvable, PermissionDenied ``region_out_of_scope``, Conflict
    ``datasource_name_taken``, BadInput for a malformed region code."""
    settings = settings or get_settings()
    driver = rules.check_driver(spec.driver)
    host = rules.check_host(spec.host)
    port = spec.port or rules.DEFAULT_PORTS[driver]
    database, username = rules.check_database(spec.database), rules.check_username(spec.username)
    secret = rules.check_secret(spec.secret.get_secret_value() if spec.secret else "", driver)
    region = normalise_code(spec.region_code or region_code)
    if not catalog_scope.within(region_code, region):
        raise PermissionDenied(
            f"不能在本级管辖范围之外（{region}）登记数据源",
            code="region_out_of_scope",
            detail=region,
        )
    _name_taken(session, spec.name)
    _check_reachable(host, port, settings)
    actor, now = actor_of(session).actor, utcnow()
    source = Datasource(
        name=spec.name,
        driver=driver.value,
        host=host,
        port=port,
        database=database,
        username=username,
        secret_token=_cipher(settings).encrypt(secret, context=SECRET_CONTEXT) if secret else "",
        region_code=region,
        description=spec.description,
        enabled=spec.enabled,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    session.add(source)
    session.flush()
    audit.record(
        session,
        action="datasource.create",
        object_type="datasource",
        object_id=str(source.id),
        region_code=source.region_code,
        detail=_public(source),
    )
    return source


def update_source(
    session: Session,
    *,
    source_id: int,
    changes: DatasourceUpdate,
    region_code: str,
    settings: Settings | None = None,
) -> Datasource:
    """Change the given fields of a source the caller manages. A changed host or port is
    checked for reachability as in :func:`create_source`. Audited as ``datasource.update``
    naming the changed fields (a new password only as ``secret``).

    Raises NotFound ``datasource_not_found``, PermissionDenied ``region_out_of_scope`` and the
    errors of :func:`create_source`."""
    settings = settings or get_settings()
    source = get_source(session, source_id=source_id, region_code=region_code)
    _managed(source, region_code)
    given = changes.model_dump(exclude_unset=True)
    new: dict[str, Any] = {}
    if changes.name is not None and changes.name != source.name:
        _name_taken(session, changes.name, other_than=source.id)
        new["name"] = changes.name
    if changes.host is not None:
        new["host"] = rules.check_host(changes.host)
    if changes.port is not None:
        new["port"] = changes.port
    if changes.database is not None:
        new["database"] = rules.check_database(changes.database)
    if changes.username is not None:
        new["username"] = rules.check_username(changes.username)
    if changes.description is not None:
        new["description"] = changes.description
    if changes.enabled is not None:
        new["enabled"] = changes.enabled
    if "host" in new or "port" in new:
        _check_reachable(new.get("host", source.host), new.get("port", source.port), settings)
    changed = sorted(k for k, v in new.items() if getattr(source, k) != v)
    for name in changed:
        setattr(source, name, new[name])
    if "secret" in given:
        given_secret = changes.secret.get_secret_value() if changes.secret else ""
        secret = rules.check_secret(given_secret, rules.check_driver(source.driver))
        token = _cipher(settings).encrypt(secret, context=SECRET_CONTEXT) if secret else ""
        source.secret_token = token
        changed.append("secret")
    source.updated_by, source.updated_at = actor_of(session).actor, utcnow()
    session.flush()
    audit.record(
        session,
        action="datasource.update",
        object_type="datasource",
        object_id=str(source.id),
        region_code=source.region_code,
        detail={"changed": changed, **_public(source)},
    )
    return source


def delete_source(session: Session, *, source_id: int, region_code: str) -> None:
    """Remove a source the caller manages that no pull schedule names (disable it otherwise,
    so the schedules' history keeps its name). Audited as ``datasource.delete``.

    Raises NotFound ``datasource_not_found``, PermissionDenied ``region_out_of_scope``,
    Conflict ``datasource_in_use``."""
    source = get_source(session, source_id=source_id, region_code=region_code)
    _managed(source, region_code)
    used = usage.count_uses(session, source.id)  # ingest's pull schedules (datasources.usage)
    if used:
        raise Conflict(
            f"数据源“{source.name}”仍被 {used} 个定时抽取使用，请改为停用",
            code="datasource_in_use",
            detail=source.id,
        )
    detail = _public(source)
    session.delete(source)
    session.flush()
    audit.record(
        session,
        action="datasource.delete",
        object_type="datasource",
        object_id=str(source_id),
        region_code=detail["region_code"],
        detail=detail,
    )


def open_source_engine(
    session: Session,
    *,
    source_id: int,
    region_code: str,
    purpose: Purpose,
    settings: Settings | None = None,
    limits: rules.Limits | None = None,
) -> sa.Engine:
    """An engine on the registered source ``source_id`` for a caller of ``region_code``.

    Checks, in order: the source is visible from ``region_code`` (else NotFound
    ``datasource_not_found``) and enabled (InvalidState ``datasource_disabled``); its fields
    are plain names (SourceRefused); its host resolves only to reachable addresses
    (OutboundRefused, HostUnresolvable) — all before any packet goes to the host. The engine
    connects to the checked address only, with a connect and a statement time limit, read-only
    where the server allows, without a pool (the caller disposes it). Records
    ``datasource.use`` with ``purpose`` in ``session``; nothing is sent to the server until the
    caller connects."""
    settings = settings or get_settings()
    if limits is None:
        config = get_datasource_settings()
        limits = rules.Limits(config.connect_timeout_seconds, config.statement_timeout_seconds)
    source = get_source(session, source_id=source_id, region_code=region_code)
    if not source.enabled:
        raise InvalidState(
            f"数据源“{source.name}”已停用", code="datasource_disabled", detail=source.id
        )
    driver = rules.check_driver(source.driver)
    host = rules.check_host(source.host)
    address = _check_reachable(host, source.port, settings)
    secret = (
        _cipher(settings).decrypt(source.secret_token, context=SECRET_CONTEXT)
        if source.secret_token
        else ""
    )
    spec = rules.connect_spec(
        driver=driver,
        host=host,
        address=address,
        port=source.port,
        database=rules.check_database(source.database),
        username=rules.check_username(source.username),
        secret=secret,
        limits=limits,
    )
    engine = sa.create_engine(spec.url, connect_args=spec.connect_args, poolclass=NullPool)
    if spec.session_statements:
        _run_on_connect(engine, spec)
    audit.record(
        session,
        action="datasource.use",
        object_type="datasource",
        object_id=str(source.id),
        region_code=source.region_code,
        detail={"name": source.name, "purpose": purpose.value, "address": str(address)},
    )
    return engine


def record_refused_use(session: Session, *, source_id: int, purpose: Purpose, code: str) -> None:
    """Record a use of ``source_id`` that :func:`open_source_engine` refused, in a transaction
    other than the refused one (a scheduled pull: the web records its refusals itself)."""
    audit.record(
        session,
        action="datasource.use",
        object_type="datasource",
        object_id=str(source_id),
        outcome="failure",
        detail={"purpose": purpose.value, "code": code},
    )


def _run_on_connect(engine: sa.Engine, spec: rules.ConnectSpec) -> None:
    """MySQL has no connect-time options for these: each new connection runs them first.
    MariaDB spells the statement limit differently (``max_statement_time``, seconds)."""

    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection: Any, _record: Any) -> None:
        info = str(dbapi_connection.get_server_info())
        statements = spec.mariadb_statements if "MariaDB" in info else spec.session_statements
        with closing(dbapi_connection.cursor()) as cursor:
            for statement in statements:
                cursor.execute(statement)


def check_connection(
    session: Session,
    *,
    source_id: int,
    region_code: str,
    settings: Settings | None = None,
) -> ConnectionTestResult:
    """Connect to a source the caller manages and ask its version, within the test time
    limit. A refused source raises (as :func:`open_source_engine`); a server that does not
    answer, or refuses the account, is a result with ``ok`` false and the reason in Chinese."""
    source = get_source(session, source_id=source_id, region_code=region_code)
    _managed(source, region_code)
    config = get_datasource_settings()
    limits = rules.Limits(config.connect_timeout_seconds, config.test_timeout_seconds)
    engine = open_source_engine(
        session,
        source_id=source_id,
        region_code=region_code,
        purpose=Purpose.test,
        settings=settings,
        limits=limits,
    )
    started = time.monotonic()
    try:
        with engine.connect() as conn:
            version = str(conn.exec_driver_sql("SELECT version()").scalar())
    except sa.exc.SQLAlchemyError as exc:
        return ConnectionTestResult(
            ok=False,
            message=f"连接失败：{_reason(exc)}",
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        engine.dispose()
    return ConnectionTestResult(
        ok=True,
        message="连接成功",
        server_version=version[:200],
        elapsed_ms=int((time.monotonic() - started) * 1000),
    )


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return text.splitlines()[0][:300] if text else type(original).__name__
