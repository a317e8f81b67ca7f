"""``load_stats_demo``: the synthetic statistics (合成数据) written as the departments' CSV files
and ingested through the ordinary data-hub pipeline (a batch, a quality report, hub rows).

The towns come from the region tables (the county's children). Files are a function of the seed
and the towns, so a second load writes identical bytes, every batch is a ``duplicate`` and the
hub does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.datahub.demo import stats_economy, stats_safety, stats_services, stats_social
from citybrain.datahub.demo.stats_catalog import (
    BUDGET,
    CASES,
    ECONOMY,
    EMPLOYMENT,
    GOVERNANCE,
    HEALTH,
    HOTLINE,
    SAFETY,
    SCHOOLS,
    StatsResource,
    seed_stats_catalog,
)
from citybrain.datahub.demo.stats_common import Town, towns_with_weights, write_csv
from citybrain.datahub.ingest.service import ingest_file
from citybrain.regions import queries as region_queries

DEFAULT_SEED = 620722
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class StatsTable:
    resource: StatsResource
    rows: list[tuple[object, ...]]


def generate_tables(towns: Sequence[Town], seed: int, *, scale: float = 1.0) -> list[StatsTable]:
    """Every synthetic table; ``scale`` multiplies the record tables (办件, 12345, events)."""
    return [
        StatsTable(ECONOMY, stats_economy.economy_rows(towns, seed)),
        StatsTable(BUDGET, stats_economy.budget_rows(towns, seed)),
        StatsTable(EMPLOYMENT, stats_economy.employment_rows(towns, seed)),
        StatsTable(SCHOOLS, stats_social.school_rows(towns, seed)),
        StatsTable(HEALTH, stats_social.health_rows(towns, seed)),
        StatsTable(CASES, stats_services.case_rows(towns, seed, scale=scale)),
        StatsTable(HOTLINE, stats_services.hotline_rows(towns, seed, scale=scale)),
        StatsTable(SAFETY, stats_safety.event_rows(towns, seed, scale=scale)),
        StatsTable(GOVERNANCE, stats_safety.matter_rows(towns, seed, scale=scale)),
    ]


def demo_towns(session: Session, region: str, seed: int = DEFAULT_SEED) -> list[Town]:
    return towns_with_weights(
        [(r.code, r.name) for r in region_queries.children(session, region)], seed
    )


def load_stats_demo(
    session: Session,
    settings: Settings,
    *,
    store: HubStore,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> dict[str, str]:
    """Register, write and ingest the synthetic tables of ``settings.demo_region``; resource
    code → batch status. Side effects: departments and resources (audited), files under
    ``<home>/demo/stats``, one ingest batch per file. Errors: those of ``ingest_file``."""
    report = progress or (lambda step, done, total: None)
    region = settings.demo_region
    seed_stats_catalog(session, region)
    folder = settings.home / "demo" / "stats"
    folder.mkdir(parents=True, exist_ok=True)
    statuses: dict[str, str] = {}
    for table in generate_tables(demo_towns(session, region, seed), seed, scale=scale):
        code = table.resource.code(region)
        step = f"ingest {code}"
        report(step, 0, None)
        path = write_csv(folder / table.resource.file_name, table.resource.header, table.rows)

        def bar(done: int, total: int | None, step: str = step) -> None:
            report(step, done, total)

        result = ingest_file(
            session, resource_code=code, path=path, kind="csv", settings=settings, store=store,
            progress=bar,
        )  # fmt: skip
        statuses[code] = result.status.value
    return statuses


def stats_folder(settings: Settings) -> Path:
    return settings.home / "demo" / "stats"
