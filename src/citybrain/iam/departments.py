"""Departments (职能部门 / 委办局): the organisations that own data, handle events and hold users.

A department lives in one region (县公安局 in 620722). Other modules refer to it by ``code`` and
create or read it only through the functions here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.db import Base
from citybrain.core.errors import BadInput, NotFound


class Department(Base):
    __tablename__ = "iam_department"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    short_name: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime]


def ensure_department(
    session: Session, *, code: str, name: str, short_name: str, region_code: str
) -> Department:
    """Create the department if it does not exist (idempotent; audited when created)."""
    if not code.strip() or not name.strip():
        raise BadInput("部门编码和名称不能为空", code="bad_department")
    existing = session.get(Department, code)
    if existing is not None:
        return existing
    department = Department(
        code=code, name=name, short_name=short_name, region_code=region_code, created_at=utcnow()
    )
    session.add(department)
    audit.record(
        session, action="iam.department.create", object_type="department", object_id=code,
        region_code=region_code, detail={"name": name},
    )  # fmt: skip
    session.flush()
    return department


def get_department(session: Session, code: str) -> Department:
    department = session.get(Department, code)
    if department is None:
        raise NotFound(f"部门不存在: {code}", code="department_not_found", detail=code)
    return department


def list_departments(session: Session, *, region_prefix: str = "") -> list[Department]:
    query = select(Department).order_by(Department.code)
    if region_prefix:
        query = query.where(Department.region_code.startswith(region_prefix))
    return list(session.execute(query).scalars())
