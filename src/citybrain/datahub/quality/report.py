"""The quality report of one batch, accumulated row by row. Pure.

Counts failures per rule (``item.kind``) and per field, keeps the first few examples of each
rule with their row number and the value MASKED (an example never shows an ID or a phone number
in the clear), and scores the batch as passed rows / rows × 100. The report's shape is the
schema of ``quality.schemas`` (``QualityReportRule``, ``QualityReportField``), stored as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from citybrain.core.masking import mask_value
from citybrain.datahub.quality.checks import message_of
from citybrain.datahub.quality.rules import KIND_LABELS, RuleKind
from citybrain.datahub.quality.schemas import (
    QualityReportExample,
    QualityReportField,
    QualityReportRule,
)

_EXAMPLE_CHARS = 64
_MASK_BY_RULE = {"resident_id": "id_number", "phone": "mobile", "mobile": "mobile"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One failed check of one row: the item (or source column), rule and reason code."""

    item: str
    kind: str  # a RuleKind value, or "source" for a cell the connector could not read
    reason: str

    def as_dict(self, titles: Mapping[str, str]) -> dict[str, str]:
        return {
            "item": self.item,
            "title": titles.get(self.item, self.item),
            "rule": self.kind,
            "reason": self.reason,
            "message": message_of(self.reason),
        }


@dataclass(slots=True)
class _RuleTally:
    item: str
    kind: str
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[QualityReportExample] = field(default_factory=list)


@dataclass(slots=True)
class QualityTally:
    """Running counts of one batch. ``masks`` maps item names to catalog mask kinds."""

    titles: Mapping[str, str]
    masks: Mapping[str, str]
    examples_per_rule: int = 5
    total: int = 0
    failed_rows: int = 0
    _rules: dict[tuple[str, str], _RuleTally] = field(default_factory=dict)
    _fields: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return self.total - self.failed_rows

    def add_failure(
        self, row: int, problems: Sequence[Problem], raw: Mapping[str, str | None]
    ) -> None:
        """Count one failed row. ``raw`` maps item names to the values as read (for examples)."""
        self.failed_rows += 1
        for problem in problems:
            tally = self._rules.get((problem.item, problem.kind))
            if tally is None:
                tally = self._rules[(problem.item, problem.kind)] = _RuleTally(
                    problem.item, problem.kind
                )
            tally.failed += 1
            tally.reasons[problem.reason] = tally.reasons.get(problem.reason, 0) + 1
            if len(tally.examples) < self.examples_per_rule:
                tally.examples.append(
                    QualityReportExample(
                        row=row,
                        value=self._masked(problem.item, problem.kind, raw.get(problem.item)),
                        reason=problem.reason,
                        message=message_of(problem.reason),
                    )
                )
            self._fields[problem.item] = self._fields.get(problem.item, 0) + 1

    def _masked(self, item: str, kind: str, value: str | None) -> str | None:
        if value is None:
            return None
        mask = self.masks.get(item, "none")
        if mask == "none":  # an ID or phone number the catalog forgot to mark is masked anyway
            mask = _MASK_BY_RULE.get(kind, "none")
        return mask_value(mask, value)[:_EXAMPLE_CHARS]

    @property
    def score(self) -> float | None:
        """passed / total × 100, two decimals; None for an empty batch."""
        if self.total == 0:
            return None
        return round(self.passed / self.total * 100, 2)

    def report_rules(self) -> list[QualityReportRule]:
        """Failures per rule, most failed first."""
        return [
            QualityReportRule(
                rule=f"{tally.item}.{tally.kind}",
                item=tally.item,
                title=self.titles.get(tally.item, tally.item),
                kind=tally.kind,
                label=_label(tally.kind),
                failed=tally.failed,
                reasons=dict(tally.reasons),
                examples=list(tally.examples),
            )
            for tally in sorted(self._rules.values(), key=lambda t: (-t.failed, t.item, t.kind))
        ]

    def report_fields(self) -> list[QualityReportField]:
        """Failed checks per item, most failed first."""
        return [
            QualityReportField(item=item, title=self.titles.get(item, item), failed=count)
            for item, count in sorted(self._fields.items(), key=lambda kv: (-kv[1], kv[0]))
        ]


def _label(kind: str) -> str:
    try:
        return KIND_LABELS[RuleKind(kind)]
    except ValueError:
        return "源数据"
