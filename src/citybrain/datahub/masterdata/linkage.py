"""Record linkage of person records into 人口库 clusters (Splink on DuckDB).

Source records of several departments (``source_record_id``, ``source``, ``name``,
``id_number``, ``birth_date``, ``phone``, ``address``) are normalised, scored pairwise
by the Fellegi-Sunter model of :mod:`~citybrain.datahub.masterdata.linkage_model` on the
pairs produced by three blocking rules (same ID number; same name and birth date; same
phone), and clustered by connected components of the pairs at or above a
match-probability threshold.

``link_person_records`` returns clusters; :func:`citybrain.datahub.masterdata.masters.
link_into_masters` turns them into stable master ids.

Everything runs on the caller's DuckDB connection.  Splink's intermediate tables are
dropped before returning; the output tables are created (replaced) under the names
the caller gives.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from citybrain.datahub.masterdata.linkage_model import (
    LinkageConfig,
    blocking_rules,
    gb11643_valid_sql,
    train,
)

# ruff: noqa: S608  # SQL is composed from table names checked by identifier(); the
# only literals spliced in are a float threshold and quoted configuration strings.

__all__ = [
    "INPUT_TABLE",
    "PERSON_COLUMNS",
    "ClusterResult",
    "cluster_input",
    "identifier",
    "input_columns",
    "link_person_records",
    "prepare_input",
    "quote_literal",
    "row",
    "scalar",
]

INPUT_TABLE = "__cb_link_input"
_EDGES = "__cb_link_edges"
PERSON_COLUMNS = (
    "source_record_id",
    "source",
    "name",
    "id_number",
    "birth_date",
    "phone",
    "address",
)


@dataclass(frozen=True)
class ClusterResult:
    """Where the clusters went, and what it took to compute them."""

    clusters_table: str  # columns: source_record_id, cluster_id
    n_records: int
    n_pairs_scored: int  # blocked pairs that Splink scored (rows of predict() output)
    n_pairs_matched: int  # of those, pairs at or above the threshold
    n_clusters: int
    seconds: dict[str, float]
    model: dict[str, Any]

    def as_dict(self, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """source_record_id → cluster_id (fine for tests; use the table for millions)."""
        rows = con.execute(f"select source_record_id, cluster_id from {self.clusters_table}")
        return {str(r): str(c) for r, c in rows.fetchall()}


def row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The single row of ``sql``.

    Fetches all rows: DuckDB 2 refuses further work on a connection whose last result
    was not read to the end, which ``fetchone()`` leaves it in.
    """
    rows = con.execute(sql).fetchall()
    if len(rows) != 1:
        raise RuntimeError(f"expected one row, got {len(rows)}")
    return tuple(rows[0])


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return row(con, sql)[0]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")


def identifier(name: str) -> str:
    """``name`` if it is a plain (optionally schema-qualified) table name, else ValueError."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain table name: {name!r}")
    return name


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def input_columns(config: LinkageConfig) -> tuple[str, ...]:
    """Columns read from the caller's records: blind-indexed input adds ``id_number_valid``."""
    if config.identifiers_are_blind_indexes:
        return (*PERSON_COLUMNS, "id_number_valid")
    return PERSON_COLUMNS


def prepare_input(con: duckdb.DuckDBPyConnection, select_sql: str, config: LinkageConfig) -> int:
    """Normalise the records of ``select_sql`` (plus an ``is_new`` flag) into INPUT_TABLE.

    Raises ``ValueError`` when ``source_record_id`` repeats.
    """
    address = "regexp_replace(coalesce(address, ''), '\\s', '', 'g')"
    for prefix in config.address_prefixes:
        address = f"regexp_replace({address}, {quote_literal('^' + prefix)}, '')"
    if config.identifiers_are_blind_indexes:
        # Keyed hashes of values normalised before hashing: compared as they are.
        id_number = "nullif(trim(coalesce(id_number, '')), '')"
        phone_sql = "nullif(trim(coalesce(phone, '')), '')"
        raw_valid = ", cast(id_number_valid as boolean) as raw_valid"
        final = (
            "select * exclude (raw_valid),"
            " coalesce(raw_valid, false) and id_number is not null as id_number_valid"
        )
    else:
        id_number = "nullif(upper(regexp_replace(coalesce(id_number, ''), '\\s', '', 'g')), '')"
        phone = "regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')"
        phone_sql = (
            f"nullif(case when length({phone}) = 13 and starts_with({phone}, '86') "
            f"then substr({phone}, 3) else {phone} end, '')"
        )
        raw_valid = ""
        final = f"select *, {gb11643_valid_sql('id_number')} as id_number_valid"
    con.execute(
        f"""
        create or replace temp table {INPUT_TABLE} as
        with raw as ({select_sql}),
        normalised as (
            select
                cast(source_record_id as varchar) as source_record_id,
                cast(source as varchar) as source,
                nullif(regexp_replace(coalesce(name, ''), '[\\s·•.]', '', 'g'), '') as name,
                {id_number} as id_number,
                nullif(trim(cast(birth_date as varchar)), '') as birth_date,
                {phone_sql} as phone,
                nullif({address}, '') as address,
                is_new{raw_valid}
            from raw
        )
        {final}
        from normalised
        """
    )
    n, n_distinct = row(
        con, f"select count(*), count(distinct source_record_id) from {INPUT_TABLE}"
    )
    if n != n_distinct:
        raise ValueError("source_record_id is not unique in the records to link")
    return int(n)


def cluster_input(
    con: duckdb.DuckDBPyConnection,
    *,
    output_table: str,
    config: LinkageConfig,
    existing_edges_sql: str | None,
) -> ClusterResult:
    """Train (unless ``config.trained_model``), score and cluster INPUT_TABLE.

    ``existing_edges_sql`` yields certain edges (id_l, id_r, 1.0) added before clustering;
    with it only pairs touching a new record are scored.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    n_records = int(row(con, f"select count(*) from {INPUT_TABLE}")[0])
    if config.trained_model is not None:
        trained = dict(config.trained_model)
    else:
        # A DuckDBAPI of its own: its cache would still name the training's dropped
        # term-frequency tables.
        trained = train(DuckDBAPI(con), INPUT_TABLE, config)
    seconds["training"] = time.perf_counter() - started

    model = dict(trained)
    model["blocking_rules_to_generate_predictions"] = blocking_rules(
        only_pairs_with_new=existing_edges_sql is not None
    )
    model["retain_matching_columns"] = False
    model["retain_intermediate_calculation_columns"] = False
    db_api = DuckDBAPI(con)
    linker = Linker(
        db_api.register(INPUT_TABLE, table_name="__cb_link_records"),
        model,
        log_level=config.splink_log_level,
    )
    try:
        started = time.perf_counter()
        predictions = linker.inference.predict(warning_mode="never")
        seconds["predict"] = time.perf_counter() - started

        started = time.perf_counter()
        threshold = config.threshold_match_probability
        con.execute(
            f"""
            create or replace temp table {_EDGES} as
            select source_record_id_l, source_record_id_r, match_probability
            from {predictions.physical_name}
            where match_probability >= {threshold!r}
            """
        )
        counts = row(
            con,
            f"select (select count(*) from {predictions.physical_name}), count(*) from {_EDGES}",
        )
        if existing_edges_sql is not None:
            con.execute(f"insert into {_EDGES} {existing_edges_sql}")
        edges = db_api.register(_EDGES, table_name="__cb_link_edges_view")
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(edges)
        con.execute(
            f"""
            create or replace table {output_table} as
            select cast(source_record_id as varchar) as source_record_id,
                   cast(cluster_id as varchar) as cluster_id
            from {clustered.physical_name}
            """
        )
        n_clusters = int(row(con, f"select count(distinct cluster_id) from {output_table}")[0])
        seconds["cluster"] = time.perf_counter() - started
    finally:
        # Splink's table-management helpers are not annotated.
        linker.table_management.delete_tables_created_by_splink_from_db()  # type: ignore[no-untyped-call]
        con.execute(f"drop table if exists {_EDGES}")
    return ClusterResult(
        clusters_table=output_table,
        n_records=n_records,
        n_pairs_scored=int(counts[0]),
        n_pairs_matched=int(counts[1]),
        n_clusters=n_clusters,
        seconds=seconds,
        model=trained,
    )


def _relation_sql(
    con: duckdb.DuckDBPyConnection, records: str | duckdb.DuckDBPyRelation, view: str
) -> str:
    if isinstance(records, str):
        return identifier(records)
    records.create_view(view, replace=True)
    return view


def link_person_records(
    con: duckdb.DuckDBPyConnection,
    *,
    records_table: str | duckdb.DuckDBPyRelation,
    output_table: str = "person_record_cluster",
    config: LinkageConfig | None = None,
) -> ClusterResult:
    """Cluster the person records of ``records_table`` (a table name or relation).

    Creates (replaces) ``output_table`` (source_record_id, cluster_id); every input
    record appears once, singletons in a cluster of their own.  The model is trained on
    these records unless ``config.trained_model`` is given.  Raises ``ValueError`` if
    source_record_id is not unique.
    """
    config = config or LinkageConfig()
    identifier(output_table)
    source = _relation_sql(con, records_table, "__cb_link_source")
    cols = ", ".join(input_columns(config))
    prepare_input(con, f"select {cols}, true as is_new from {source}", config)
    try:
        return cluster_input(con, output_table=output_table, config=config, existing_edges_sql=None)
    finally:
        con.execute(f"drop table if exists {INPUT_TABLE}")
        con.execute("drop view if exists __cb_link_source")
