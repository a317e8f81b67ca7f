"""The hub store contract, run on both implementations behind the protocol (the DuckDB file
always; PostgreSQL when CITYBRAIN_TEST_DATABASE_URL names a server): tables per resource, the
version-keeping merge, schema changes, reads, and a merge that dies half-way."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from citybrain.analytics.hub import HubColumn, HubStore, HubTableSpec, hub_path, open_hub
from citybrain.analytics.hub import table_name as table_of
from citybrain.analytics.hub.pg import pg_placeholders
from citybrain.core.config import Settings
from citybrain.core.errors import InvalidState
from hub_testing import PG_URL, fresh_store

SPEC = HubTableSpec(
    "620722-GA-001",
    (HubColumn("name", "VARCHAR"), HubColumn("born", "DATE"), HubColumn("score", "DOUBLE")),
    "BIGINT",
)
TABLE = table_of(SPEC.resource_code)


@pytest.fixture(
    params=[
        "duckdb",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not PG_URL, reason="CITYBRAIN_TEST_DATABASE_URL not set"),
        ),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubStore]:
    hub = fresh_store(tmp_path, backend=request.param)
    yield hub
    hub.close()


def _load(store: HubStore, rows: list[tuple[str, str, str | None, int | None]], batch: int) -> Any:
    """rows: (key, name, born, version)."""
    with store.staging(SPEC) as staging:
        staging.append(
            {
                "name": [r[1] for r in rows],
                "born": [r[2] for r in rows],
                "score": ["1.5"] * len(rows),
                "_key": [r[0] for r in rows],
                "_version": [None if r[3] is None else str(r[3]) for r in rows],
                "_source_row": [str(i + 2) for i in range(len(rows))],
            }
        )
        return staging.merge(batch_id=batch)


def test_names_paths_and_the_store_the_settings_name(settings: Settings, tmp_path: Path) -> None:
    assert table_of("620722-GA-001") == "hub_620722_ga_001"
    assert table_of(" A/b c ") == "hub_a_b_c"
    assert hub_path(settings) == settings.home / "hub.duckdb"
    with pytest.raises(InvalidState):
        table_of("--")
    plain = settings.model_copy(update={"home": tmp_path, "hub_url": ""})
    assert open_hub(plain).backend == "duckdb"
    assert open_hub(plain).describe() == str(tmp_path / "hub.duckdb")
    on_pg = plain.model_copy(update={"hub_url": "postgresql+psycopg://u:secret@db/x"})
    assert open_hub(on_pg).backend == "postgresql"
    assert "secret" not in open_hub(on_pg).describe()


def test_placeholders_become_psycopg_ones_outside_quotes() -> None:
    sql = "SELECT '?', \"a?\", x FROM t WHERE a = ? AND b LIKE '5%' AND c = ?"
    assert pg_placeholders(sql) == (
        "SELECT '?', \"a?\", x FROM t WHERE a = %s AND b LIKE '5%%' AND c = %s"
    )


def test_merge_inserts_new_keys_replaces_older_and_skips_equal_or_newer(store: HubStore) -> None:
    first = _load(store, [("k1", "a", "2000-01-02", 5), ("k2", "b", None, 5)], batch=1)
    second = _load(
        store, [("k1", "a2", None, 6), ("k2", "b2", None, 5), ("k3", "c", None, 1)], batch=2
    )
    third = _load(store, [("k1", "old", None, 4)], batch=3)

    assert (first.inserted, first.updated, first.skipped, first.load_seq) == (2, 0, 0, 1)
    assert (second.inserted, second.updated, second.skipped, second.load_seq) == (1, 1, 1, 2)
    assert (third.inserted, third.updated, third.skipped, third.load_seq) == (0, 0, 1, 3)
    rows = store.query(f"SELECT _key, name, _version, _batch_id FROM {TABLE} ORDER BY _key")
    assert rows == [("k1", "a2", 6, 2), ("k2", "b", 5, 1), ("k3", "c", 1, 2)]
    assert store.count(SPEC.resource_code) == 3
    assert store.key_set(SPEC.resource_code) == {"k1", "k2", "k3"}
    assert store.count("620722-GA-404") == 0
    assert store.key_set("620722-GA-404") == set()
    ledger = store.query("SELECT seq, batch_id, rows_written FROM _hub_load ORDER BY seq")
    assert ledger == [(1, 1, 2), (2, 2, 2), (3, 3, 0)]


def test_reads_columns_rows_by_key_or_batch_and_parameters(store: HubStore) -> None:
    assert store.columns(SPEC.resource_code) == []
    assert store.read_rows(SPEC.resource_code, ["_key"]) == []
    assert not store.table_exists(SPEC.resource_code)
    _load(store, [("k1", "a", "2000-01-02", 1), ("k2", "b?", None, 1)], batch=1)
    _load(store, [("k3", "c%", None, 1)], batch=2)

    assert store.table_exists(SPEC.resource_code)
    assert store.columns(SPEC.resource_code) == [
        "name", "born", "score", "_key", "_version", "_batch_id", "_source_row", "_loaded_at",
    ]  # fmt: skip
    assert {"_hub_load", "_hub_table", TABLE} <= set(store.tables())
    read = store.read_rows(SPEC.resource_code, ["_key", "name"], keys=["k3", "k1", "zz"])
    assert read == [("k1", "a"), ("k3", "c%")]
    assert store.read_rows(SPEC.resource_code, ["_key"], keys=[]) == []
    assert store.read_rows(SPEC.resource_code, ["_key"], batch_id=1) == [("k1",), ("k2",)]
    born = store.read_rows(SPEC.resource_code, ["born", "score"], keys=["k1"])
    assert str(born[0][0]) == "2000-01-02"
    assert born[0][1] == 1.5
    found = store.query(
        f"SELECT _key FROM {TABLE} WHERE name LIKE '%?' OR name = ? ORDER BY _key LIMIT ? OFFSET ?",
        ["c%", 10, 0],
    )
    assert found == [("k2",), ("k3",)]


def test_reads_cannot_write(store: HubStore) -> None:
    _load(store, [("k1", "a", None, 1)], batch=1)
    with pytest.raises((duckdb.Error, psycopg.Error)):
        store.query(f"DELETE FROM {TABLE}")
    assert store.count(SPEC.resource_code) == 1


def test_without_versions_the_load_sequence_decides(store: HubStore) -> None:
    _load(store, [("k1", "first", None, None)], batch=7)
    later = _load(store, [("k1", "second", None, None), ("k1", "dup", None, None)], batch=3)

    assert later.updated == 1
    assert store.query(f"SELECT name, _version FROM {TABLE}") == [("dup", 2)]


def test_new_catalog_items_widen_the_table_and_type_changes_are_refused(store: HubStore) -> None:
    _load(store, [("k1", "a", None, 1)], batch=1)
    wider = HubTableSpec(
        SPEC.resource_code, (*SPEC.columns, HubColumn("note", "VARCHAR")), "BIGINT"
    )
    with store.staging(wider):
        pass
    assert store.query(f"SELECT note FROM {TABLE}") == [(None,)]

    changed = HubTableSpec(SPEC.resource_code, (HubColumn("name", "BIGINT"),), "BIGINT")
    with pytest.raises(InvalidState) as conflict, store.staging(changed):
        pass
    assert conflict.value.code == "hub_schema_conflict"
    other = HubTableSpec("620722_ga_001", SPEC.columns)
    with pytest.raises(InvalidState) as clash, store.staging(other):
        pass
    assert clash.value.code == "hub_table_conflict"
    with (
        pytest.raises(InvalidState),
        store.staging(HubTableSpec("x", (HubColumn("_x", "VARCHAR"),))),
    ):
        pass


def test_a_merge_that_dies_half_way_leaves_the_table_as_it_was(
    store: HubStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(store, [("k1", "a", None, 1), ("k2", "b", None, 1)], batch=1)
    before = store.query(f"SELECT * FROM {TABLE} ORDER BY _key")

    def crash() -> Any:  # called by the merge after superseded rows were deleted
        raise OSError("disk full")

    monkeypatch.setattr(sys.modules[type(store).__module__], "now", crash)
    with pytest.raises(OSError, match="disk full"):
        _load(store, [("k1", "new", None, 2), ("k3", "c", None, 1)], batch=2)

    assert store.query(f"SELECT * FROM {TABLE} ORDER BY _key") == before
    assert store.query("SELECT count(*) FROM _hub_load") == [(1,)]


def test_a_value_that_does_not_cast_fails_the_stage_not_the_hub(store: HubStore) -> None:
    with pytest.raises((duckdb.ConversionException, psycopg.DataError)):
        _load(store, [("k1", "a", "not a date", 1)], batch=1)
    assert store.count(SPEC.resource_code) == 0


def test_merges_running_at_once_take_one_load_sequence_each(store: HubStore) -> None:
    _load(store, [("k0", "seed", None, 1)], batch=1)  # the table exists before the race
    results: list[Any] = []
    errors: list[BaseException] = []

    def load(n: int) -> None:
        try:
            rows = [(f"t{n}-{i}", "x", None, None) for i in range(50)]
            results.append(_load(store, rows, batch=10 + n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(r.load_seq for r in results) == [2, 3, 4, 5]
    assert store.count(SPEC.resource_code) == 201
    ledger = store.query("SELECT batch_id, rows_written FROM _hub_load WHERE seq > 1 ORDER BY 1")
    assert ledger == [(10, 50), (11, 50), (12, 50), (13, 50)]
