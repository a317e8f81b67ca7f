"""The classifier: department labels read from replies, abstention below the threshold, the
API (a first model trained on first use, versions, rollback), training from tickets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.events.classify import model
from citybrain.events.classify.departments import department_of_reply
from citybrain.events.config import EventsSettings, get_events_settings
from fixtures_iam import Login

EVENTS = "/api/v1/events"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("针对您反映A3区潇楚南路的问题,A3区洋湖街道高度重视，现回复如下", "街道/乡镇"),
        ("市住建局及时将您反映的问题交由市房屋交易管理中心办理。", "住房和城乡建设局"),
        ("10月16日，我局星沙所组织警力10人对该电玩中心进行了全面清查", "公安局"),
        ("建议您向K10县人社局劳动保障监察大队反映。", "人力资源和社会保障局"),
        ("感谢您对行政执法工作的关心与支持！", "城市管理和综合执法局"),
        ("网友：您好！留言已收悉", None),
    ],
)
def test_the_department_is_read_from_the_reply(reply: str, expected: str | None) -> None:
    assert department_of_reply(reply) == expected


def _tiny() -> model.Classifier:
    texts = ["道路破损积水", "路面坑洼", "马路塌陷", "学校收费", "教师工资", "学生补课"] * 3
    labels = ["城乡建设"] * 3 + ["教育文体"] * 3
    return model.train("char", category_texts=texts, category_labels=labels * 3)


def test_it_abstains_below_the_threshold() -> None:
    classifier = _tiny()
    sure = classifier.suggest("道路破损积水路面坑洼")
    assert sure.category == "城乡建设"
    assert sure.category_guess == "城乡建设"
    classifier.threshold = sure.confidence + 1e-9  # just above: it must abstain
    unsure = classifier.suggest("道路破损积水路面坑洼")
    assert unsure.category is None
    assert unsure.category_guess == "城乡建设"
    assert unsure.confidence == sure.confidence
    assert classifier.suggest("道路破损", threshold=0.0).category == "城乡建设"
    assert model.loads(classifier.dumps()).suggest("学校收费").category_guess == "教育文体"
    with pytest.raises(ValueError, match="not a citybrain"):
        model.loads(model.pickle.dumps({"x": 1}))


def test_classify_answers_once_trained_and_versions_roll_back(
    api: TestClient, login: Login, seeded: None, report_key: str, session: Session
) -> None:
    admin = login("sysadmin")
    assert api.post(f"{EVENTS}/classify", json={"text": "x"}).status_code == 401
    text = "A市经济学院体育学院变相强制实习, 学生被安排到企业实习, 不去就不给毕业证"
    key = {"X-API-Key": report_key}
    untrained = api.post(f"{EVENTS}/classify", json={"text": text}, headers=key)
    assert untrained.status_code == 409
    assert untrained.json()["code"] == "classifier_not_trained"
    train = {"features": "char", "evaluate": False}
    assert (
        api.post(f"{EVENTS}/classifier/models", json=train, headers=login("analyst")).status_code
        == 403
    )
    created = api.post(f"{EVENTS}/classifier/models", json=train, headers=admin)
    assert created.status_code == 201, created.text
    answer = api.post(f"{EVENTS}/classify", json={"text": text}, headers=key)
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert set(first) == {"category", "department", "confidence"}
    assert first["category"] == "教育文体"
    assert 0.7 <= first["confidence"] <= 1
    assert first["department"] == "教育局"
    # a stricter threshold: the same text, no category (manual 派单)
    api.app.dependency_overrides[get_events_settings] = lambda: EventsSettings(  # type: ignore[attr-defined]
        classifier_threshold=0.999
    )
    try:
        strict = api.post(f"{EVENTS}/classify", json={"text": text}, headers=key).json()
    finally:
        api.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert strict["category"] is None
    assert strict["department"] == "教育局"
    second = api.post(f"{EVENTS}/classifier/models", json=train, headers=admin)
    assert second.json()["version"] == 2
    assert second.json()["active"]
    back = api.post(f"{EVENTS}/classifier/models/{created.json()['id']}/activate", headers=admin)
    assert back.json()["active"]
    assert back.json()["version"] == 1
    now = api.get(f"{EVENTS}/classifier/models", headers=admin).json()
    assert [(v["version"], v["active"]) for v in now] == [(2, False), (1, True)]
    assert api.get(f"{EVENTS}/classifier/models", headers=login("viewer")).status_code == 403
    actions = session.execute(
        select(AuditRecord.action).where(AuditRecord.object_type == "event_classifier_model")
    ).scalars().all()  # fmt: skip
    assert actions.count("event.classifier.activate") == 3
    # an event reported now carries the active model's suggestion
    event = api.post(EVENTS, json={"title": "体育学院强制实习", "description": text},
                     headers=key).json()  # fmt: skip
    assert event["suggested_category"] is not None
    assert event["suggested_department"] == "教育局"
    assert event["category_code"] == event["suggested_category"]


def test_training_on_tickets_needs_enough_of_them(
    api: TestClient, login: Login, seeded: None
) -> None:
    response = api.post(
        f"{EVENTS}/classifier/models", json={"source": "tickets", "evaluate": False},
        headers=login("sysadmin"),
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["code"] == "not_enough_tickets"
