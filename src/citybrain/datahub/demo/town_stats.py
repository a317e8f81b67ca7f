"""The demo's open dataset 乡镇人口统计 (``<region>-DSJ-001``): the 大数据管理局 derives it from
the 户籍 rows in the hub (``GA-001``) and loads it through the ordinary ingest pipeline, so the
open download has rows and traces to a batch like every other resource.

Counts are one set-based query over the hub (portable SQL: DuckDB or PostgreSQL): a household
is one distinct 户籍地址 (the hub keeps addresses in clear; only ID and phone numbers are
encrypted), the statistics year is the
latest year in which a 户籍 row was updated, and an age is taken on 31 December of that year.
The file is a function of the hub's content, so a second run writes identical bytes and the
batch is a ``duplicate``: nothing changes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, quote, table_name
from citybrain.core.config import Settings
from citybrain.datahub.ingest.schemas import BatchResult
from citybrain.datahub.ingest.service import ingest_file
from citybrain.regions import queries as region_queries

SOURCE_SERIAL = "GA-001"
TARGET_SERIAL = "DSJ-001"
FILE_NAME = "大数据局_乡镇人口统计.csv"
HEADER = ("乡镇代码", "乡镇名称", "统计年度", "户数", "户籍人口数", "男性人口", "女性人口",
          "60岁及以上人口")  # fmt: skip


def town_rows(store: HubStore, *, region: str, towns: dict[str, str]) -> list[list[object]]:
    """One row per town with registered people: code, name, year, households, people, men,
    women, aged 60 and over; in code order. Empty when the 户籍 table was never loaded."""
    table = table_name(f"{region}-{SOURCE_SERIAL}")
    if not store.table_exists(f"{region}-{SOURCE_SERIAL}"):
        return []
    sql = f"""
        WITH year AS (
            SELECT CAST(coalesce(max(extract(year FROM CAST(updated_at AS TIMESTAMP))),
                                 extract(year FROM current_date)) AS INTEGER) AS y
            FROM {quote(table)}
        )
        SELECT town_code, (SELECT y FROM year) AS stat_year,
               count(DISTINCT address) AS households, count(*) AS population,
               count(*) FILTER (WHERE gender = '男') AS male,
               count(*) FILTER (WHERE gender = '女') AS female,
               count(*) FILTER (WHERE CAST(birth_date AS DATE)
                   <= make_date((SELECT y FROM year) - 60, 12, 31)) AS aged_60_plus
        FROM {quote(table)}
        WHERE town_code IS NOT NULL AND town_code <> ''
        GROUP BY town_code ORDER BY town_code
    """  # noqa: S608 - quoted identifiers, no values
    return [
        [code, towns.get(str(code), ""), year, hh, people, male, female, old]
        for code, year, hh, people, male, female, old in store.query(sql)
    ]


def load_town_population(
    session: Session, settings: Settings, *, store: HubStore, folder: Path
) -> BatchResult | None:
    """Write the derived CSV under ``folder`` and ingest it into ``<region>-DSJ-001``; None
    when there is nothing to derive yet. Side effects and errors: those of ``ingest_file``
    (a batch, its quality report, audit records)."""
    region = settings.demo_region
    towns = {r.code: r.name for r in region_queries.children(session, region)}
    rows = town_rows(store, region=region, towns=towns)
    if not rows:
        return None
    path = folder / FILE_NAME
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return ingest_file(
        session, resource_code=f"{region}-{TARGET_SERIAL}", path=path, kind="csv",
        settings=settings, store=store,
    )  # fmt: skip
