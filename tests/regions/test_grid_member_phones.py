"""Grid members' phones are stored encrypted with a blind index, shown masked unless the caller
holds ``pii:unmask`` (security review: ``grid_member.phone`` in clear), and the migration
converts the numbers already stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.migrate import upgrade
from citybrain.iam import roles as role_service
from citybrain.regions import pii
from citybrain.regions.models import GridMember

API = "/api/v1/regions"
PHONE = "13812345678"


def _grid(client: TestClient, headers: dict[str, str]) -> str:
    box = shapely.box(100.80, 38.40, 100.81, 38.41)
    feature = {"type": "Feature", "properties": {"name": "试点网格"}, "geometry": mapping(box)}
    created = client.post(
        f"{API}/620722101001/grids",
        params={"crs": "wgs84"},
        json={"type": "FeatureCollection", "features": [feature]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["created"][0]["code"])


def test_the_phone_is_stored_encrypted_with_a_blind_index(
    client: TestClient, login: Callable[..., dict[str, str]], session: Session
) -> None:
    admin = login("sysadmin", "620722")
    grid = _grid(client, admin)
    added = client.post(
        f"{API}/grids/{grid}/members", json={"name": "张三", "phone": PHONE}, headers=admin
    )
    assert added.status_code == 201, added.text
    assert added.json()["phone"] == "138****5678"
    row = session.execute(select(GridMember).where(GridMember.grid_code == grid)).scalar_one()
    assert row.phone_enc is not None
    assert PHONE not in row.phone_enc
    assert pii.open_phone(row.phone_enc) == PHONE
    # Any spelling of the same number finds the member by its index.
    assert row.phone_bidx == pii.phone_index("+86 138-1234-5678")
    stored = session.execute(text("SELECT * FROM grid_member WHERE id = :id"), {"id": row.id}).one()
    assert all(PHONE not in str(value) for value in stored)


def test_phones_are_masked_unless_the_caller_may_unmask(
    client: TestClient,
    login: Callable[..., dict[str, str]],
    make_user: Callable[..., object],
    sign_in: Callable[[object], dict[str, str]],
    session: Session,
) -> None:
    admin = login("sysadmin", "620722")
    grid = _grid(client, admin)
    client.post(f"{API}/grids/{grid}/members", json={"name": "张三", "phone": PHONE}, headers=admin)
    members = f"{API}/grids/{grid}/members"

    viewer = client.get(members, headers=login("viewer", "620722")).json()
    assert [(m["phone"], m["phone_masked"]) for m in viewer] == [("138****5678", True)]
    assert not session.scalars(
        select(AuditRecord).where(AuditRecord.action == "regions.grid_member.unmask")
    ).all()

    role_service.create_role(
        session, name="grid_pii", title_zh="网格个人信息查看", codes=["regions:read", "pii:unmask"]
    )
    unmasker = sign_in(make_user(roles=["grid_pii"], region_code="620722"))
    clear = client.get(members, headers=unmasker).json()
    assert [(m["phone"], m["phone_masked"]) for m in clear] == [(PHONE, False)]
    (record,) = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "regions.grid_member.unmask")
    ).all()
    assert json.loads(record.detail) == {"phones": 1}


def test_the_migration_encrypts_phones_already_stored(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")  # no FK enforcement: no regions
    upgrade(engine, "20261122_0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO grid_member (grid_code, user_id, name, phone, created_at) VALUES "
                "('620722101001001', NULL, '李四', '13900001111', '2026-01-01 00:00:00'),"
                "('620722101001001', NULL, '王五', NULL, '2026-01-01 00:00:00')"
            )
        )
    upgrade(engine, "head")
    columns = {c["name"] for c in inspect(engine).get_columns("grid_member")}
    assert "phone" not in columns
    assert {"phone_enc", "phone_bidx"} <= columns
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, phone_enc, phone_bidx FROM grid_member ORDER BY name")
        ).all()
    by_name = {r.name: r for r in rows}
    assert pii.open_phone(by_name["李四"].phone_enc) == "13900001111"
    assert by_name["李四"].phone_bidx == pii.phone_index("13900001111")
    assert by_name["王五"].phone_enc is None
    engine.dispose()
