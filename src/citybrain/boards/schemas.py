"""Pydantic shapes of the boards and screens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from citybrain.boards.catalog import BY_CODE


class BoardNavItem(BaseModel):
    """One board in 板块导航."""

    code: str
    name: str
    description: str
    path: str = Field(description="前端地址, 如 /boards/economy-society")
    indicators: int = Field(description="该板块可见的已发布指标数")


class ScreenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="屏端名称, 如 指挥中心主屏")
    region_code: str = Field(min_length=2, max_length=15, description="屏端所看的区划")
    width: int = Field(1920, ge=320, le=16384, description="像素宽")
    height: int = Field(1080, ge=240, le=16384, description="像素高")
    boards: list[str] = Field(min_length=1, max_length=12, description="轮巡的大屏代码 (依次)")
    rotate_seconds: int = Field(60, ge=10, le=86400, description="轮巡间隔 (秒)")
    days: int = Field(730, ge=1, le=730, description="屏端密钥有效期 (天)")

    @field_validator("boards")
    @classmethod
    def _known_boards(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in BY_CODE]
        if unknown:
            raise ValueError(f"未知的大屏: {', '.join(unknown)} (可选: {', '.join(BY_CODE)})")
        return value


class ScreenRead(BaseModel):
    id: int
    name: str
    region_code: str
    region_name: str
    width: int
    height: int
    boards: list[str]
    rotate_seconds: int
    key_prefix: str = Field(description="屏端密钥前缀 (完整密钥只在登记时显示一次)")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ScreenCreated(ScreenRead):
    key: str = Field(description="屏端密钥, 只显示这一次; 大屏地址带 ?key=")
    url: str = Field(description="第一块大屏的地址 (含区划与密钥)")


class BoardRegionValue(BaseModel):
    region_code: str
    region_name: str
    value: float | None
    colour: str | None = Field(None, description="五色: red, orange, yellow, blue, green")


class BoardTrendPoint(BaseModel):
    period: str
    value: float | None


class BoardTile(BaseModel):
    """One indicator on a board: its latest value for the region, the trend, and the children
    ranked for that period (aggregates only)."""

    code: str
    name: str
    unit: str
    set_name: str
    period: str | None = Field(description="最近一期")
    value: float | None
    colour: str | None
    trend: list[BoardTrendPoint] = Field(description="最近 12 期")
    children: list[BoardRegionValue] = Field(description="下级区划在最近一期的数值, 高者在前")


class BoardData(BaseModel):
    code: str
    name: str
    region_code: str
    region_name: str
    tiles: list[BoardTile]
