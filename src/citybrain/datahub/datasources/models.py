"""Registered data sources (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class Datasource(Base):
    """A database server a department lets the platform read (数据源). ``secret_token`` is the
    password encrypted with the field cipher (context ``datasource.secret``); empty when the
    account needs none."""

    __tablename__ = "datasource"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    driver: Mapped[str] = mapped_column(String(16))  # rules.Driver
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    database: Mapped[str] = mapped_column(String(128))
    username: Mapped[str] = mapped_column(String(128))
    secret_token: Mapped[str] = mapped_column(Text, default="")
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
