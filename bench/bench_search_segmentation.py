"""Which segmentation finds more: jieba words (with the government-terms dictionary) or
character bigrams, on real citizen messages and the demo catalog.

    PYTHONPATH=src python bench/bench_search_segmentation.py

Corpus: the 495 labelled and 2,816 replied messages of ``complaints/`` (泰迪杯 2020 C, read in
place from ``CITYBRAIN_DATA_DIR``; subject + text) and the demo catalog's resources (name,
summary, item titles). Matching is the index's own: ``segment.index_terms`` for documents,
``segment.parse_query`` for queries, every group must match (bigram groups as phrases).

Relevance is labelled by a rule per query, written after reading the texts where the two
methods disagree, and applied to the raw text (no segmenter involved):

* a one-word query is relevant where the word occurs, except in the contexts listed under
  ``not`` (substrings that are another word, e.g. 小学位于 for 学位);
* a query of several words (typed without spaces, as people do) is relevant where all its words
  occur within ``near`` characters of each other (the text speaks of them together).

Prints recall and precision per query and micro-averaged per method; the figures are in
docs/search.md.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from citybrain.datahub.demo.catalog import RESOURCES
from citybrain.search.config import Segmenter
from citybrain.search.segment import Query, index_terms, parse_query


@dataclass(frozen=True)
class Labelled:
    q: str
    words: tuple[str, ...]
    near: int = 0
    not_: tuple[str, ...] = field(default=())


QUERIES = (
    # one word: government terms and common complaint topics
    Labelled("占道", ("占道",)),
    Labelled("油烟", ("油烟",)),
    Labelled("低保", ("低保",)),
    Labelled("学位", ("学位",), not_=("小学位于", "中学位于", "大学位于")),
    Labelled("工作", ("工作",), not_=("施工作业",)),
    Labelled("安置房", ("安置房",)),
    Labelled("网格员", ("网格员",)),
    Labelled("12345", ("12345",)),
    Labelled("公积金", ("公积金",)),
    Labelled("违章建筑", ("违章建筑",)),
    Labelled("噪音扰民", ("噪音扰民",)),
    Labelled("物业费", ("物业费",)),
    Labelled("养老保险", ("养老保险",)),
    Labelled("人行道", ("人行道",)),
    Labelled("户籍地址", ("户籍地址",)),
    # several words typed as one string
    Labelled("小区停车", ("小区", "停车"), near=30),
    Labelled("公积金贷款", ("公积金", "贷款"), near=20),
    Labelled("出租车司机", ("出租车", "司机"), near=20),
    Labelled("幼儿园收费", ("幼儿园", "收费"), near=20),
    Labelled("房产证办理", ("房产证", "办理"), near=20),
    Labelled("拆迁补偿", ("拆迁", "补偿"), near=20),
    Labelled("医保报销", ("医保", "报销"), near=20),
    Labelled("农民工工资", ("农民工", "工资"), near=20),
    Labelled("加装电梯", ("加装", "电梯"), near=10),
    Labelled("学区划分", ("学区", "划分"), near=20),
    Labelled("企业登记信息", ("企业", "登记"), near=10),
    Labelled("最低生活保障", ("最低生活保障",)),
    Labelled("家庭医生签约", ("家庭医生", "签约"), near=10),
)


def corpus(data_dir: Path) -> dict[str, str]:
    docs: dict[str, str] = {}
    for name in ("tipdm2020c_att2_sample_labeled.csv", "tipdm2020c_att4_full_with_replies.csv"):
        with (data_dir / "complaints" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = f"{row['留言主题']}。{row['留言详情']}"
                docs[f"m{row['留言编号']}"] = re.sub(r"\s+", " ", text).strip()
    for entry in RESOURCES:
        items = "、".join(item[1] for item in entry["items"])
        docs[f"r{entry['dept']}{entry['serial']}"] = f"{entry['name']}。{entry['summary']}。{items}"
    return docs


def relevant(label: Labelled, text: str) -> bool:
    cleaned = text
    for context in label.not_:
        cleaned = cleaned.replace(context, "□")
    if len(label.words) == 1:
        return label.words[0] in cleaned
    places = [[m.start() for m in re.finditer(re.escape(w), cleaned)] for w in label.words]
    if not all(places):
        return False
    first, *rest = places
    return any(all(any(abs(p - s) <= label.near for p in ps) for ps in rest) for s in first)


def matches(terms: list[str], term_set: set[str], query: Query) -> bool:
    for group in query.groups:
        if query.phrase:
            size = len(group)
            if not any(tuple(terms[i : i + size]) == group for i in range(len(terms) - size + 1)):
                return False
        elif group[0] not in term_set:
            return False
    return True


def main() -> None:
    data_dir = Path(os.environ.get("CITYBRAIN_DATA_DIR", "../shared/data"))
    docs = corpus(data_dir)
    print(f"{len(docs)} documents, {len(QUERIES)} queries")
    indexed = {
        s: {key: (terms := index_terms(text, s), set(terms)) for key, text in docs.items()}
        for s in Segmenter
    }
    totals = {s: [0, 0, 0] for s in Segmenter}  # true positives, found, relevant
    macro: dict[Segmenter, tuple[list[float], list[float]]] = {s: ([], []) for s in Segmenter}
    print(f"{'query':<10} {'rel':>5} | {'jieba R':>8} {'P':>6} | {'bigram R':>8} {'P':>6}")
    for label in QUERIES:
        truth = {key for key, text in docs.items() if relevant(label, text)}
        row = [f"{label.q:<10}", f"{len(truth):>5}"]
        for s in Segmenter:
            query = parse_query(label.q, s)
            found = {k for k, (terms, tset) in indexed[s].items() if matches(terms, tset, query)}
            hits = len(found & truth)
            totals[s][0] += hits
            totals[s][1] += len(found)
            totals[s][2] += len(truth)
            recall = hits / len(truth) if truth else 1.0
            precision = hits / len(found) if found else (1.0 if not truth else 0.0)
            if truth:
                macro[s][0].append(recall)
            if found:
                macro[s][1].append(precision)
            row.append(f"| {recall:>8.3f} {precision:>6.3f}")
        print(" ".join(row))
    for s in Segmenter:
        tp, found, rel = totals[s]
        recalls, precisions = macro[s]
        print(
            f"{s.value:>7}: micro recall {tp / rel:.3f} precision {tp / found:.3f}"
            f" ({tp} of {rel} relevant, {found} found); macro recall"
            f" {sum(recalls) / len(recalls):.3f} precision {sum(precisions) / len(precisions):.3f}"
        )


if __name__ == "__main__":
    sys.exit(main())
