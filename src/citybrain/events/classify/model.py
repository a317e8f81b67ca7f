"""Two text classifiers behind one call: category (first level of the 12345 taxonomy) and
department kind, each TF-IDF features + a linear model. ``features``: ``char`` (character 1–3
grams, no segmenter) or ``jieba`` (words; jieba is already installed for search).

The category model abstains below ``threshold``: it has seen 7 of the 15 first-level classes,
so a low top probability means "none of the seven" as often as "unsure"; such a ticket goes to
manual 派单. The department is always suggested (it is a suggestion; the dispatcher decides).
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

FEATURES = ("char", "jieba")
DEFAULT_THRESHOLD = 0.7


def _jieba_words(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


def pipeline(features: str) -> Pipeline:
    """An untrained TF-IDF + logistic-loss pipeline on ``features``. scikit-learn is imported
    here, not with the module: the app (and every other domain's tests) starts without it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline

    if features == "char":
        vectoriser = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=50_000
        )
    elif features == "jieba":
        vectoriser = TfidfVectorizer(
            tokenizer=_jieba_words, token_pattern=None, lowercase=False, ngram_range=(1, 2),
            sublinear_tf=True, min_df=2,
        )  # fmt: skip
    else:
        raise ValueError(f"unknown features: {features}")
    # Logistic loss (probabilities for the threshold) fitted by SGD: the same macro-F1 as
    # lbfgs logistic regression on these data (0.79) at a fifth of its training time.
    model = SGDClassifier(
        loss="log_loss",
        alpha=1e-5,
        class_weight="balanced",
        max_iter=50,
        tol=1e-4,
        random_state=0,
    )
    return Pipeline([("tfidf", vectoriser), ("linear", model)])


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str | None
    department: str | None
    confidence: float
    category_guess: str | None  # the best class even when abstaining (for the handler's hint)


@dataclass
class Classifier:
    features: str
    category: Pipeline
    department: Pipeline | None
    threshold: float = DEFAULT_THRESHOLD

    def suggest_many(
        self, texts: Sequence[str], *, threshold: float | None = None
    ) -> list[Suggestion]:
        """``threshold`` overrides the one the model was trained with (the settings')."""
        limit = self.threshold if threshold is None else threshold
        probabilities = self.category.predict_proba(list(texts))
        classes = self.category.classes_
        departments: list[str | None] = (
            [str(d) for d in self.department.predict(list(texts))]
            if self.department is not None
            else [None] * len(texts)
        )
        found = []
        for row, department in zip(probabilities, departments, strict=True):
            best = int(np.argmax(row))
            confidence = float(row[best])
            guess = str(classes[best])
            category = guess if confidence >= limit else None
            found.append(Suggestion(category, department, round(confidence, 4), guess))
        return found

    def suggest(self, text: str, *, threshold: float | None = None) -> Suggestion:
        return self.suggest_many([text], threshold=threshold)[0]

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()


def loads(blob: bytes) -> Classifier:
    """A classifier stored by :meth:`Classifier.dumps`. Only citybrain writes these blobs (the
    ``event_classifier_model`` table, never an upload), so unpickling them is trusting
    ourselves; an upload of a model file is deliberately not offered."""
    loaded: Any = pickle.loads(blob)  # noqa: S301 - our own rows, see above
    if not isinstance(loaded, Classifier):
        raise ValueError("not a citybrain event classifier")
    return loaded


def train(
    features: str,
    *,
    category_texts: Sequence[str],
    category_labels: Sequence[str],
    department_texts: Sequence[str] = (),
    department_labels: Sequence[str] = (),
    threshold: float = DEFAULT_THRESHOLD,
    between: Callable[[], object] | None = None,
) -> Classifier:
    """Fit both models; ``between`` runs after the first (the store pings its database
    there, so a long fit never leaves a transaction idle past PostgreSQL's timeout)."""
    category = pipeline(features).fit(list(category_texts), list(category_labels))
    if between is not None:
        between()
    department = None
    if len(set(department_labels)) >= 2:
        department = pipeline(features).fit(list(department_texts), list(department_labels))
    return Classifier(features, category, department, threshold)
