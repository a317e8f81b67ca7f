"""The synthetic person generator: valid ID numbers, reproducible, realistic faults."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from citybrain.datahub.demo.synthetic import (
    DEPARTMENTS,
    gb11643_check_char,
    generate_person_records,
    make_id_number,
    pairwise_scores,
)
from citybrain.datahub.masterdata.linkage_model import gb11643_valid_sql


def _id_vectors() -> list[tuple[str, bool]]:
    """18-character published vectors with their independently computed checksum."""
    data_dir = os.environ.get("CITYBRAIN_DATA_DIR", "")
    path = Path(data_dir) / "checksums" / "cn_resident_id_test_vectors.csv"
    if not data_dir or not path.exists():
        pytest.skip("shared ID-number test vectors not available")
    with path.open(encoding="utf-8") as fh:
        return [
            (row["number"].upper(), row["gb11643_checksum_ok_computed"] == "true")
            for row in csv.DictReader(fh)
            if row["kind"] == "18-digit"
            and row["gb11643_checksum_ok_computed"] in ("true", "false")
        ]


def test_check_char_against_published_vectors() -> None:
    vectors = _id_vectors()
    assert len(vectors) >= 15
    for number, ok in vectors:
        assert (gb11643_check_char(number[:17]) == number[17]) is ok, number


def test_sql_validator_agrees_with_python() -> None:
    con = duckdb.connect()
    vectors = [*_id_vectors(), ("T60426199101010078", False), ("3301022011022000D6", False)]
    vectors += [("a3f9c2" * 5, False), ("12345", False)]  # blind index, junk
    for number, ok in vectors:
        sql = f"select {gb11643_valid_sql('id')} from (select ? as id)"
        got = con.execute(sql, [number]).fetchall()
        assert got[0][0] is ok, number


def test_make_id_number() -> None:
    assert gb11643_check_char("11010519491231002") == "X"
    number = make_id_number("620722", dt.date(1988, 5, 16), 1)
    assert number == "620722198805160019"
    with pytest.raises(ValueError, match="17 digits"):
        gb11643_check_char("62072219880516001X")


def test_generator_is_seeded_and_sized() -> None:
    a = generate_person_records(300, seed=1)
    b = generate_person_records(300, seed=1)
    c = generate_person_records(300, seed=2)
    assert a.columns == b.columns
    assert a.true_person_id == b.true_person_id
    assert a.columns["name"] != c.columns["name"]
    assert a.n_records == 750
    assert a.n_persons == 300
    assert len(set(a.columns["source_record_id"])) == 750


def test_records_have_the_faults_linkage_must_survive() -> None:
    data = generate_person_records(4_000, seed=3)
    cols = data.columns
    n = data.n_records
    for fault in ("name_typo", "id_missing", "birth_missing", "phone_missing", "phone_transposed"):
        assert data.fault_counts[fault] > n * 0.005, fault
    ids = [i for i in cols["id_number"] if i is not None]
    assert all(gb11643_check_char(i[:17]) == i[17] for i in ids)
    assert sum(i.startswith("620722") for i in ids) > 0.8 * len(ids)
    addresses = [a or "" for a in cols["address"]]
    assert any(a.startswith("甘肃省张掖市民乐县") for a in addresses)
    assert any(a.startswith("民乐县") for a in addresses)
    assert {s for s in cols["source"]} == {d.name for d in DEPARTMENTS}
    # Duplicates inside one department exist in the truth.
    per_dept_person: dict[tuple[str | None, str], int] = {}
    for source, person in zip(cols["source"], data.true_person_id, strict=True):
        per_dept_person[(source, person)] = per_dept_person.get((source, person), 0) + 1
    assert max(per_dept_person.values()) >= 2


def test_pairwise_scores_counts_pairs() -> None:
    con = duckdb.connect()
    con.execute(
        "create table truth as select * from (values "
        "('a', 'P1'), ('b', 'P1'), ('c', 'P1'), ('d', 'P2'), ('e', 'P2')) "
        "t(source_record_id, true_person_id)"
    )
    # Clusters {a, b}, {c, d, e}: 1 + 1 true positives; 1 + 3 predicted; 3 + 1 true.
    con.execute(
        "create table clusters as select * from (values "
        "('a', 'x'), ('b', 'x'), ('c', 'y'), ('d', 'y'), ('e', 'y')) "
        "t(source_record_id, cluster_id)"
    )
    scores = pairwise_scores(
        con, assignment_table="clusters", cluster_column="cluster_id", truth_table="truth"
    )
    assert (scores.true_positive_pairs, scores.predicted_pairs, scores.true_pairs) == (2, 4, 4)
    assert scores.precision == scores.recall == 0.5
