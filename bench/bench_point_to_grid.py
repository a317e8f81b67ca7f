"""Point → grid: citybrain's GridIndex (Shapely 2 STRtree) against a PostGIS ST_Contains join.

Grids: one synthetic grid per real village of 民乐县 620722, 遂宁市 5109 and 涟源市 431382
(2,132 non-overlapping polygons carved from the real county boundaries, as the demo does).
Points: 1,000,000 seeded uniform points in the three areas' bounding boxes, split in
proportion to their grid counts. Both engines answer the same question for every point; a
sample of assignments is compared.

PostGIS is a benchmark-only dependency (Debian: ``apt-get install -y postgresql-15-postgis-3``).
The script creates a scratch database (default ``citybrain_bench``) and drops it afterwards.

    .venv/bin/python bench/bench_point_to_grid.py [--points 1000000] [--dsn postgresql://...]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import psycopg
import shapely

from citybrain.regions import loader
from citybrain.regions.grids import GridIndex, synthetic_cells
from citybrain.regions.scope import Level

AREAS = {"620722": "民乐县", "5109": "遂宁市", "431382": "涟源市"}


def build_grids(data_dir: Path) -> dict[str, list[tuple[str, shapely.Geometry]]]:
    """Per area, (grid code, WGS-84 polygon) for every village."""
    rows = loader.read_divisions(data_dir)
    boundaries = {b.code: b.geometry for b in loader.read_county_boundaries(data_dir)}
    villages: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        if row.level is Level.village:
            villages[str(row.parent_code)].append((row.code, row.name))
    towns: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = defaultdict(list)
    for row in rows:
        if row.level is Level.town:
            towns[str(row.parent_code)].append((row.code, row.name, villages[row.code]))
    grids: dict[str, list[tuple[str, shapely.Geometry]]] = {}
    for area in AREAS:
        cells: list[tuple[str, shapely.Geometry]] = []
        for county in sorted(c for c in towns if c.startswith(area)):
            _, grid_cells = synthetic_cells(boundaries[county], towns[county])
            cells += [(cell.code, cell.geometry) for cell in grid_cells]
        grids[area] = cells
    return grids


def make_points(
    grids: dict[str, list[tuple[str, shapely.Geometry]]], total: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    count = sum(len(cells) for cells in grids.values())
    xs, ys = [], []
    for i, cells in enumerate(grids.values()):
        share = (
            total - sum(len(x) for x in xs) if i == len(grids) - 1 else total * len(cells) // count
        )
        minx, miny, maxx, maxy = shapely.total_bounds([g for _, g in cells])
        xs.append(rng.uniform(minx, maxx, share))
        ys.append(rng.uniform(miny, maxy, share))
    return np.concatenate(xs), np.concatenate(ys)


def time_grid_index(
    items: list[tuple[str, shapely.Geometry]], xs: np.ndarray, ys: np.ndarray, repeat: int
) -> tuple[float, float, np.ndarray, GridIndex]:
    started = time.perf_counter()
    index = GridIndex(items)
    build = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        positions = index.locate_positions(xs, ys)
        runs.append(time.perf_counter() - started)
    return build, statistics.median(runs), positions, index


def _copy(cursor: psycopg.Cursor, table: str, columns: str, lines: io.StringIO) -> None:
    lines.seek(0)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := lines.read(1 << 20):
            copy.write(chunk)


def time_postgis(
    dsn: str,
    database: str,
    items: list[tuple[str, shapely.Geometry]],
    xs: np.ndarray,
    ys: np.ndarray,
    repeat: int,
) -> tuple[float, float, dict[int, str], dict[str, str]]:
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.execute(f"CREATE DATABASE {database}")
    target = psycopg.conninfo.make_conninfo(dsn, dbname=database)
    try:
        with psycopg.connect(target, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            cur.execute("CREATE TABLE grids (code text PRIMARY KEY, geom geometry(Geometry, 4326))")
            cur.execute("CREATE TABLE pts (id integer PRIMARY KEY, geom geometry(Point, 4326))")
            started = time.perf_counter()
            geometries = shapely.set_srid(np.array([g for _, g in items], dtype=object), 4326)
            wkb = shapely.to_wkb(geometries, hex=True, include_srid=True)
            buffer = io.StringIO(
                "".join(f"{c}\t{w}\n" for (c, _), w in zip(items, wkb, strict=True))
            )
            _copy(cur, "grids", "code, geom", buffer)
            points = shapely.set_srid(shapely.points(xs, ys), 4326)
            point_wkb = shapely.to_wkb(points, hex=True, include_srid=True)
            buffer = io.StringIO("".join(f"{i}\t{w}\n" for i, w in enumerate(point_wkb)))
            _copy(cur, "pts", "id, geom", buffer)
            cur.execute("CREATE INDEX grids_geom ON grids USING gist (geom)")
            cur.execute("CREATE INDEX pts_geom ON pts USING gist (geom)")
            cur.execute("VACUUM ANALYZE grids")
            cur.execute("VACUUM ANALYZE pts")
            load = time.perf_counter() - started
            settings = {
                name: str(cur.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in ("server_version", "max_parallel_workers_per_gather", "work_mem")
            }
            settings["postgis"] = str(cur.execute("SELECT postgis_lib_version()").fetchone()[0])  # type: ignore[index]
            plan = cur.execute(
                "EXPLAIN SELECT p.id, g.code FROM pts p JOIN grids g ON ST_Contains(g.geom, p.geom)"
            ).fetchall()
            settings["plan"] = " | ".join(line[0].strip() for line in plan[:4])
            runs = []
            for _ in range(repeat):
                cur.execute("DROP TABLE IF EXISTS assign")
                started = time.perf_counter()
                cur.execute(
                    "CREATE UNLOGGED TABLE assign AS SELECT p.id, g.code"
                    " FROM pts p JOIN grids g ON ST_Contains(g.geom, p.geom)"
                )
                runs.append(time.perf_counter() - started)
            assigned = dict(cur.execute("SELECT id, min(code) FROM assign GROUP BY id").fetchall())
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database}")
    return load, statistics.median(runs), assigned, settings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CITYBRAIN_DATA_DIR", "../shared/data")),
    )
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="citybrain_bench")
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()

    started = time.perf_counter()
    grids = build_grids(args.data_dir)
    items = [item for cells in grids.values() for item in cells]
    per_area = ", ".join(f"{AREAS[a]} {len(c)}" for a, c in grids.items())
    vertices = sum(shapely.get_num_coordinates(g) for _, g in items)
    built = time.perf_counter() - started
    print(
        f"grids: {len(items)} polygons ({per_area}), {vertices:,} vertices, built in {built:.2f} s"
    )
    xs, ys = make_points(grids, args.points, args.seed)
    print(f"points: {len(xs):,} uniform in the three areas' bounding boxes (seed {args.seed})")

    build, elapsed, positions, index = time_grid_index(items, xs, ys, args.repeat)
    inside = int((positions >= 0).sum())
    python_rate = len(xs) / elapsed
    print(
        f"GridIndex (Shapely {shapely.__version__}, GEOS {shapely.geos_version_string}):"
        f" build {build * 1000:.0f} ms; locate_many {elapsed:.3f} s (median of {args.repeat})"
        f" = {python_rate:,.0f} points/s; {inside:,} inside a grid"
    )

    load, pg_elapsed, assigned, settings = time_postgis(
        args.dsn, args.database, items, xs, ys, args.repeat
    )
    pg_rate = len(xs) / pg_elapsed
    workers = settings["max_parallel_workers_per_gather"]
    print(
        f"PostGIS {settings['postgis']} on PostgreSQL {settings['server_version']}"
        f" (max_parallel_workers_per_gather={workers}, work_mem={settings['work_mem']}):"
        f" load+index {load:.1f} s; ST_Contains join {pg_elapsed:.3f} s"
        f" (median of {args.repeat}) = {pg_rate:,.0f} points/s; {len(assigned):,} inside a grid"
    )
    print(f"plan: {settings['plan']}")

    rng = np.random.default_rng(args.seed + 1)
    sample = rng.choice(len(xs), size=min(args.sample, len(xs)), replace=False)
    mismatches = [
        int(i)
        for i in sample
        if (index.codes[positions[i]] if positions[i] >= 0 else None) != assigned.get(int(i))
    ]
    example = f" (e.g. point {mismatches[0]})" if mismatches else ""
    print(
        f"agreement on a sample of {len(sample):,} points:"
        f" {len(sample) - len(mismatches):,} equal, {len(mismatches)} differ{example};"
        f" totals inside: {inside:,} vs {len(assigned):,}"
    )
    print(f"ratio GridIndex / PostGIS: {python_rate / pg_rate:.2f}x points per second")


if __name__ == "__main__":
    main()
