"""The shared training data (CITYBRAIN_DATA_DIR/complaints), read as plain lists.

- the 495 labelled messages (subject + text → first-level 12345 category; the one id labelled
  twice with different classes is kept once, with its first label);
- the 2,816 messages with official replies (subject + text → the department kind the reply
  names, ``departments.department_of_reply``; replies that name none are left out);
- the taxonomy (three levels) that seeds ``event_category``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from citybrain.events.classify.departments import department_of_reply

FOLDER = "complaints"
LABELLED = "tipdm2020c_att2_sample_labeled.csv"
REPLIES = "tipdm2020c_att4_full_with_replies.csv"
TAXONOMY = "tipdm2020c_att1_label_taxonomy.csv"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Samples:
    texts: list[str]
    labels: list[str]


def message_text(subject: str, body: str) -> str:
    """Subject and text with the export's raw whitespace collapsed."""
    return _SPACE.sub(" ", f"{subject} {body}").strip()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def labelled_categories(data_dir: Path) -> Samples:
    seen: set[str] = set()
    texts, labels = [], []
    for row in _rows(data_dir / FOLDER / LABELLED):
        key = row["留言编号"]
        if key in seen:
            continue
        seen.add(key)
        texts.append(message_text(row["留言主题"], row["留言详情"]))
        labels.append(row["一级分类"].strip())
    return Samples(texts, labels)


def labelled_departments(data_dir: Path) -> Samples:
    texts, labels = [], []
    for row in _rows(data_dir / FOLDER / REPLIES):
        department = department_of_reply(row["答复意见"] or "")
        if department is None:
            continue
        texts.append(message_text(row["留言主题"], row["留言详情"]))
        labels.append(department)
    return Samples(texts, labels)


def spread(samples: Samples, limit: int) -> Samples:
    """At most ``limit`` samples taken evenly through the file (0: all of them)."""
    if limit <= 0 or len(samples.texts) <= limit:
        return samples
    step = len(samples.texts) / limit
    rows = [int(i * step) for i in range(limit)]
    return Samples([samples.texts[i] for i in rows], [samples.labels[i] for i in rows])


def unlabelled_texts(data_dir: Path) -> list[str]:
    """The replied messages' texts (none of them in the labelled sample)."""
    return [
        message_text(row["留言主题"], row["留言详情"]) for row in _rows(data_dir / FOLDER / REPLIES)
    ]


def taxonomy(data_dir: Path) -> list[tuple[str, str, str]]:
    """(level 1, level 2, level 3) names in file order."""
    return [
        (row["一级分类"].strip(), row["二级分类"].strip(), row["三级分类"].strip())
        for row in _rows(data_dir / FOLDER / TAXONOMY)
    ]
