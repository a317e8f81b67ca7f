"""Pydantic shapes of data sources. The password goes in (``secret``) and never comes out:
a read says only whether one is set (``secret_set``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from citybrain.core.pagination import Page

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Port = Annotated[int, Field(ge=1, le=65535)]
Secret = Annotated[SecretStr, Field(json_schema_extra={"writeOnly": True})]


class DatasourceCreate(BaseModel):
    """``driver`` is ``postgresql`` or ``mysql`` (MySQL and MariaDB); anything else is refused
    by the service with ``driver_not_allowed``. ``region_code`` defaults to the caller's."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Name
    driver: Short
    host: Short
    port: Port | None = Field(None, description="默认 PostgreSQL 5432、MySQL 3306")
    database: Short
    username: Short
    secret: Secret | None = Field(None, description="密码，只写不读")
    region_code: str | None = Field(None, description="所属行政区划，默认本人所在区划")
    description: Description = ""
    enabled: bool = True


class DatasourceUpdate(BaseModel):
    """Only the fields given change. ``secret``: a new password; an empty one clears it;
    leaving it out keeps the stored one."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Name | None = None
    host: Short | None = None
    port: Port | None = None
    database: Short | None = None
    username: Short | None = None
    secret: Secret | None = Field(None, description="新密码；空串清除；不传则不变")
    description: Description | None = None
    enabled: bool | None = None


class DatasourceRead(BaseModel):
    id: int
    name: str
    driver: str
    driver_label: str
    host: str
    port: int
    database: str
    username: str
    secret_set: bool = Field(description="是否已设置密码（密码本身从不返回）")
    region_code: str
    region_name: str
    description: str
    enabled: bool
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class DatasourcePage(Page[DatasourceRead]):
    pass


class DatasourceFilter(BaseModel):
    q: str | None = Field(None, description="名称或主机包含")
    driver: str | None = None
    enabled: bool | None = None


class DatasourceOption(BaseModel):
    """A source as the pull dialog offers it: enabled, visible to the caller."""

    id: int
    name: str
    driver_label: str
    region_name: str


class ConnectionTestResult(BaseModel):
    ok: bool
    message: str = Field(description="结果说明（中文）")
    server_version: str | None = None
    elapsed_ms: int
