"""Clusters of linked records: connected components, with pairs a steward kept apart.

Nodes are the integers ``0 … n-1`` (the linkage input's ``rid``); an edge joins two records
whose match weight reached the link threshold, or two records of one existing master (a
certain edge, weight ``inf``). The components come from SciPy's sparse-graph
``connected_components`` (one pass over the edge arrays; Splink's own clustering iterates SQL
joins until the labels settle, which took a third of a run on a million records).

A *cannot-link* pair (two records, standing for two masters a steward marked 不是同一人) must
never end in one cluster. Only the few components that would hold both ends are clustered again,
greedily: their edges in falling weight order, certain edges first, each joining two groups
unless one holds a record kept apart from a record of the other. So the strongest evidence wins,
and a new record that matches both masters joins the one it matches best. A certain edge always
joins (the two records already share a master: a steward merged them since).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix  # type: ignore[import-untyped]  # SciPy ships no stubs
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

__all__ = ["cluster_labels"]

Labels = npt.NDArray[np.int64]


def cluster_labels(
    n: int,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    *,
    apart: Sequence[tuple[int, int]] = (),
) -> Labels:
    """A cluster label per node (``0 … n-1``); nodes with one label form one cluster.

    ``left``/``right``/``weight`` are the edges (equal lengths, weights ``inf`` for certain
    edges); ``apart`` the cannot-link pairs. Raises ``ValueError`` on edges outside ``0 … n-1``.
    """
    if not len(left) == len(right) == len(weight):
        raise ValueError("edge arrays differ in length")
    if len(left) and (min(left.min(), right.min()) < 0 or max(left.max(), right.max()) >= n):
        raise ValueError("an edge names a node outside 0 … n-1")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, found = connected_components(graph, directed=False)
    labels: Labels = found.astype(np.int64)
    broken = {int(labels[a]) for a, b in apart if labels[a] == labels[b] and a != b}
    if broken:
        _recluster(labels, left, right, weight, broken, apart)
    return labels


def _recluster(
    labels: Labels,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    broken: set[int],
    apart: Sequence[tuple[int, int]],
) -> None:
    """Split each component of ``broken`` greedily (see the module doc), in place."""
    inside = np.isin(labels[left], np.fromiter(broken, dtype=np.int64))
    edges = np.nonzero(inside)[0]
    edges = edges[np.argsort(-weight[edges], kind="stable")]
    nodes = np.nonzero(np.isin(labels, np.fromiter(broken, dtype=np.int64)))[0]
    parent = {int(node): int(node) for node in nodes}
    kept_from: dict[int, set[int]] = {}
    for a, b in apart:
        if a in parent and b in parent and a != b:
            kept_from.setdefault(a, set()).add(b)
            kept_from.setdefault(b, set()).add(a)
    # The records each group holds that something is kept apart from, by the group's root.
    guarded: dict[int, set[int]] = {node: {node} for node in kept_from}

    def find(node: int) -> int:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def clash(x: int, y: int) -> bool:
        mine = guarded.get(x, set())
        theirs = guarded.get(y, set())
        return any(find(other) == y for record in mine for other in kept_from[record]) or any(
            find(other) == x for record in theirs for other in kept_from[record]
        )

    for edge in edges:
        x, y = find(int(left[edge])), find(int(right[edge]))
        if x == y or (np.isfinite(weight[edge]) and clash(x, y)):
            continue
        parent[y] = x
        if y in guarded:
            guarded.setdefault(x, set()).update(guarded.pop(y))
    next_label = int(labels.max()) + 1
    relabel: dict[int, int] = {}
    for node in nodes:
        root = find(int(node))
        if root not in relabel:
            relabel[root] = next_label
            next_label += 1
        labels[node] = relabel[root]
