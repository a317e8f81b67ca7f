"""The hub store on its own: tables per resource, the version-keeping merge, schema changes,
and a merge that dies half-way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from citybrain.analytics import hub as hub_module
from citybrain.analytics.hub import HubColumn, HubStore, HubTableSpec, hub_path, table_name
from citybrain.core.config import Settings
from citybrain.core.errors import InvalidState

SPEC = HubTableSpec(
    "620722-GA-001",
    (HubColumn("name", "VARCHAR"), HubColumn("born", "DATE"), HubColumn("score", "DOUBLE")),
    "BIGINT",
)


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


def test_names_and_paths(settings: Settings) -> None:
    assert table_name("620722-GA-001") == "hub_620722_ga_001"
    assert table_name(" A/b c ") == "hub_a_b_c"
    assert hub_path(settings) == settings.home / "hub.duckdb"
    with pytest.raises(InvalidState):
        table_name("--")


def test_merge_inserts_new_keys_replaces_older_and_skips_equal_or_newer(tmp_path: Path) -> None:
    store = HubStore(tmp_path / "hub.duckdb")
    first = _load(store, [("k1", "a", "2000-01-02", 5), ("k2", "b", None, 5)], batch=1)
    second = _load(
        store, [("k1", "a2", None, 6), ("k2", "b2", None, 5), ("k3", "c", None, 1)], batch=2
    )
    third = _load(store, [("k1", "old", None, 4)], batch=3)

    assert (first.inserted, first.updated, first.skipped) == (2, 0, 0)
    assert (second.inserted, second.updated, second.skipped) == (1, 1, 1)
    assert (third.inserted, third.updated, third.skipped) == (0, 0, 1)
    table = table_name(SPEC.resource_code)
    rows = store.query(f"SELECT _key, name, _version, _batch_id FROM {table} ORDER BY _key")
    assert rows == [("k1", "a2", 6, 2), ("k2", "b", 5, 1), ("k3", "c", 1, 2)]
    assert store.count(SPEC.resource_code) == 3
    assert store.key_set(SPEC.resource_code) == {"k1", "k2", "k3"}
    assert hub_module.count("620722-GA-404", store=store) == 0


def test_without_versions_the_load_sequence_decides(tmp_path: Path) -> None:
    store = HubStore(tmp_path / "hub.duckdb")
    _load(store, [("k1", "first", None, None)], batch=7)
    later = _load(store, [("k1", "second", None, None), ("k1", "dup", None, None)], batch=3)

    assert later.updated == 1
    assert store.query(f"SELECT name, _version FROM {table_name(SPEC.resource_code)}") == [
        ("dup", 2)
    ]


def test_new_catalog_items_widen_the_table_and_type_changes_are_refused(tmp_path: Path) -> None:
    store = HubStore(tmp_path / "hub.duckdb")
    _load(store, [("k1", "a", None, 1)], batch=1)
    wider = HubTableSpec(
        SPEC.resource_code, (*SPEC.columns, HubColumn("note", "VARCHAR")), "BIGINT"
    )
    with store.staging(wider):
        pass
    assert store.query(f"SELECT note FROM {table_name(SPEC.resource_code)}") == [(None,)]

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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = HubStore(tmp_path / "hub.duckdb")
    _load(store, [("k1", "a", None, 1), ("k2", "b", None, 1)], batch=1)
    table = table_name(SPEC.resource_code)
    before = store.query(f"SELECT * FROM {table} ORDER BY _key")

    def crash(*args: Any) -> int:
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(hub_module, "_insert_staged", crash)
    with pytest.raises(duckdb.IOException):
        _load(store, [("k1", "new", None, 2), ("k3", "c", None, 1)], batch=2)

    assert store.query(f"SELECT * FROM {table} ORDER BY _key") == before
    assert store.query("SELECT count(*) FROM _hub_load") == [(1,)]


def test_a_value_that_does_not_cast_fails_the_stage_not_the_hub(tmp_path: Path) -> None:
    store = HubStore(tmp_path / "hub.duckdb")
    with pytest.raises(duckdb.ConversionException):
        _load(store, [("k1", "a", "not a date", 1)], batch=1)
    assert store.count(SPEC.resource_code) == 0
