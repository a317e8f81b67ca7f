"""``load_stats_demo``: the synthetic statistics (合成数据) written as the departments' CSV files
and ingested through the ordinary data-hub pipeline (a batch, a quality report, hub rows).

The towns come from the region tables (the county's children). Files are a function of the seed
and the towns (a manifest records both; a second load reuses the files), so every batch of a
second load is a ``duplicate`` and the hub does not change.
"""

from __future__ import annotations

import json
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
    STATS_RESOURCES,
    StatsResource,
    seed_stats_catalog,
)
from citybrain.datahub.demo.stats_common import Town, towns_with_weights, write_csv
from citybrain.datahub.ingest.service import ingest_file
from citybrain.regions import queries as region_queries

DEFAULT_SEED = 620722
MANIFEST = "manifest.json"
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
    folder = stats_folder(settings)
    towns = demo_towns(session, region, seed)
    paths = _written(folder, towns, seed, scale)
    statuses: dict[str, str] = {}
    for resource, path in paths:
        code = resource.code(region)
        step = f"ingest {code}"
        report(step, 0, None)

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


def _written(
    folder: Path, towns: Sequence[Town], seed: int, scale: float
) -> list[tuple[StatsResource, Path]]:
    """The source files, written now or, when the manifest names the same seed, scale and
    towns and every file is there, reused as they are (generating takes seconds)."""
    wanted = {"seed": seed, "scale": scale, "towns": [t.code for t in towns], "format": 1}
    manifest = folder / MANIFEST
    paths = [(r, folder / r.file_name) for r in STATS_RESOURCES]
    present = manifest.exists() and all(p.exists() for _, p in paths)
    if present and json.loads(manifest.read_text("utf-8")) == wanted:
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    for table in generate_tables(towns, seed, scale=scale):
        write_csv(folder / table.resource.file_name, table.resource.header, table.rows)
    manifest.write_text(json.dumps(wanted), "utf-8")
    return paths
