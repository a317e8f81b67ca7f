"""The demo's indicator values as open datasets: one catalog resource per board (大数据管理局,
无条件开放), its rows the current values of the board's published indicators by region and
period, loaded through the ordinary ingest pipeline so the open catalog lists them and their
download is a CSV. Aggregates only: no person data. Idempotent: the same values write the
same bytes, and the batch is a ``duplicate``.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service as catalog_service
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.ingest.service import ingest_file
from citybrain.iam.departments import ensure_department
from citybrain.indicators.models import Indicator, IndicatorBoard, IndicatorSet, IndicatorValue
from citybrain.regions import queries as region_queries

# board code → (resource serial under 大数据管理局, dataset name)
BOARD_DATASETS = {
    "zwfw": ("201", "政务服务和效能指标"),
    "jjshfz": ("202", "经济和社会发展指标"),
    "yjzh": ("203", "应急指挥调度指标"),
    "syzl": ("204", "三源治理指标"),
}
ITEMS = (
    ("record_key", "记录编号", "string", "指标代码|区划代码|统计期"),
    ("indicator_code", "指标代码", "string", ""),
    ("indicator_name", "指标名称", "string", ""),
    ("unit", "计量单位", "string", ""),
    ("region_code", "区划代码", "string", "县或乡镇"),
    ("region_name", "区划名称", "string", ""),
    ("period", "统计期", "string", "月 2024-06 或季度 2024Q2"),
    ("value", "指标值", "decimal", "比率类为分子合计 ÷ 分母合计"),
    ("synthetic", "合成数据", "boolean", "演示用合成数据, 非真实统计"),
)


def dataset_code(region: str, board: str) -> str:
    return f"{region}-DSJ-{BOARD_DATASETS[board][0]}"


def _register(session: Session, region: str, board: str, board_name: str) -> None:
    code = dataset_code(region, board)
    if catalog_service.find_resource(session, code) is not None:
        return
    spec = ResourceCreate.model_validate(
        {
            "code": code, "name": BOARD_DATASETS[board][1], "provider_code": f"{region}-DSJ",
            "category": "theme", "share_type": "unconditional", "share_method": "file",
            "open_attribute": "open", "update_cycle": "monthly", "key_item": "record_key",
            "summary": f"合成数据: {board_name}板块已发布指标的全县与各乡镇月度、季度值",
            "released_on": date(2024, 7, 1),
            "items": [
                {"name": n, "title": t, "type": ty, "length": None, "sensitivity": "public",
                 "mask": "none", "description": d}
                for n, t, ty, d in ITEMS
            ],
        }
    )  # fmt: skip
    catalog_service.register_resource(session, spec=spec, scope=Scope.system())


def board_rows(session: Session, board: str, names: dict[str, str]) -> list[list[object]]:
    """Current values of the board's published indicators, sorted by code, region, period."""
    query = (
        select(Indicator.code, Indicator.name, Indicator.unit, IndicatorValue.region_code,
               IndicatorValue.period, IndicatorValue.value)
        .join(IndicatorValue, IndicatorValue.indicator_id == Indicator.id)
        .join(IndicatorSet, IndicatorSet.id == Indicator.set_id)
        .join(IndicatorBoard, IndicatorBoard.id == IndicatorSet.board_id)
        .where(IndicatorBoard.code == board, Indicator.status == "published",
               IndicatorValue.current.is_(True))
        .order_by(Indicator.code, IndicatorValue.region_code, IndicatorValue.period)
    )  # fmt: skip
    return [
        [f"{code}|{region}|{period}", code, name, unit, region, names.get(region, ""), period,
         "" if value is None else repr(round(value, 4)), "true"]
        for code, name, unit, region, period, value in session.execute(query)
    ]  # fmt: skip


def publish_board_datasets(
    session: Session, settings: Settings, *, store: HubStore
) -> dict[str, str]:
    """Register and load one open dataset per demo board; resource code → batch status.
    Side effects: the 大数据管理局 department and resources (audited), CSV files under
    ``<home>/demo/derived``, ingest batches. Errors: those of ``ingest_file``."""
    region = settings.demo_region
    county = region_queries.name_of(session, region)
    ensure_department(
        session,
        code=f"{region}-DSJ",
        name=f"{county}大数据管理局",
        short_name="大数据",
        region_code=region,
    )
    names = {region: county}
    names.update({r.code: r.name for r in region_queries.children(session, region)})
    boards = dict(session.execute(select(IndicatorBoard.code, IndicatorBoard.name)).all())
    folder = settings.home / "demo" / "derived"
    folder.mkdir(parents=True, exist_ok=True)
    statuses: dict[str, str] = {}
    for board, (_, title) in BOARD_DATASETS.items():
        if board not in boards:
            continue
        _register(session, region, board, boards[board])
        path = _write(folder / f"大数据局_{title}.csv", board_rows(session, board, names))
        result = ingest_file(
            session, resource_code=dataset_code(region, board), path=path, kind="csv",
            settings=settings, store=store,
        )  # fmt: skip
        statuses[dataset_code(region, board)] = result.status.value
    return statuses


def _write(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([title for _, title, _, _ in ITEMS])
        writer.writerows(rows)
    return path
