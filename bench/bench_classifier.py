"""Benchmark: the event classifier on the shared complaint data, both feature sets.

For ``char`` (character 1–3-gram TF-IDF) and ``jieba`` (word 1–2-gram TF-IDF), each with a
logistic-loss linear model (``citybrain.events.classify.model``):

1. category: macro-F1 and accuracy by stratified 5-fold cross-validation on the 494 distinct
   labelled messages (7 first-level classes), counting every prediction; the abstention rate
   at the threshold in the folds and the macro-F1 of the answers given;
2. abstention on messages of any class: the share of the 2,816 replied messages (none in the
   labelled sample; most of the 15 classes) on which a model trained on all 494 abstains;
3. department: top-1 accuracy on a held-out 20 % of the messages whose reply names a
   department kind (``departments.department_of_reply``), with the majority-class baseline;
4. speed: messages classified per second on one core (category + department).

    PYTHONPATH=src .venv/bin/python bench/bench_classifier.py
    PYTHONPATH=src .venv/bin/python bench/bench_classifier.py --features char --threshold 0.5
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the goal is stated

from citybrain.events.classify import data, evaluate, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=Path(
        os.environ.get("CITYBRAIN_DATA_DIR", default_data)))  # fmt: skip
    parser.add_argument("--features", choices=[*model.FEATURES, "both"], default="both")
    parser.add_argument("--threshold", type=float, default=model.DEFAULT_THRESHOLD)
    parser.add_argument("--sweep", default="0.45,0.5,0.6,0.7,0.8,0.9",
                        help="thresholds to report abstention and answered F1 at")  # fmt: skip
    args = parser.parse_args()
    categories = data.labelled_categories(args.data_dir)
    departments = data.labelled_departments(args.data_dir)
    everything = data.unlabelled_texts(args.data_dir)
    print(f"labelled {len(categories.texts)}, department-labelled {len(departments.texts)} "
          f"of {len(everything)} replied messages")  # fmt: skip
    wanted = model.FEATURES if args.features == "both" else (args.features,)
    for features in wanted:
        started = time.perf_counter()
        scores = evaluate.category_scores(
            features, categories.texts, categories.labels, threshold=args.threshold,
            sweep=[float(v) for v in args.sweep.split(",") if v],
        )  # fmt: skip
        routing = evaluate.department_scores(features, departments.texts, departments.labels)
        classifier = model.train(
            features, category_texts=categories.texts, category_labels=categories.labels,
            department_texts=departments.texts, department_labels=departments.labels,
            threshold=args.threshold,
        )  # fmt: skip
        begin = time.perf_counter()
        answers = classifier.suggest_many(everything)
        seconds = time.perf_counter() - begin
        abstained = sum(a.category is None for a in answers) / len(answers)
        for point in scores.get("sweep", []):
            point["abstention_rate_any_class"] = round(
                sum(a.confidence < point["threshold"] for a in answers) / len(answers), 4
            )
        result = {
            **scores,
            "abstention_rate_any_class": round(abstained, 4),
            "department": routing,
            "messages_per_second": round(len(everything) / seconds),
            "total_seconds": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
