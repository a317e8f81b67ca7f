"""Pairwise precision and recall of a clustering against a known truth (synthetic data)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# ruff: noqa: S608  # SQL is composed from table names chosen by the calling code only

__all__ = ["PairwiseScores", "pairwise_scores"]


@dataclass(frozen=True)
class PairwiseScores:
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0


def pairwise_scores(
    con: duckdb.DuckDBPyConnection,
    *,
    assignment_table: str,
    cluster_column: str,
    truth_table: str,
) -> PairwiseScores:
    """Pairwise precision and recall of a clustering against the synthetic truth.

    A pair of records is predicted when both sit in one cluster and true when both
    belong to one true person; counted per group as k(k-1)/2, without a self-join.
    Only records present in both tables count.
    """
    rows = con.execute(
        f"""
        with j as (
            select a.{cluster_column} as cluster, t.true_person_id as person
            from {assignment_table} a join {truth_table} t using (source_record_id)
        )
        select
            (select coalesce(sum(k * (k - 1) / 2), 0) from
                (select count(*) as k from j group by cluster, person)),
            (select coalesce(sum(k * (k - 1) / 2), 0) from
                (select count(*) as k from j group by cluster)),
            (select coalesce(sum(k * (k - 1) / 2), 0) from
                (select count(*) as k from j group by person))
        """
    ).fetchall()
    tp, predicted, true = rows[0]
    return PairwiseScores(int(tp), int(predicted), int(true))
