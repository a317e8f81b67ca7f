"""Batches larger than one chunk: encryption in worker processes, chunks merged as one batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import Ingest, MakeResource, person, write_csv

from citybrain.analytics.hub import HubStore, table_name
from citybrain.core.config import Settings
from citybrain.datahub.ingest import runner
from citybrain.datahub.ingest.config import IngestSettings
from citybrain.datahub.ingest.pipeline import field_context
from citybrain.datahub.ingest.resources import field_cipher


@pytest.mark.parametrize("workers", [0, 1])
def test_many_chunks_with_and_without_worker_processes(
    tmp_path: Path,
    hub: HubStore,
    settings: Settings,
    make_resource: MakeResource,
    ingest: Ingest,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    small = IngestSettings(chunk_rows=100, crypto_workers=workers)
    monkeypatch.setattr(runner, "get_ingest_settings", lambda: small)
    code = make_resource()
    rows = [person(n) for n in range(1, 351)] + [person(7, 姓名="重复")]

    result = ingest(resource_code=code, path=write_csv(tmp_path / "many.csv", rows))

    assert (result.inserted_rows, result.quarantined_rows) == (350, 1)
    cipher = field_cipher(settings)
    stored = hub.query(f"SELECT name, id_number, id_number__bidx, _key FROM {table_name(code)}")
    assert len(stored) == 350
    for name, token, index, key in stored:
        plain = person(int(name.removeprefix("测试")))["公民身份号码"]
        assert cipher.decrypt(token, context=field_context(code, "id_number")) == plain
        assert index == key == cipher.blind_index(plain)


def test_rows_of_a_resource_without_key_are_keyed_by_content(
    tmp_path: Path, hub: HubStore, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource(key_item="", version_item="")
    rows = [person(1), person(2), person(1, 姓名="测试1".upper())]

    first = ingest(resource_code=code, path=write_csv(tmp_path / "a.csv", rows))
    second = ingest(resource_code=code, path=write_csv(tmp_path / "b.csv", [person(2), person(3)]))

    assert first.inserted_rows == 2  # the two equal rows are one record
    assert (second.inserted_rows, second.updated_rows) == (1, 1)
    keys = [k for (k,) in hub.query(f"SELECT _key FROM {table_name(code)}")]
    assert len(keys) == 3
    assert all(len(k) == 64 for k in keys)
    assert not any(person(1)["公民身份号码"] in k for k in keys)


def test_a_broken_worker_pool_falls_back_to_encrypting_in_process(settings: Settings) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor

    class BrokenPool:
        def submit(self, *args: object) -> Future[object]:
            future: Future[object] = Future()
            future.set_exception(BrokenProcessPool("worker died"))
            return future

        def shutdown(self, **kwargs: object) -> None:
            pass

    cipher = field_cipher(settings)
    encryptor = ColumnEncryptor(cipher, keys=(b"k" * 16, b"i" * 32), workers=2)
    encryptor._pool = BrokenPool()  # type: ignore[assignment]
    job = [("r/phone", ["13900000001", None])]

    tokens, indexes = encryptor.result(encryptor.submit(job), job)[0]

    assert cipher.decrypt(str(tokens[0]), context="r/phone") == "13900000001"
    assert (tokens[1], indexes[1]) == (None, None)
    assert indexes[0] == cipher.blind_index("13900000001")
    assert encryptor.parallel == 0
