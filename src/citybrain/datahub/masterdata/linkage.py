"""Record linkage of person records into 人口库 clusters (Splink on DuckDB).

Source records of several departments (``source_record_id``, ``source``, ``name``,
``id_number``, ``birth_date``, ``phone``, ``address``) are normalised, scored pairwise
by the Fellegi-Sunter model of :mod:`~citybrain.datahub.masterdata.linkage_model` on the
pairs produced by three blocking rules (same ID number; same name and birth date; same
phone), and clustered (:mod:`~citybrain.datahub.masterdata.clustering`) by connected
components of the pairs whose match weight reaches the link threshold. Pairs between the
review and the link threshold are the *band*: kept for the stewards' review queue when the
caller asks for them, and counted for the drift check.

``link_person_records`` returns clusters; :func:`citybrain.datahub.masterdata.masters.
link_into_masters` turns them into stable master ids.

Everything runs on the caller's DuckDB connection.  Splink's intermediate tables are
dropped before returning; the output tables are created (replaced) under the names
the caller gives.  Splink identifies records by an integer ``rid`` given in
:func:`prepare_input` (integer joins block faster than strings, and the clustering works on
integer node numbers); the stored model keeps naming ``source_record_id``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
from splink import DuckDBAPI, Linker

from citybrain.datahub.masterdata.clustering import cluster_labels
from citybrain.datahub.masterdata.linkage_model import (
    LinkageConfig,
    blocking_rules,
    gb11643_valid_sql,
    train,
)

# ruff: noqa: S608  # SQL is composed from table names checked by identifier(); the
# only literals spliced in are float thresholds and quoted configuration strings.

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
_SCORED = "__cb_link_scored"
_LABELS = "__cb_link_labels"
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
    n_pairs_matched: int  # of those, pairs at or above the link threshold
    n_pairs_band: int  # of those, pairs from the review threshold up to the link threshold
    n_clusters: int
    seconds: dict[str, float]
    model: dict[str, Any]

    @property
    def band_share(self) -> float:
        """The share of scored pairs in the band (the drift check's measure)."""
        return self.n_pairs_band / self.n_pairs_scored if self.n_pairs_scored else 0.0

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
    """Normalise the records of ``select_sql`` (plus an ``is_new`` flag) into INPUT_TABLE,
    numbered ``rid`` 0 … n-1.

    Raises ``ValueError`` when ``source_record_id`` repeats.
    """
    address = "regexp_replace(coalesce(address, ''), '\\s', '', 'g')"
    if config.address_prefixes:
        # One pass: each prefix in turn, as if stripped one after another.
        optional = "".join(f"({re.escape(prefix)})?" for prefix in config.address_prefixes)
        address = f"regexp_replace({address}, {quote_literal('^' + optional)}, '')"
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
        select (row_number() over () - 1)::bigint as rid, * from ({final} from normalised)
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
    certain_edges_sql: str | None,
    apart: Sequence[tuple[int, int]] = (),
    band_table: str | None = None,
    name_frequencies_table: str | None = None,
) -> ClusterResult:
    """Train (unless ``config.trained_model``), score and cluster INPUT_TABLE.

    ``certain_edges_sql`` yields (rid_l, rid_r) pairs joined before anything else (records of
    one existing master); with it only pairs touching a record flagged ``is_new`` are scored.
    ``apart`` holds rid pairs that must not end in one cluster. ``band_table``, when given,
    receives the band pairs (source_record_id_l, source_record_id_r, match_weight,
    match_probability). ``name_frequencies_table`` (name, tf_name) replaces the name term
    frequencies Splink would otherwise count in the input: a small batch must be scored with
    the population's frequencies.
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
    model["unique_id_column_name"] = "rid"
    model["blocking_rules_to_generate_predictions"] = blocking_rules(
        only_pairs_with_new=certain_edges_sql is not None
    )
    model["retain_matching_columns"] = False
    model["retain_intermediate_calculation_columns"] = False
    db_api = DuckDBAPI(con)
    linker = Linker(
        db_api.register(INPUT_TABLE, table_name="__cb_link_records"),
        model,
        log_level=config.splink_log_level,
    )
    link, review = float(config.link_match_weight), float(config.review_match_weight)
    try:
        if name_frequencies_table is not None:
            linker.table_management.register_term_frequency_lookup(
                db_api.register(identifier(name_frequencies_table)), "name"
            )
        started = time.perf_counter()
        predictions = linker.inference.predict(warning_mode="never")
        con.execute(
            f"""
            create or replace temp table {_SCORED} as
            select rid_l, rid_r, match_weight, match_probability
            from {predictions.physical_name}
            where match_weight >= {review!r}
            """
        )
        n_scored = int(row(con, f"select count(*) from {predictions.physical_name}")[0])
        seconds["predict"] = time.perf_counter() - started

        started = time.perf_counter()
        n_matched, n_band = row(
            con,
            f"select count(*) filter (where match_weight >= {link!r}),"
            f" count(*) filter (where match_weight < {link!r}) from {_SCORED}",
        )
        edges_sql = (
            f"select rid_l, rid_r, match_weight from {_SCORED} where match_weight >= {link!r}"
        )
        if certain_edges_sql is not None:
            edges_sql += f" union all select *, 'inf'::double from ({certain_edges_sql})"
        edges = con.execute(edges_sql).fetchnumpy()
        labels = cluster_labels(
            n_records,
            np.asarray(edges["rid_l"], dtype=np.int64),
            np.asarray(edges["rid_r"], dtype=np.int64),
            np.asarray(edges["match_weight"], dtype=np.float64),
            apart=apart,
        )
        con.register(_LABELS, pa.table({"rid": np.arange(n_records), "label": labels}))
        con.execute(
            f"""
            create or replace table {output_table} as
            select i.source_record_id, cast(l.label as varchar) as cluster_id
            from {INPUT_TABLE} i join {_LABELS} l using (rid)
            """
        )
        con.unregister(_LABELS)
        n_clusters = int(np.count_nonzero(np.bincount(labels))) if n_records else 0
        if band_table is not None:
            con.execute(
                f"""
                create or replace table {identifier(band_table)} as
                select l.source_record_id as source_record_id_l,
                       r.source_record_id as source_record_id_r,
                       s.match_weight, s.match_probability
                from {_SCORED} s
                join {INPUT_TABLE} l on l.rid = s.rid_l
                join {INPUT_TABLE} r on r.rid = s.rid_r
                where s.match_weight < {link!r}
                """
            )
        seconds["cluster"] = time.perf_counter() - started
    finally:
        # Splink's table-management helpers are not annotated.
        linker.table_management.delete_tables_created_by_splink_from_db()  # type: ignore[no-untyped-call]
        con.execute(f"drop table if exists {_SCORED}")
    return ClusterResult(
        clusters_table=output_table,
        n_records=n_records,
        n_pairs_scored=n_scored,
        n_pairs_matched=int(n_matched),
        n_pairs_band=int(n_band),
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
        return cluster_input(con, output_table=output_table, config=config, certain_edges_sql=None)
    finally:
        con.execute(f"drop table if exists {INPUT_TABLE}")
        con.execute("drop view if exists __cb_link_source")
