"""Stable master ids: linking new person records into existing masters, and merges.

Clusters from :mod:`~citybrain.datahub.masterdata.linkage` become masters: existing masters
keep their ids, clusters that join two masters merge them into the smallest id (the others
are reported as retired), and only clusters without any assigned record get a newly minted
id. Everything runs on the caller's DuckDB connection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.datahub.masterdata.linkage import (
    INPUT_TABLE,
    ClusterResult,
    cluster_input,
    identifier,
    input_columns,
    prepare_input,
    quote_literal,
    scalar,
)
from citybrain.datahub.masterdata.linkage_model import LinkageConfig

# ruff: noqa: S608  # SQL is composed from table names checked by identifier(); the
# only literals spliced in are integers and quoted configuration strings.

__all__ = ["LinkResult", "MasterMerge", "link_into_masters"]


@dataclass(frozen=True)
class MasterMerge:
    retired_master_id: str
    surviving_master_id: str


@dataclass(frozen=True)
class LinkResult:
    assignment_table: str  # columns: source_record_id, master_id (every known record)
    new_records: int
    new_masters: int
    records_linked_to_existing: int  # new records that joined an existing master
    merges: list[MasterMerge] = field(default_factory=list)
    clustering: ClusterResult | None = None


def link_into_masters(
    con: duckdb.DuckDBPyConnection,
    *,
    new_records_table: str,
    existing_links_table: str,
    existing_records_table: str | None = None,
    assignment_table: str = "person_master_link",
    config: LinkageConfig | None = None,
    master_id_prefix: str = "P",
    master_id_digits: int = 12,
    number_after: int = 0,
    apart: Sequence[tuple[str, str]] = (),
    band_table: str | None = None,
    name_frequencies_table: str | None = None,
    keep_input_table: str | None = None,
) -> LinkResult:
    """Link new person records into the masters of ``existing_links_table``.

    ``existing_links_table`` holds (source_record_id, master_id); it may be empty.
    ``existing_records_table`` holds the records behind those links (same columns as
    ``new_records_table``); without it, only records of ``new_records_table`` take part
    in linking.  A record of ``new_records_table`` that is linked already (a newer version
    of it was loaded) keeps its link and is not counted as new, but its pairs are scored
    again, so its new values can join masters.

    ``apart`` names pairs of masters a steward kept apart: no cluster joins them.
    ``band_table`` and ``name_frequencies_table`` are passed to
    :func:`~citybrain.datahub.masterdata.linkage.cluster_input`; ``keep_input_table``, when
    given, receives the normalised input (the linkage features of every record, ``is_new``).

    Invariants of the ``assignment_table`` it creates (source_record_id, master_id, one
    row per record of the links or the inputs):

    * a master that did not merge keeps its id and all its records;
    * a cluster that holds records of several masters keeps the smallest master id and
      reports each other as ``MasterMerge(retired, surviving)``; masters never split,
      because records of one master are joined by a certain edge before clustering; two
      masters of an ``apart`` pair never merge;
    * a cluster without any linked record gets a new id ``<prefix><n>`` zero-padded to
      ``master_id_digits``, numbered after the largest existing id of that form and after
      ``number_after`` (the caller's largest id ever issued, so that the id of a master
      retired by a merge, which no link names any more, is never issued again).

    Only pairs with at least one new record are scored.  Raises ``ValueError`` if
    source_record_id repeats within the links or within the records to link.
    """
    config = config or LinkageConfig()
    for name in (new_records_table, existing_links_table, assignment_table):
        identifier(name)
    if keep_input_table is not None:
        identifier(keep_input_table)
    if existing_records_table is not None:
        identifier(existing_records_table)
    if not re.fullmatch(r"[A-Za-z]{0,8}", master_id_prefix):
        raise ValueError(f"master_id_prefix must be up to 8 letters: {master_id_prefix!r}")
    cols = ", ".join(input_columns(config))
    links = "__cb_links"
    con.execute(
        f"""create or replace temp table {links} as
        select cast(source_record_id as varchar) as source_record_id,
               cast(master_id as varchar) as master_id
        from {existing_links_table}"""
    )
    duplicated = scalar(
        con,
        f"select count(*) - count(distinct source_record_id) from {links}",
    )
    if duplicated:
        raise ValueError(f"{existing_links_table} links a source_record_id twice")

    select_sql = f"""
        select n.{cols.replace(", ", ", n.")}, true as is_new
        from {new_records_table} n
    """
    if existing_records_table is not None:
        select_sql += f"""
        union all
        select e.{cols.replace(", ", ", e.")}, l.source_record_id is null as is_new
        from {existing_records_table} e left join {links} l using (source_record_id)
        where not exists (
            select 1 from {new_records_table} n where n.source_record_id = e.source_record_id
        )
        """
    clusters = "__cb_clusters"
    cluster_master = "__cb_cluster_master"
    try:
        prepare_input(con, select_sql, config)
        new_records = int(
            scalar(
                con,
                f"""select count(*) from {INPUT_TABLE} i where is_new and not exists
                (select 1 from {links} l where l.source_record_id = i.source_record_id)""",
            )
        )
        touching = int(scalar(con, f"select count(*) from {INPUT_TABLE} where is_new"))
        clustering = _cluster_or_keep(
            con,
            clusters,
            links,
            config,
            touching,
            apart=apart,
            band_table=band_table,
            name_frequencies_table=name_frequencies_table,
        )
        if keep_input_table is not None:
            con.execute(
                f"create or replace table {keep_input_table} as select * from {INPUT_TABLE}"
            )
        last_number = max(number_after, _last_number(con, links, master_id_prefix))
        con.execute(
            f"""
            create or replace temp table {cluster_master} as
            with c as (
                select c.cluster_id, min(l.master_id) as survivor,
                       min(c.source_record_id) as first_record
                from {clusters} c left join {links} l using (source_record_id)
                group by c.cluster_id
            )
            select cluster_id, survivor,
                coalesce(survivor, {quote_literal(master_id_prefix)} || lpad(cast(
                    {last_number} + row_number() over (
                        partition by survivor is null order by first_record)
                    as varchar), {master_id_digits}, '0')) as master_id
            from c
            """
        )
        retired_sql = f"""
            select distinct l2.master_id as retired, cm.survivor
            from {clusters} c
            join {links} l2 using (source_record_id)
            join {cluster_master} cm using (cluster_id)
            where l2.master_id <> cm.survivor
        """
        merge_rows = con.execute(f"{retired_sql} order by 1").fetchall()
        merges = [MasterMerge(str(r), str(s)) for r, s in merge_rows]
        con.execute(
            f"""
            create or replace table {assignment_table} as
            select c.source_record_id, cm.master_id
            from {clusters} c join {cluster_master} cm using (cluster_id)
            union all
            select l.source_record_id, coalesce(mg.survivor, l.master_id)
            from {links} l
            left join ({retired_sql}) mg on mg.retired = l.master_id
            where not exists (
                select 1 from {clusters} c where c.source_record_id = l.source_record_id
            )
            """
        )
        new_masters = int(
            scalar(con, f"select count(*) from {cluster_master} where survivor is null")
        )
        linked_to_existing = int(
            scalar(
                con,
                f"""select count(*) from {INPUT_TABLE} i
                join {clusters} c using (source_record_id)
                join {cluster_master} cm using (cluster_id)
                where i.is_new and cm.survivor is not null and not exists
                (select 1 from {links} l where l.source_record_id = i.source_record_id)""",
            )
        )
    finally:
        for table in (INPUT_TABLE, links, clusters, cluster_master):
            con.execute(f"drop table if exists {table}")
    return LinkResult(
        assignment_table=assignment_table,
        new_records=new_records,
        new_masters=new_masters,
        records_linked_to_existing=linked_to_existing,
        merges=merges,
        clustering=clustering,
    )


def _cluster_or_keep(
    con: duckdb.DuckDBPyConnection,
    clusters: str,
    links: str,
    config: LinkageConfig,
    touching: int,
    *,
    apart: Sequence[tuple[str, str]],
    band_table: str | None,
    name_frequencies_table: str | None,
) -> ClusterResult | None:
    """Cluster the input when it holds records to score; else every record keeps its master."""
    if not touching:
        con.execute(
            f"""create or replace temp table {clusters} as
            select i.source_record_id, l.master_id as cluster_id
            from {INPUT_TABLE} i join {links} l using (source_record_id)"""
        )
        if band_table is not None:
            con.execute(
                f"""create or replace table {identifier(band_table)} (source_record_id_l varchar,
                source_record_id_r varchar, match_weight double, match_probability double)"""
            )
        return None
    # Records of one master are tied to the master's first record by a certain edge, so
    # clustering can grow and merge masters but never split them.
    anchors = f"""
        with m as (
            select i.rid, l.master_id
            from {INPUT_TABLE} i join {links} l using (source_record_id)
        )
        select master_id, min(rid) as anchor from m group by master_id
    """
    certain_edges_sql = f"""
        select i.rid as rid_l, a.anchor as rid_r
        from {INPUT_TABLE} i join {links} l using (source_record_id)
        join ({anchors}) a using (master_id)
        where i.rid <> a.anchor
    """
    return cluster_input(
        con,
        output_table=clusters,
        config=config,
        certain_edges_sql=certain_edges_sql,
        apart=_apart_anchors(con, anchors, apart),
        band_table=band_table,
        name_frequencies_table=name_frequencies_table,
    )


def _apart_anchors(
    con: duckdb.DuckDBPyConnection, anchors: str, apart: Sequence[tuple[str, str]]
) -> list[tuple[int, int]]:
    """The kept-apart master pairs as pairs of their anchor records (both in the input)."""
    if not apart:
        return []
    wanted = sorted({m for pair in apart for m in pair})
    con.register("__cb_apart_masters", pa.table({"master_id": pa.array(wanted, pa.string())}))
    try:
        rows = con.execute(
            f"select a.master_id, a.anchor from ({anchors}) a"
            " join __cb_apart_masters w using (master_id)"
        ).fetchall()
    finally:
        con.unregister("__cb_apart_masters")
    anchor_of = {str(m): int(a) for m, a in rows}
    return [
        (anchor_of[a], anchor_of[b])
        for a, b in apart
        if a in anchor_of and b in anchor_of and a != b
    ]


def _last_number(con: duckdb.DuckDBPyConnection, links: str, prefix: str) -> int:
    numbered = f"^{prefix}[0-9]+$"
    return int(
        scalar(
            con,
            f"""select coalesce(max(cast(substr(master_id, {len(prefix) + 1}) as hugeint)), 0)
            from {links} where regexp_full_match(master_id, {quote_literal(numbered)})""",
        )
    )
