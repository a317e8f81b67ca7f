"""Pydantic shapes and result types of ingestion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from citybrain.core.pagination import Page
from citybrain.datahub.quality.schemas import ReportRead


class BatchStatus(StrEnum):
    queued = "queued"  # 排队中 (uploaded through the web, not started)
    running = "running"  # 归集中
    loaded = "loaded"  # 已入库 (some rows may be quarantined)
    duplicate = "duplicate"  # 重复批次, nothing loaded
    rejected = "rejected"  # 已拒收: the source is unusable
    failed = "failed"  # 失败: error while loading, previous data intact


class BatchOrigin(StrEnum):
    file = "file"  # a file given to the CLI or a service call
    upload = "upload"  # a file uploaded through the web
    pull = "pull"  # a database or HTTP source
    rectification = "rectification"  # rows resubmitted for a rectification order


STATUS_LABELS: dict[str, str] = {
    "queued": "排队中",
    "running": "归集中",
    "loaded": "已入库",
    "duplicate": "重复批次",
    "rejected": "已拒收",
    "failed": "失败",
}


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What one ingest call did. ``loaded_rows`` = inserted + updated hub records."""

    batch_id: int
    resource_code: str
    status: BatchStatus
    row_count: int = 0
    inserted_rows: int = 0
    updated_rows: int = 0
    skipped_rows: int = 0
    quarantined_rows: int = 0
    score: float | None = None
    checksum: str = ""
    report_id: int | None = None
    order_id: int | None = None
    duplicate_of: int | None = None
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def loaded_rows(self) -> int:
        return self.inserted_rows + self.updated_rows


class ProgressRead(BaseModel):
    done: int
    total: int | None
    finished: bool


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_code: str
    department_code: str
    origin: BatchOrigin
    source_kind: str
    source_name: str
    status: BatchStatus
    checksum: str
    row_count: int
    inserted_rows: int
    updated_rows: int
    skipped_rows: int
    quarantined_rows: int
    quarantine_omitted_rows: int = 0  # failed rows counted but not kept (quarantine cap)
    score: float | None
    duplicate_of: int | None
    rectification_order_id: int | None
    error_code: str
    error_message: str
    error_row: int | None
    error_field: str
    created_by: str
    created_at: datetime
    finished_at: datetime | None


class BatchDetail(BatchRead):
    report: ReportRead | None = None
    progress: ProgressRead | None = None


class BatchPage(Page[BatchRead]):
    pass


class BatchFilter(BaseModel):
    resource_code: str | None = None
    department_code: str | None = None
    status: BatchStatus | None = None


class PullRequest(BaseModel):
    """An incremental pull from a table (or one SELECT) of a registered data source."""

    source_id: int | None = Field(None, description="已登记的数据源（数据源管理）")
    url: str | None = Field(
        None,
        description="已停用：连接串一律拒绝（raw_url_refused），须改用 source_id",
        json_schema_extra={"deprecated": True},
    )
    table: str | None = None
    query: str | None = None
    schema_name: str | None = None
    watermark_column: str = Field("", description="只增不减的列，如 更新时间 或 自增 id（必填）")
    mapping: dict[str, str] = Field(default_factory=dict)
    interval_minutes: int | None = Field(None, ge=1, description="设置后按此间隔定时抽取")
