"""Scores of a classifier configuration, as recorded with each trained version and in
docs/benchmarks.md: macro-F1 by stratified 5-fold cross-validation on the labelled messages
(every prediction counted, abstaining or not), the same over the answers given when abstaining
below the threshold, the abstention rate (in CV and on messages of any class), and top-1
department accuracy on a held-out 20 % of the reply-labelled messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from citybrain.events.classify.model import DEFAULT_THRESHOLD, pipeline

SEED = 20261209


def category_scores(
    features: str, texts: Sequence[str], labels: Sequence[str], *,
    threshold: float = DEFAULT_THRESHOLD, folds: int = 5, sweep: Sequence[float] = (),
) -> dict[str, Any]:  # fmt: skip
    texts, labels = _common(texts, labels, folds)
    x, y = np.array(texts, dtype=object), np.array(labels, dtype=object)
    predicted = np.empty(len(y), dtype=object)
    confidence = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train_rows, test_rows in splitter.split(x, y):
        model = pipeline(features).fit(list(x[train_rows]), list(y[train_rows]))
        probabilities = model.predict_proba(list(x[test_rows]))
        predicted[test_rows] = model.classes_[probabilities.argmax(axis=1)]
        confidence[test_rows] = probabilities.max(axis=1)
    answered = confidence >= threshold
    curve = []
    for limit in sweep:
        kept = confidence >= limit
        curve.append({
            "threshold": limit, "abstention_rate_cv": round(float(1 - kept.mean()), 4),
            "macro_f1_answered": round(float(
                f1_score(y[kept], predicted[kept], average="macro")), 4) if kept.any() else None,
        })  # fmt: skip
    return {
        "features": features,
        "samples": len(y),
        "classes": len(set(labels)),
        "folds": folds,
        "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
        "accuracy": round(float(accuracy_score(y, predicted)), 4),
        "threshold": threshold,
        "abstention_rate_cv": round(float(1 - answered.mean()), 4),
        "macro_f1_answered": round(
            float(f1_score(y[answered], predicted[answered], average="macro")), 4
        )
        if answered.any()
        else None,
        **({"sweep": curve} if curve else {}),
    }


def department_scores(
    features: str, texts: Sequence[str], labels: Sequence[str], *, test_size: float = 0.2
) -> dict[str, Any]:
    texts, labels = _common(texts, labels, 5)
    train_x, test_x, train_y, test_y = train_test_split(
        list(texts), list(labels), test_size=test_size, random_state=SEED, stratify=labels
    )
    model = pipeline(features).fit(train_x, train_y)
    predicted = model.predict(test_x)
    majority = max(set(train_y), key=train_y.count)
    return {
        "features": features,
        "samples": len(labels),
        "departments": len(set(labels)),
        "held_out": len(test_y),
        "top1_accuracy": round(float(accuracy_score(test_y, predicted)), 4),
        "majority_baseline": round(float(np.mean([t == majority for t in test_y])), 4),
    }


def _common(texts: Sequence[str], labels: Sequence[str], least: int) -> tuple[list[str], list[str]]:
    """Only the classes with at least ``least`` samples: stratified splits need them (a class
    seen once cannot be both trained on and tested)."""
    counts = Counter(labels)
    kept = [(t, label) for t, label in zip(texts, labels, strict=True) if counts[label] >= least]
    return [t for t, _ in kept], [label for _, label in kept]
