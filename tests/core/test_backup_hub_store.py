"""The hub part of a backup on both stores: a PostgreSQL hub goes into the archive as a DuckDB
file (the archive's one hub format) and comes back into a PostgreSQL schema or a DuckDB file,
proven by the manifest's fingerprints; a DuckDB hub goes into a PostgreSQL schema the same way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from citybrain.analytics.hub import DuckHubStore, HubColumn, HubStore, HubTableSpec
from citybrain.core.backup import hub
from citybrain.core.errors import Conflict, InvalidState
from hub_testing import PG_URL, fresh_store

pytestmark = pytest.mark.skipif(not PG_URL, reason="CITYBRAIN_TEST_DATABASE_URL not set")

SPEC = HubTableSpec(
    "620722-GA-009",
    (
        HubColumn("name", "VARCHAR"),
        HubColumn("born", "DATE"),
        HubColumn("score", "DOUBLE"),
        HubColumn("alive", "BOOLEAN"),
        HubColumn("seen", "TIMESTAMP"),
    ),
)
SELECT = (
    "SELECT name, born, score, alive, seen, _key, _version FROM hub_620722_ga_009 ORDER BY _key"
)


def _fill(store: HubStore) -> None:
    with store.staging(SPEC) as staging:
        staging.append(
            {
                "name": ["张三", "", None, 'a "quoted", line\nbreak'],
                "born": ["1990-01-02", None, "2000-02-29", "1970-01-01"],
                "score": ["1.5", "0.1", None, "-3e10"],
                "alive": ["true", "false", None, "true"],
                "seen": ["2026-12-07 10:11:12.123456", None, "2026-01-01 00:00:00", None],
                "_key": ["k1", "k2", "k3", "k4"],
                "_version": ["1", "2", None, "4"],
                "_source_row": ["1", "2", "3", "4"],
            }
        )
        staging.merge(batch_id=7)


def test_a_postgresql_hub_round_trips_through_the_archive(tmp_path: Path) -> None:
    source = fresh_store(tmp_path, backend="postgresql")
    _fill(source)
    with source.staging(HubTableSpec("620722-GA-010", (HubColumn("x", "VARCHAR"),))):
        pass  # an empty table
    member = tmp_path / "hub.duckdb"
    entry = {"tables": hub.backup_store(source, member)}
    assert entry["tables"]["hub_620722_ga_009"]["rows"] == 4
    assert set(entry["tables"]) == {
        "_hub_load", "_hub_table", "hub_620722_ga_009", "hub_620722_ga_010",
    }  # fmt: skip
    assert entry["tables"]["hub_620722_ga_010"]["rows"] == 0

    target = fresh_store(tmp_path / "pg", backend="postgresql")
    warnings: list[str] = []
    checked = hub.restore_store(
        member, entry, target, same_engine=True, force=False, warnings=warnings
    )
    assert checked == 4
    assert warnings == []
    assert target.query(SELECT) == source.query(SELECT)
    assert target.query(SELECT)[1][0] == ""  # an empty text is not NULL
    assert target.query(SELECT)[0][4] == dt.datetime(2026, 12, 7, 10, 11, 12, 123456)
    _fill(target)  # the restored ledger goes on: the next load gets the next sequence
    assert target.query("SELECT max(seq) FROM _hub_load") == [(2,)]

    duck = DuckHubStore(tmp_path / "home" / "hub.duckdb")
    hub.restore_store(member, entry, duck, same_engine=True, force=False, warnings=warnings)
    assert duck.query(SELECT) == source.query(SELECT)

    with pytest.raises(Conflict) as filled:
        hub.restore_store(member, entry, target, same_engine=True, force=False, warnings=[])
    assert filled.value.code == "restore_target_not_empty"
    for store in (source, target):
        store.close()


def test_a_duckdb_archive_restores_into_postgresql_and_a_wrong_copy_is_refused(
    tmp_path: Path,
) -> None:
    duck = DuckHubStore(tmp_path / "hub.duckdb")
    _fill(duck)
    member = tmp_path / "copy.duckdb"
    entry = {"tables": hub.backup_store(duck, member)}
    target = fresh_store(tmp_path, backend="postgresql")
    hub.restore_store(member, entry, target, same_engine=True, force=True, warnings=[])
    assert target.query(SELECT) == duck.query(SELECT)

    entry["tables"]["hub_620722_ga_009"]["rows"] = 5
    with pytest.raises(InvalidState) as wrong:
        hub.restore_store(member, entry, target, same_engine=True, force=True, warnings=[])
    assert wrong.value.code == "restore_verify_failed"
    assert hub.backup_store(fresh_store(tmp_path / "empty", backend="postgresql"), member) is None
    target.close()
