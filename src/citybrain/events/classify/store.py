"""Classifier versions in the database: train one (from the shared data or from the
installation's own closed, categorised tickets), list them, make one the active one (rolling
back is activating an older version), and answer with the active one.

The default model is trained from the shared data at demo set-up (``active_classifier`` with
``train_if_missing``, ``citybrain.demo.seed_events``) or by the training route; a request never
trains one implicitly (it takes seconds to a minute); nothing is ever downloaded. Training runs
synchronously in the request (about ten seconds on the shared data on one core): the job
system's runs are keyed and retried for deliveries, and a training run is one short CPU task a
county starts by hand, so it stays in the request for now (docs/events.md).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, InvalidState, NotFound
from citybrain.events.categories import code_of_first_level, first_level_of
from citybrain.events.classify import data, model
from citybrain.events.models import Event, EventClassifierModel
from citybrain.events.workflow import EventStatus

MIN_TICKETS = 30
_cache: dict[tuple[int, str], model.Classifier] = {}
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class EventSuggestion:
    """A classifier's answer in the event's terms: the category's code as well as its name."""

    category: str | None
    category_code: str | None
    department: str | None
    confidence: float


def train_version(
    session: Session, *, features: str, source: str, data_dir: Path, threshold: float,
    activate: bool = True, measure: bool = True, department_limit: int = 0,
) -> EventClassifierModel:  # fmt: skip
    """Train, measure and store a new version (active at once unless ``activate`` is False).
    ``source``: ``shared`` (the labelled messages and the reply-labelled ones) or ``tickets``
    (this installation's closed events with a 12345 category; at least 30, of 2 classes).
    Raises BadInput ``not_enough_tickets``. Audited as ``event.classifier.train``."""
    departments = data.spread(data.labelled_departments(data_dir), department_limit)
    if source == "tickets":
        texts, labels = _ticket_samples(session)
        if len(texts) < MIN_TICKETS or len(set(labels)) < 2:
            raise BadInput(
                f"已结案且有分类的工单不足 {MIN_TICKETS} 条或少于两类", code="not_enough_tickets",
                detail=len(texts),
            )  # fmt: skip
    else:
        categories = data.labelled_categories(data_dir)
        texts, labels = categories.texts, categories.labels
    try:
        import sklearn  # noqa: F401 - present check: a missing install is a clear refusal
    except ImportError:
        raise InvalidState(
            "未安装 scikit-learn, 无法训练分类模型", code="classifier_unavailable"
        ) from None
    classifier = model.train(
        features, category_texts=texts, category_labels=labels,
        department_texts=departments.texts, department_labels=departments.labels,
        threshold=threshold, between=lambda: session.execute(select(1)),
    )  # fmt: skip
    metrics: dict[str, Any] = {"classes": sorted(set(labels))}
    if measure:
        from citybrain.events.classify import evaluate  # scikit-learn, only when measuring

        metrics["category"] = evaluate.category_scores(features, texts, labels, threshold=threshold)
        session.execute(select(1))  # see model.train's ``between``
        metrics["department"] = evaluate.department_scores(
            features, departments.texts, departments.labels
        )
    version = (session.execute(select(func.max(EventClassifierModel.version))).scalar() or 0) + 1
    row = EventClassifierModel(
        version=version, features=features, blob=classifier.dumps(),
        metrics=json.dumps(metrics, ensure_ascii=False), samples=len(texts), source=source,
        active=False, trained_by=actor_of(session).actor or "system", trained_at=utcnow(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    with _lock:
        _cache[_key(row.id, row.trained_at)] = classifier
    audit.record(
        session, action="event.classifier.train", object_type="event_classifier_model",
        object_id=str(row.id), detail={"version": version, "features": features, "source": source},
    )  # fmt: skip
    if activate:
        activate_version(session, model_id=row.id)
    return row


def activate_version(session: Session, *, model_id: int) -> EventClassifierModel:
    """Make this version the one in use (the others inactive). Audited as
    ``event.classifier.activate``. Raises NotFound ``classifier_not_found``."""
    row = session.get(EventClassifierModel, model_id)
    if row is None:
        raise NotFound("分类模型不存在", code="classifier_not_found", detail=model_id)
    session.execute(
        update(EventClassifierModel)
        .where(EventClassifierModel.id != model_id)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    row.active = True
    session.flush()
    audit.record(
        session, action="event.classifier.activate", object_type="event_classifier_model",
        object_id=str(row.id), detail={"version": row.version},
    )  # fmt: skip
    return row


def list_versions(session: Session) -> list[EventClassifierModel]:
    query = select(EventClassifierModel).order_by(EventClassifierModel.version.desc())
    return list(session.execute(query).scalars())


def active_classifier(
    session: Session, *, data_dir: Path, features: str, threshold: float,
    train_if_missing: bool, department_limit: int = 0,
) -> model.Classifier | None:  # fmt: skip
    """The active version, loaded once per process; with ``train_if_missing`` a first default
    version is trained from the shared data (without cross-validation, to answer sooner)."""
    row_found = session.execute(
        select(EventClassifierModel.id, EventClassifierModel.trained_at).where(
            EventClassifierModel.active.is_(True)
        )
    ).first()
    found: tuple[int, Any] | None = (row_found[0], row_found[1]) if row_found else None
    if found is None:
        if not train_if_missing:
            return None
        row = train_version(
            session, features=features, source="shared", data_dir=data_dir,
            threshold=threshold, measure=False, department_limit=department_limit,
        )  # fmt: skip
        found = (row.id, row.trained_at)
    row_id, key = found[0], _key(found[0], found[1])
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    blob = session.execute(
        select(EventClassifierModel.blob).where(EventClassifierModel.id == row_id)
    ).scalar_one()
    loaded = model.loads(blob)
    with _lock:
        _cache[key] = loaded
    return loaded


def suggest(
    session: Session, classifier: model.Classifier, text: str, *, threshold: float
) -> EventSuggestion:
    answer = classifier.suggest(text, threshold=threshold)
    code = code_of_first_level(session, answer.category) if answer.category else None
    return EventSuggestion(answer.category, code, answer.department, answer.confidence)


def _key(row_id: int, trained_at: Any) -> tuple[int, str]:
    # Rows are rolled back in tests and ids reused: the training time tells versions apart.
    return row_id, str(trained_at)[:26]


def _ticket_samples(session: Session) -> tuple[list[str], list[str]]:
    query = select(Event.title, Event.description, Event.category_code).where(
        Event.status == EventStatus.closed.value, Event.category_code.is_not(None)
    )
    texts, labels = [], []
    for title, description, code in session.execute(query):
        label = first_level_of(session, code)
        if label:
            texts.append(data.message_text(title, description))
            labels.append(label)
    return texts, labels
