from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybrain.core.db import Base


class CatalogResource(Base):
    """The current version of a resource (信息资源). Every version, the current one included,
    is also kept in ``catalog_resource_version`` as a JSON snapshot with who made it."""

    __tablename__ = "catalog_resource"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # 信息资源代码
    name: Mapped[str] = mapped_column(String(200))
    provider_code: Mapped[str] = mapped_column(ForeignKey("iam_department.code"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16))  # enums.ResourceCategory
    format: Mapped[str] = mapped_column(String(32), default="数据库")
    share_type: Mapped[str] = mapped_column(String(16))  # enums.ShareType
    share_condition: Mapped[str] = mapped_column(Text, default="")  # 有条件共享的条件
    share_basis: Mapped[str] = mapped_column(Text, default="")  # 不予共享的依据
    share_method: Mapped[str] = mapped_column(String(16))  # enums.ShareMethod
    open_attribute: Mapped[str] = mapped_column(String(16))  # enums.OpenAttribute
    update_cycle: Mapped[str] = mapped_column(String(16), default="monthly")  # enums.UpdateCycle
    released_on: Mapped[date | None]
    related_codes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of codes
    key_item: Mapped[str] = mapped_column(String(64), default="")  # business key for upserts
    version_item: Mapped[str] = mapped_column(String(64), default="")  # record version column
    status: Mapped[str] = mapped_column(String(16), default="active")  # enums.ResourceStatus
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]
    items: Mapped[list[CatalogItem]] = relationship(
        back_populates="resource", order_by="CatalogItem.position", cascade="all, delete-orphan"
    )


class CatalogItem(Base):
    """A data item (信息项) of a resource."""

    __tablename__ = "catalog_item"
    __table_args__ = (UniqueConstraint("resource_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))  # column name in the hub (English or pinyin)
    title: Mapped[str] = mapped_column(String(128))  # 中文名称, also the source header
    type: Mapped[str] = mapped_column(String(16))  # enums.ItemType
    length: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")
    sensitivity: Mapped[str] = mapped_column(String(16))  # enums.Sensitivity
    mask: Mapped[str] = mapped_column(String(16), default="none")  # enums.MaskKind
    resource: Mapped[CatalogResource] = relationship(back_populates="items")


class CatalogResourceVersion(Base):
    """One version of a resource as it was registered or changed (JSON of fields and items)."""

    __tablename__ = "catalog_resource_version"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)  # JSON of the resource and its items
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime]


class CatalogDemand(Base):
    """供需对接清单: a department's registered data need, matched by the bureau to resources."""

    __tablename__ = "catalog_demand"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_code: Mapped[str] = mapped_column(ForeignKey("iam_department.code"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)  # the requester's region
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    wanted_items: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of item titles
    status: Mapped[str] = mapped_column(String(16), default="open")  # enums.DemandStatus
    matched_resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id"))
    match_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
