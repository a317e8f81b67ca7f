"""The 人口库 linkage model kept between runs: its status, retraining on demand (CLI, web) and
when the batches it scores drift away from it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from follow_helpers import WJ, following, newcomer_id, runs, wj_file
from masterdata_fixtures import *  # noqa: F403
from masterdata_fixtures import Demo
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from test_follow import _ingest

from citybrain.analytics.hub import HubStore
from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.jobs.models import JobRun
from citybrain.datahub.masterdata import drift, persist, tasks, training
from citybrain.datahub.masterdata.models import MasterdataLinkageModel

API = "/api/v1/masterdata"


def _models(session: Session) -> list[MasterdataLinkageModel]:
    model = MasterdataLinkageModel
    return list(session.execute(select(model).order_by(model.id)).scalars())


def test_the_demo_build_trained_and_kept_a_model_with_its_baseline(
    demo: Demo, session: Session
) -> None:
    (model,) = _models(session)
    assert model.reason == "build"
    assert model.band_share is not None
    assert 0 <= model.band_share < 0.05
    stored = persist.stored_model(session, "person")
    assert stored is not None
    assert stored.model["comparisons"]


def test_retraining_keeps_a_new_model_in_use(demo: Demo, session: Session) -> None:
    before = _models(session)
    stored = training.retrain_person_model(
        session, hub=demo.hub, reason="manual", settings=demo.settings
    )
    after = _models(session)
    assert len(after) == len(before) + 1
    assert stored.id == after[-1].id
    assert stored.reason == "manual"
    assert stored.trained_records == demo.report.person_build.records  # type: ignore[union-attr]
    (record,) = session.execute(
        select(AuditRecord).where(AuditRecord.action == "masterdata.model.train")
    ).scalars()
    assert json.loads(record.detail)["reason"] == "manual"


def test_status_and_retraining_over_http(
    demo: Demo, client: TestClient, session: Session, login: Callable[..., dict[str, str]]
) -> None:
    steward = login("analyst")
    status = client.get(f"{API}/model", headers=steward)
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["model_id"] == _models(session)[-1].id
    assert body["review_match_weight"] < body["link_match_weight"]
    assert body["drift"] is False
    assert client.get(f"{API}/model", headers=login("commander")).status_code == 403
    assert client.post(f"{API}/model/retrain", headers=login("commander")).status_code == 403
    queued = client.post(f"{API}/model/retrain", headers=steward)
    assert queued.status_code == 202, queued.text
    # Jobs run at once in the tests: the retraining is done by now.
    assert _models(session)[-1].reason == "manual"
    assert session.execute(
        select(AuditRecord).where(AuditRecord.action == "masterdata.model.retrain_requested")
    ).first()


def test_drift_queues_one_retraining(
    demo: Demo,
    connection: Connection,
    session: Session,
    hub_copy: tuple[Settings, HubStore],
    tmp_path: Path,
) -> None:
    settings, hub = hub_copy
    tasks.register_jobs()  # the retraining is queued on the installation's registry
    stored = persist.stored_model(session, "person")
    assert stored is not None
    assert stored.band_share is not None
    # Earlier batches scored with this model found far more uncertain pairs than training did.
    scored = drift.DRIFT_MIN_PAIRS
    band = int(scored * (stored.band_share * drift.DRIFT_RATIO + drift.DRIFT_MARGIN + 0.01))
    counts = drift.RunCounts(
        "person", "batch", None, stored.id, 0, 0, 0, scored, band, 0, 0, 0, 0.0
    )
    drift.record_run(session, counts, drift=False, now=utcnow())
    session.flush()
    with following(settings, connection):
        for i, name in enumerate(("新来丁", "新来戊")):
            path = wj_file(demo, tmp_path / f"{i}.csv", [(name, newcomer_id(721 + 2 * i), None)])
            _ingest(connection, settings, hub, WJ, path)
    retrains = list(
        session.execute(select(JobRun).where(JobRun.job_name == tasks.RETRAIN_JOB)).scalars()
    )
    assert [r.run_key for r in retrains] == [f"drift:model:{stored.id}"]
    assert retrains[0].outcome == "ok", retrains[0].error
    session.expire_all()
    assert _models(session)[-1].reason == "drift"
    flagged = [r for r in runs(session) if r.drift]
    assert flagged
    assert flagged[0].model_id == stored.id
