"""人口库 record linkage: accuracy on synthetic truth, stable master ids, merges."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from citybrain.datahub.demo.synthetic import (
    SyntheticPersonData,
    generate_person_records,
    load_minle_villages,
    pairwise_scores,
)
from citybrain.datahub.masterdata.linkage import ClusterResult, link_person_records
from citybrain.datahub.masterdata.linkage_model import InsufficientTrainingData, LinkageConfig
from citybrain.datahub.masterdata.masters import LinkResult, MasterMerge, link_into_masters

PERSONS = 2_000


def _villages() -> list[tuple[str, str]] | None:
    data_dir = os.environ.get("CITYBRAIN_DATA_DIR")
    if not data_dir:
        return None
    path = Path(data_dir) / "admin_divisions" / "villages2021_minle_620722.csv"
    return load_minle_villages(path) if path.exists() else None


@dataclass
class Linked:
    con: duckdb.DuckDBPyConnection
    data: SyntheticPersonData
    result: ClusterResult


@pytest.fixture(scope="module")
def linked() -> Iterator[Linked]:
    """2,000 persons (5,000 records) linked once, shared by the accuracy tests."""
    con = duckdb.connect()
    data = generate_person_records(PERSONS, seed=11, villages=_villages())
    data.load_into(con, records_table="person_record", truth_table="truth")
    result = link_person_records(con, records_table="person_record", output_table="cluster")
    yield Linked(con, data, result)
    con.close()


def test_precision_and_recall_at_least_098(linked: Linked) -> None:
    scores = pairwise_scores(
        linked.con, assignment_table="cluster", cluster_column="cluster_id", truth_table="truth"
    )
    assert scores.true_pairs > 2_000  # the data really has duplicates to find
    assert scores.precision >= 0.98, scores
    assert scores.recall >= 0.98, scores


def test_every_record_is_clustered_once(linked: Linked) -> None:
    clusters = linked.result.as_dict(linked.con)
    assert len(clusters) == linked.data.n_records == linked.result.n_records
    assert linked.result.n_clusters == len(set(clusters.values()))
    # Blocking scored far fewer pairs than all n(n-1)/2, but more than the matches.
    n = linked.data.n_records
    assert linked.result.n_pairs_matched < linked.result.n_pairs_scored < n * (n - 1) // 20


def test_a_careless_threshold_is_caught_by_the_precision_check(linked: Linked) -> None:
    # The accuracy test can fail: linking every blocked pair (households share phones,
    # namesakes share birth dates) drops precision well below 0.98.
    config = LinkageConfig(
        link_match_weight=-100.0, review_match_weight=-100.0, trained_model=linked.result.model
    )
    link_person_records(
        linked.con, records_table="person_record", output_table="loose", config=config
    )
    scores = pairwise_scores(
        linked.con, assignment_table="loose", cluster_column="cluster_id", truth_table="truth"
    )
    assert scores.precision < 0.98


def test_relation_input_and_duplicate_ids(linked: Linked) -> None:
    con = linked.con
    relation = con.sql("select * from person_record where source = '民政'")
    config = LinkageConfig(trained_model=linked.result.model)
    result = link_person_records(con, records_table=relation, output_table="mz", config=config)
    expected = con.execute("select count(*) from person_record where source = '民政'").fetchall()
    assert result.n_records == expected[0][0]

    con.execute(
        "create or replace table twice as "
        "select * from person_record union all (select * from person_record limit 10)"
    )
    with pytest.raises(ValueError, match="not unique"):
        link_person_records(con, records_table="twice", output_table="x", config=config)
    with pytest.raises(ValueError, match="plain table name"):
        link_person_records(con, records_table="x; drop table truth", config=config)


# --- stable master ids -------------------------------------------------------------


@pytest.fixture(scope="module")
def batches() -> Iterator[tuple[duckdb.DuckDBPyConnection, LinkResult, LinkResult]]:
    """Batch b1 linked from nothing, then batch b2 linked into b1's masters."""
    con = duckdb.connect()
    data = generate_person_records(
        PERSONS, seed=23, villages=_villages(), second_batch_fraction=0.3
    )
    data.load_into(con, records_table="person_record", truth_table="truth")
    con.execute(
        "create table b1 as select * from person_record where source_record_id like '%:b1:%'"
    )
    con.execute(
        "create table b2 as select * from person_record where source_record_id like '%:b2:%'"
    )
    con.execute("create table no_links (source_record_id varchar, master_id varchar)")
    first = link_into_masters(
        con, new_records_table="b1", existing_links_table="no_links", assignment_table="links1"
    )
    second = link_into_masters(
        con,
        new_records_table="b2",
        existing_links_table="links1",
        existing_records_table="b1",
        assignment_table="links2",
    )
    yield con, first, second
    con.close()


def test_first_run_mints_every_master(
    batches: tuple[duckdb.DuckDBPyConnection, LinkResult, LinkResult],
) -> None:
    con, first, _ = batches
    n_b1 = con.execute("select count(*) from b1").fetchall()[0][0]
    assert first.new_records == n_b1
    assert first.records_linked_to_existing == 0
    assert first.merges == []
    ids = [r[0] for r in con.execute("select distinct master_id from links1").fetchall()]
    assert len(ids) == first.new_masters
    assert sorted(ids) == [f"P{i:012d}" for i in range(1, len(ids) + 1)]


def test_second_run_keeps_existing_masters(
    batches: tuple[duckdb.DuckDBPyConnection, LinkResult, LinkResult],
) -> None:
    con, _, second = batches
    retired = {m.retired_master_id: m.surviving_master_id for m in second.merges}
    changed = con.execute(
        """select l1.source_record_id, l1.master_id, l2.master_id
        from links1 l1 join links2 l2 using (source_record_id)
        where l1.master_id <> l2.master_id"""
    ).fetchall()
    # A record changes master only when its master merged into the surviving one.
    for _, before, after in changed:
        assert retired.get(before) == after
    n_links1 = con.execute("select count(*) from links1").fetchall()[0][0]
    n_kept = con.execute(
        "select count(*) from links1 l1 join links2 l2 using (source_record_id)"
    ).fetchall()[0][0]
    assert n_kept == n_links1
    # New masters are numbered after the existing ones.
    last_old = con.execute("select max(master_id) from links1").fetchall()[0][0]
    new_ids = con.execute(
        "select distinct master_id from links2 where master_id not in "
        "(select master_id from links1)"
    ).fetchall()
    assert len(new_ids) == second.new_masters
    assert all(m > last_old for (m,) in new_ids)


def test_new_records_of_known_persons_join_their_master(
    batches: tuple[duckdb.DuckDBPyConnection, LinkResult, LinkResult],
) -> None:
    con, _, second = batches
    n_b2 = con.execute("select count(*) from b2").fetchall()[0][0]
    assert second.new_records == n_b2
    # For each b2 record of a person already seen in b1: the master holding most of
    # that person's b1 records is where the new record should go.
    rows = con.execute(
        """
        with b1_master as (
            select t.true_person_id, l.master_id, count(*) as k
            from links1 l join truth t using (source_record_id)
            group by all
        ), best as (
            select true_person_id, arg_max(master_id, k) as master_id
            from b1_master group by true_person_id
        )
        select l2.master_id = best.master_id
        from b2 join truth t using (source_record_id)
        join links2 l2 using (source_record_id)
        join best using (true_person_id)
        """
    ).fetchall()
    outcome = Counter(ok for (ok,) in rows)
    assert outcome[True] > 500
    assert outcome[True] / (outcome[True] + outcome[False]) >= 0.98, outcome
    assert second.records_linked_to_existing >= outcome[True]
    scores = pairwise_scores(
        con, assignment_table="links2", cluster_column="master_id", truth_table="truth"
    )
    assert scores.precision >= 0.98, scores
    assert scores.recall >= 0.98, scores


def test_rerun_without_new_records_changes_nothing(
    batches: tuple[duckdb.DuckDBPyConnection, LinkResult, LinkResult],
) -> None:
    con, _, _ = batches
    con.execute("create or replace table nothing as select * from b2 limit 0")
    result = link_into_masters(
        con,
        new_records_table="nothing",
        existing_links_table="links2",
        existing_records_table="person_record",
        assignment_table="links3",
    )
    assert (result.new_records, result.new_masters, result.merges) == (0, 0, [])
    diff = con.execute(
        "select count(*) from (select * from links2 except select * from links3)"
    ).fetchall()
    assert diff[0][0] == 0


def test_a_single_new_record_needs_a_trained_model(
    batches: tuple[duckdb.DuckDBPyConnection, LinkResult, LinkResult],
) -> None:
    con, first, _ = batches
    # The same person registers again at 卫健, without ID number, phone typed anew.
    con.execute(
        """create or replace table one as
        select 'wj_jkda:b3:1' as source_record_id, '卫健' as source, name,
               null as id_number, birth_date, phone, address
        from b1 where id_number is not null and phone is not null
            and birth_date is not null
        order by source_record_id limit 1"""
    )
    with pytest.raises(InsufficientTrainingData):
        link_into_masters(
            con, new_records_table="one", existing_links_table="links1", assignment_table="x"
        )
    assert first.clustering is not None
    result = link_into_masters(
        con,
        new_records_table="one",
        existing_links_table="links1",
        existing_records_table="b1",
        assignment_table="links_one",
        config=LinkageConfig(trained_model=first.clustering.model),
    )
    assert (result.new_records, result.new_masters, result.records_linked_to_existing) == (1, 0, 1)
    # Only the pairs that touch the new record were scored.
    assert result.clustering is not None
    assert 0 < result.clustering.n_pairs_scored < 20
    joined = con.execute(
        """select l.master_id = o.master_id from links_one o, links1 l, b1, one
        where o.source_record_id = 'wj_jkda:b3:1' and l.source_record_id = b1.source_record_id
          and b1.name = one.name and b1.birth_date = one.birth_date and b1.phone = one.phone
          and b1.address = one.address"""
    ).fetchall()
    assert joined
    assert all(ok for (ok,) in joined)


# --- merges --------------------------------------------------------------------------

_RECORD = "insert into {table} values (?, ?, ?, ?, ?, ?, ?)"
_ADDRESS = "甘肃省张掖市民乐县洪水镇县府街社区3组12号"


def test_a_bridging_record_merges_two_masters() -> None:
    con = duckdb.connect()
    data = generate_person_records(PERSONS, seed=5, villages=_villages())
    data.load_into(con, records_table="background", truth_table="truth")
    con.execute("create table run1 as select * from background")
    # One person, two records with no blocking key in common: A has ID and birth
    # date but no phone, B has only the phone.  They cannot be linked yet.
    person_a = ("test:b1:A", "公安 户籍", "欧阳明远", "620722198805160019", "1988-05-16", None)
    person_b = ("test:b1:B", "民政", "欧阳明远", None, None, "13909361234")
    con.execute(_RECORD.format(table="run1"), [*person_a, _ADDRESS])
    con.execute(_RECORD.format(table="run1"), [*person_b, _ADDRESS])
    con.execute("create table no_links (source_record_id varchar, master_id varchar)")
    first = link_into_masters(
        con, new_records_table="run1", existing_links_table="no_links", assignment_table="l1"
    )
    masters = dict(
        con.execute(
            "select source_record_id, master_id from l1 where source_record_id like 'test:%'"
        ).fetchall()
    )
    assert masters["test:b1:A"] != masters["test:b1:B"]

    # C carries A's ID number and B's phone: it bridges the two masters.
    con.execute("create table run2 as select * from run1 limit 0")
    person_c = ("test:b2:C", "卫健", "欧阳明远", "620722198805160019", "1988-05-16")
    con.execute(
        _RECORD.format(table="run2"), [*person_c, "13909361234", "民乐县洪水镇县府街社区3组12号"]
    )
    assert first.clustering is not None
    second = link_into_masters(
        con,
        new_records_table="run2",
        existing_links_table="l1",
        existing_records_table="run1",
        assignment_table="l2",
        config=LinkageConfig(trained_model=first.clustering.model),
    )
    survivor, retired = sorted((masters["test:b1:A"], masters["test:b1:B"]))
    assert second.merges == [MasterMerge(retired, survivor)]
    assert (second.new_records, second.new_masters, second.records_linked_to_existing) == (1, 0, 1)
    after = dict(con.execute("select source_record_id, master_id from l2").fetchall())
    assert after["test:b1:A"] == after["test:b1:B"] == after["test:b2:C"] == survivor
    # Every other master kept its id and its records.
    moved = con.execute(
        "select count(*) from l1 join l2 using (source_record_id) "
        "where l1.master_id <> l2.master_id"
    ).fetchall()
    assert moved[0][0] == 1  # only B moved, from the retired master
    con.close()


def test_masters_kept_apart_are_not_merged_by_a_bridging_record() -> None:
    con = duckdb.connect()
    data = generate_person_records(PERSONS, seed=5, villages=_villages())
    data.load_into(con, records_table="run1", truth_table="truth")
    person_a = ("test:b1:A", "公安 户籍", "欧阳明远", "620722198805160019", "1988-05-16", None)
    person_b = ("test:b1:B", "民政", "欧阳明远", None, None, "13909361234")
    con.execute(_RECORD.format(table="run1"), [*person_a, _ADDRESS])
    con.execute(_RECORD.format(table="run1"), [*person_b, _ADDRESS])
    con.execute("create table no_links (source_record_id varchar, master_id varchar)")
    first = link_into_masters(
        con, new_records_table="run1", existing_links_table="no_links", assignment_table="l1"
    )
    masters = dict(
        con.execute(
            "select source_record_id, master_id from l1 where source_record_id like 'test:%'"
        ).fetchall()
    )
    con.execute("create table run2 as select * from run1 limit 0")
    person_c = ("test:b2:C", "卫健", "欧阳明远", "620722198805160019", "1988-05-16")
    con.execute(_RECORD.format(table="run2"), [*person_c, "13909361234", _ADDRESS])
    assert first.clustering is not None
    second = link_into_masters(
        con,
        new_records_table="run2",
        existing_links_table="l1",
        existing_records_table="run1",
        assignment_table="l2",
        config=LinkageConfig(trained_model=first.clustering.model),
        apart=[(masters["test:b1:B"], masters["test:b1:A"])],
        band_table="band",
    )
    assert second.merges == []
    after = dict(con.execute("select source_record_id, master_id from l2").fetchall())
    assert after["test:b1:A"] != after["test:b1:B"]
    assert after["test:b2:C"] in {masters["test:b1:A"], masters["test:b1:B"]}
    # The band table is there for the review queue, one row per uncertain pair.
    columns = [r[0] for r in con.execute("describe band").fetchall()]
    assert columns == [
        "source_record_id_l",
        "source_record_id_r",
        "match_weight",
        "match_probability",
    ]
    con.close()
