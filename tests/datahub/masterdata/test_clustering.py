"""Clusters of linked pairs: connected components, and pairs a steward kept apart (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from citybrain.datahub.masterdata.clustering import cluster_labels
from citybrain.datahub.masterdata.drift import DRIFT_MIN_PAIRS, drifted

INF = float("inf")


def _clusters(
    n: int, edges: list[tuple[int, int, float]], apart: tuple[tuple[int, int], ...] = ()
) -> set[frozenset[int]]:
    left = np.array([a for a, _, _ in edges], dtype=np.int64)
    right = np.array([b for _, b, _ in edges], dtype=np.int64)
    weight = np.array([w for _, _, w in edges], dtype=np.float64)
    labels = cluster_labels(n, left, right, weight, apart=apart)
    groups: dict[int, set[int]] = {}
    for node, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(node)
    return {frozenset(g) for g in groups.values()}


def test_components_of_the_edges() -> None:
    assert _clusters(5, [(0, 1, 5.0), (1, 2, 9.0)]) == {
        frozenset({0, 1, 2}),
        frozenset({3}),
        frozenset({4}),
    }
    assert _clusters(0, []) == set()
    assert _clusters(3, []) == {frozenset({0}), frozenset({1}), frozenset({2})}


def test_a_kept_apart_pair_never_shares_a_cluster_and_the_stronger_edge_wins() -> None:
    # 0 and 1 are two masters kept apart; record 2 matches 1 better than 0.
    edges = [(0, 2, 6.0), (1, 2, 12.0), (3, 0, INF)]
    assert _clusters(4, edges) == {frozenset({0, 1, 2, 3})}
    assert _clusters(4, edges, apart=((0, 1),)) == {frozenset({1, 2}), frozenset({0, 3})}
    # A chain through a third record is refused as well (0-2-4-1).
    chain = [(0, 2, 9.0), (2, 4, 8.0), (4, 1, 7.0)]
    split = _clusters(5, chain, apart=((1, 0),))
    assert all(not {0, 1} <= group for group in split)
    assert frozenset({0, 2, 4}) in split


def test_a_certain_edge_joins_even_a_kept_apart_pair() -> None:
    # Records of one master stay together (a steward merged them since deciding).
    assert _clusters(2, [(0, 1, INF)], apart=((0, 1),)) == {frozenset({0, 1})}


def test_only_the_broken_component_is_clustered_again() -> None:
    edges = [(0, 1, 5.0), (1, 2, 5.0), (3, 4, 5.0)]
    found = _clusters(5, edges, apart=((0, 2),))
    assert frozenset({3, 4}) in found
    assert all(not {0, 2} <= group for group in found)


def test_bad_edges_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        cluster_labels(2, np.array([0]), np.array([2]), np.array([1.0]))
    with pytest.raises(ValueError, match="length"):
        cluster_labels(2, np.array([0]), np.array([1, 0]), np.array([1.0]))


def test_drift_is_a_band_share_beyond_the_bound() -> None:
    pairs = DRIFT_MIN_PAIRS
    assert not drifted(None, pairs, pairs)  # no baseline: nothing to compare with
    assert not drifted(0.002, pairs - 1, pairs - 1)  # too few pairs to say
    assert not drifted(0.002, pairs, int(pairs * 0.011))  # above 3x but within the margin
    assert drifted(0.002, pairs, int(pairs * 0.02))
    assert not drifted(0.05, pairs, int(pairs * 0.12))  # within 3x
    assert drifted(0.05, pairs, int(pairs * 0.16))
