"""应用管理: the applications (boards, screens, reports) that use indicators, who asked for them
and by when. An application belongs to a department of a region; the requester's phone is kept
encrypted (field cipher, context ``indicator_app.phone``) and answered masked."""

from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import BadInput, NotFound, PermissionDenied
from citybrain.core.masking import mask_mobile
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.iam.departments import Department
from citybrain.indicators.models import Indicator, IndicatorApp
from citybrain.indicators.schemas import AppCreate, AppFilter, AppPage, AppRead, AppUpdate
from citybrain.regions.scope import normalise_code

PHONE_CONTEXT = "indicator_app.phone"


def _cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(
        encryption_key=settings.key("field_key"), index_key=settings.key("blind_index_key")
    )


def _visible(scope: Scope):  # type: ignore[no-untyped-def]  # a Select of IndicatorApp
    return select(IndicatorApp).where(
        catalog_scope.owned_by(scope, IndicatorApp.region_code, IndicatorApp.department_code)
    )


def get_app(session: Session, app_id: int, *, scope: Scope) -> IndicatorApp:
    """An application of the caller's region and department; else NotFound
    ``indicator_app_not_found``."""
    row: IndicatorApp | None = session.execute(
        _visible(scope).where(IndicatorApp.id == app_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"应用 {app_id} 不存在", code="indicator_app_not_found", detail=app_id)
    return row


def _references(session: Session, codes: list[str]) -> str:
    wanted = sorted(set(codes))
    found = set(session.execute(select(Indicator.code).where(Indicator.code.in_(wanted))).scalars())
    if missing := [c for c in wanted if c not in found]:
        raise BadInput(
            f"引用的指标不存在: {', '.join(missing)}", code="indicator_not_found", detail=missing
        )
    return json.dumps(wanted, ensure_ascii=False)


def create_app(
    session: Session, *, spec: AppCreate, scope: Scope, settings: Settings
) -> IndicatorApp:
    """Register an application for a department the caller covers. Audited
    ``indicator.app.create`` (never the phone)."""
    department = session.get(Department, spec.department_code)
    if department is None:
        raise BadInput(f"部门 {spec.department_code} 不存在", code="department_not_found")
    region = normalise_code(department.region_code)
    if not scope.covers(region_code=region, department_code=department.code):
        raise PermissionDenied("只能为本辖区、本部门登记应用", code="out_of_scope")
    now = utcnow()
    row = IndicatorApp(
        name=spec.name,
        app_type=spec.app_type,
        description=spec.description,
        references=_references(session, spec.references),
        requester=spec.requester,
        department_code=department.code,
        region_code=region,
        due_on=spec.due_on,
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    _set_phone(row, spec.phone, settings)
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="indicator.app.create",
        object_type="indicator_app",
        object_id=str(row.id),
        region_code=region,
        detail={"name": row.name, "department": row.department_code},
    )
    return row


def _set_phone(row: IndicatorApp, phone: str, settings: Settings) -> None:
    phone = phone.strip()
    row.phone_token = _cipher(settings).encrypt(phone, context=PHONE_CONTEXT) if phone else ""
    row.phone_masked = mask_mobile(phone) if phone else ""


def update_app(
    session: Session, *, app_id: int, changes: AppUpdate, scope: Scope, settings: Settings
) -> IndicatorApp:
    """Change an application; audited ``indicator.app.update`` with the changed field names."""
    row = get_app(session, app_id, scope=scope)
    fields = changes.model_dump(exclude_unset=True)
    for key in ("name", "app_type", "description", "requester", "due_on"):
        if key in fields and fields[key] is not None:
            setattr(row, key, fields[key])
    if changes.references is not None:
        row.references = _references(session, changes.references)
    if changes.phone is not None:
        _set_phone(row, changes.phone, settings)
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="indicator.app.update",
        object_type="indicator_app",
        object_id=str(row.id),
        region_code=row.region_code,
        detail={"fields": sorted(fields)},
    )
    return row


def delete_app(session: Session, *, app_id: int, scope: Scope) -> None:
    row = get_app(session, app_id, scope=scope)
    audit.record(
        session,
        action="indicator.app.delete",
        object_type="indicator_app",
        object_id=str(row.id),
        region_code=row.region_code,
        detail={"name": row.name},
    )
    session.delete(row)
    session.flush()


def list_apps(session: Session, *, filters: AppFilter, page: PageParams, scope: Scope) -> AppPage:
    query = _visible(scope).order_by(IndicatorApp.id.desc())
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(or_(IndicatorApp.name.like(like), IndicatorApp.description.like(like)))
    if filters.department_code:
        query = query.where(IndicatorApp.department_code == filters.department_code)
    rows, total = paginate(session, query, page)
    return AppPage(items=read_many(session, rows), total=total, page=page.page, size=page.size)


def read_many(session: Session, rows: list[IndicatorApp]) -> list[AppRead]:
    names = dict(
        session.execute(
            select(Department.code, Department.name).where(
                Department.code.in_({r.department_code for r in rows})
            )
        ).all()
    )
    return [
        AppRead(
            id=r.id,
            name=r.name,
            app_type=r.app_type,
            description=r.description,
            references=json.loads(r.references or "[]"),
            requester=r.requester,
            phone_masked=r.phone_masked,
            department_code=r.department_code,
            department_name=names.get(r.department_code, ""),
            region_code=r.region_code,
            due_on=r.due_on,
            created_by=r.created_by,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]
