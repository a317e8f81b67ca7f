from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from citybrain.regions.geo import Crs
from citybrain.regions.models import Region
from citybrain.regions.scope import Level


class RegionRead(BaseModel):
    code: str = Field(description="规范代码: 省 2 位, 市 4, 县 6, 乡镇 9, 村 12, 网格 15")
    name: str
    level: Level
    parent_code: str | None
    parent_name: str | None = Field(None, description="上级区划名称")
    has_children: bool
    properties: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(
        cls, region: Region, *, has_children: bool, parent_name: str | None = None
    ) -> RegionRead:
        return cls(
            code=region.code,
            name=region.name,
            level=Level(region.level),
            parent_code=region.parent_code,
            parent_name=parent_name,
            has_children=has_children,
            properties=region.props,
        )

    @classmethod
    def of_row(cls, row: Mapping[Any, Any], *, parent_name: str | None = None) -> RegionRead:
        """From a row of :func:`citybrain.regions.queries.children_rows`."""
        properties = json.loads(row["properties"] or "{}")
        return cls(
            code=row["code"],
            name=row["name"],
            level=Level(row["level"]),
            parent_code=row["parent_code"],
            parent_name=parent_name,
            has_children=bool(row["has_children"]),
            properties=properties if isinstance(properties, dict) else {},
        )


class RegionPathItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: Level


class GridImportResult(BaseModel):
    created: list[RegionRead]
    updated: list[RegionRead]


class GridMemberCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="网格员姓名")
    user_id: int | None = Field(None, description="iam 用户 id (可空: 尚无账号的网格员)")
    phone: str | None = Field(None, max_length=32, description="联系电话")


class GridMemberRead(BaseModel):
    id: int
    grid_code: str
    user_id: int | None
    name: str
    phone: str | None = Field(description="联系电话; 无 pii:unmask 权限时脱敏 (138****0000)")
    phone_masked: bool = True
    created_at: datetime


class GeoFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str | None = None
    properties: dict[str, Any]
    geometry: dict[str, Any] | None


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    crs_name: Crs = Field(description="坐标系: gcj02 (高德/ECharts 底图) 或 wgs84")
    features: list[GeoFeature]


class LocateRead(BaseModel):
    lng: float
    lat: float
    crs: Crs
    grid: RegionRead | None = Field(description="所在网格; 不在任何网格内或超出管辖范围时为空")
