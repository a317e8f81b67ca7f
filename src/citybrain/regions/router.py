"""HTTP adapters for regions: every route loads its region through a scope-checking
dependency, calls one query or command, and answers a schema."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, status

from citybrain.core.pagination import RowId
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession, single_hop
from citybrain.regions import geo, queries, service
from citybrain.regions.dependencies import (
    CodePath,
    GridInScope,
    RegionInScope,
    check_in_scope,
    scope_of,
)
from citybrain.regions.schemas import (
    FeatureCollection,
    GridImportResult,
    GridMemberCreate,
    GridMemberRead,
    LocateRead,
    RegionPathItem,
    RegionRead,
)

router = APIRouter(prefix="/api/v1/regions", tags=["regions"])

UNMASK_PERMISSION = "pii:unmask"
CanRead = Annotated[Principal, Depends(require("regions:read"))]
CanManage = Annotated[Principal, Depends(require("regions:manage"))]
CrsQuery = Annotated[geo.Crs, Query(description="坐标系: gcj02 (默认, 高德/ECharts) 或 wgs84")]
ImportCrsQuery = Annotated[geo.Crs, Query(description="上传文件的坐标系, 默认 wgs84 (RFC 7946)")]


@router.get("/locate", summary="定位所在网格", response_model=LocateRead)
def locate(
    session: DbSession,
    principal: CanRead,
    lng: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: CrsQuery = geo.Crs.gcj02,
) -> LocateRead:
    """点位所在网格 (网格之外或超出管辖范围时 grid 为空)."""
    grid = queries.grid_at_in_scope(session, lng, lat, crs=crs, scope=scope_of(principal))
    read = None if grid is None else RegionRead.of(grid, has_children=False)
    return LocateRead(lng=lng, lat=lat, crs=crs, grid=read)


@router.get("/grids/{code}/members", summary="列出网格员", response_model=list[GridMemberRead])
def list_grid_members(
    session: DbSession, grid: GridInScope, principal: CanRead
) -> list[GridMemberRead]:
    """网格员名单; 联系电话脱敏显示, 持有 pii:unmask 权限者可见原文 (记入审计)."""
    return service.read_grid_members(
        session, grid_code=grid.code, unmask=principal.has(UNMASK_PERMISSION)
    )


@router.post(
    "/grids/{code}/members",
    summary="添加网格员",
    description=(
        "为本辖区内的网格添加网格员 (姓名、联系电话加密保存); 返回新网格员 (电话脱敏)。"
        "超出管辖范围 403 out_of_scope; 姓名或电话不合规 422 bad_member; 该用户已是网格员 409 "
        "grid_member_exists。"
    ),
    response_model=GridMemberRead,
    status_code=status.HTTP_201_CREATED,
)
def add_grid_member(
    session: DbSession, grid: GridInScope, _: CanManage, body: GridMemberCreate
) -> GridMemberRead:
    member = service.add_grid_member(
        session, grid_code=grid.code, name=body.name, user_id=body.user_id, phone=body.phone
    )
    return service.member_read(member, unmask=False)


@router.delete(
    "/grids/{code}/members/{member_id}",
    summary="移除网格员",
    description=(
        "从网格移除一名网格员, 记入审计; 超出管辖范围 403 out_of_scope, 网格员不存在 404 "
        "grid_member_not_found。"
    ),
    status_code=status.HTTP_204_NO_CONTENT,
)
def remove_grid_member(
    session: DbSession, grid: GridInScope, _: CanManage, member_id: RowId
) -> None:
    service.remove_grid_member(session, grid_code=grid.code, member_id=member_id)


@router.get(
    "/{code}",
    summary="查看区划",
    description=(
        "本账号管辖范围内一个行政区划的名称、级别与上级; 超出管辖范围 403 out_of_scope, 不存在 404 "
        "region_not_found。"
    ),
    response_model=RegionRead,
)
def read_region(session: DbSession, region: RegionInScope, _: CanRead) -> RegionRead:
    has_children = region.code in queries.codes_with_children(session, [region.code])
    parent = queries.names_of(session, [region.parent_code or ""]).get(region.parent_code or "")
    return RegionRead.of(region, has_children=has_children, parent_name=parent)


@router.get(
    "/{code}/children",
    summary="下级区划",
    description="该区划的直接下级区划列表 (如县下的乡镇街道), 供逐级选择。",
    response_model=list[RegionRead],
)
@single_hop
def read_children(session: DbSession, code: CodePath, principal: CanRead) -> list[RegionRead]:
    # Checked and read here, not by RegionInScope: one hop to a worker thread, not two, and
    # one query: the scope is checked before the lookup, as RegionInScope does.
    rows = queries.children_rows(session, check_in_scope(code, principal))
    return [RegionRead.of_row(row, parent_name=row["parent_name"]) for row in rows]


@router.get("/{code}/path", summary="区划路径", response_model=list[RegionPathItem])
def read_path(
    session: DbSession, region: RegionInScope, principal: CanRead
) -> list[RegionPathItem]:
    """从本账号管辖区划到该区划的路径 (面包屑)."""
    rows = queries.path(session, region.code, below=scope_of(principal))
    return [RegionPathItem.model_validate(r) for r in rows]


@router.get("/{code}/geojson", summary="区划边界 (GeoJSON)", response_model=FeatureCollection)
def read_geojson(
    session: DbSession,
    region: RegionInScope,
    _: CanRead,
    crs: CrsQuery = geo.Crs.gcj02,
    grids: Annotated[bool, Query(description="同时返回其下全部网格 (乡镇地图一次取齐)")] = False,
) -> dict[str, Any]:
    """该区划及其下级的边界 (ECharts registerMap 可直接使用)."""
    return queries.feature_collection(session, region.code, crs=crs, grids=grids)


@router.post(
    "/{code}/grids",
    summary="导入网格",
    response_model=GridImportResult,
    status_code=status.HTTP_201_CREATED,
)
def import_grids(
    session: DbSession,
    region: RegionInScope,
    _: CanManage,
    geojson: Annotated[dict[str, Any], Body(description="GeoJSON FeatureCollection")],
    crs: ImportCrsQuery = geo.Crs.wgs84,
    tolerance_m: Annotated[float, Query(ge=0, le=1000)] = 50.0,
) -> GridImportResult:
    """导入网格面 (全部校验通过才写入)."""
    result = service.import_grids(
        session, village_or_town_code=region.code, geojson=geojson, tolerance_m=tolerance_m, crs=crs
    )
    return GridImportResult(
        created=[RegionRead.of(r, has_children=False) for r in result.created],
        updated=[RegionRead.of(r, has_children=False) for r in result.updated],
    )
