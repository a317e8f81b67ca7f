"""The pure grid geometry: weighted splitting, synthetic cells and the STRtree index."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from citybrain.regions.grids import GridIndex, split_by_weights, synthetic_cells, village_short_name

L_SHAPE = shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 3), (0, 3)])


@pytest.mark.parametrize("weights", [[1.0], [1.0, 1.0], [3.0, 1.0, 2.0], [1.0] * 17])
def test_split_is_a_partition_with_weighted_areas(weights: list[float]) -> None:
    parts = split_by_weights(L_SHAPE, weights)
    assert len(parts) == len(weights)
    assert all(p.is_valid and not p.is_empty for p in parts)
    assert shapely.union_all(parts).symmetric_difference(L_SHAPE).area < 1e-9
    assert sum(p.area for p in parts) == pytest.approx(L_SHAPE.area, rel=1e-9)
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part.area == pytest.approx(L_SHAPE.area * weight / total, rel=1e-6)
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert a.intersection(b).area < 1e-12


def test_split_is_deterministic() -> None:
    first = split_by_weights(L_SHAPE, [2.0, 1.0, 1.0])
    second = split_by_weights(L_SHAPE, [2.0, 1.0, 1.0])
    assert all(a.equals_exact(b, 0) for a, b in zip(first, second, strict=True))


def test_split_refuses_bad_weights() -> None:
    assert split_by_weights(L_SHAPE, []) == []
    with pytest.raises(ValueError, match="positive"):
        split_by_weights(L_SHAPE, [1.0, 0.0])


def test_synthetic_cells_are_named_after_villages() -> None:
    towns = [
        (
            "620722101",
            "洪水镇",
            [("620722101002", "团结巷居民委员会"), ("620722101001", "县府街居民委员会")],
        ),
        ("620722102", "六坝镇", [("620722102201", "六坝村民委员会")]),
        ("620722103", "空镇", []),
    ]
    town_cells, grid_cells = synthetic_cells(shapely.box(0, 0, 3, 1), towns)
    assert [c.code for c in town_cells] == ["620722101", "620722102"]
    assert town_cells[0].geometry.area == pytest.approx(2.0)
    assert [(c.code, c.name) for c in grid_cells] == [
        ("620722101001001", "县府街社区网格"),
        ("620722101002001", "团结巷社区网格"),
        ("620722102201001", "六坝村网格"),
    ]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("六坝村民委员会", "六坝村"),
        ("城东社区居民委员会", "城东社区"),
        ("六坝村村民委员会", "六坝村"),
        ("灵泉寺社区居委会", "灵泉寺社区"),
        ("新村村委会", "新村"),
        ("团结巷居民委员会", "团结巷社区"),
        ("某某", "某某"),
    ],
)
def test_village_short_name(name: str, short: str) -> None:
    assert village_short_name(name) == short


def _index() -> tuple[GridIndex, list[tuple[str, shapely.Geometry]]]:
    cells = split_by_weights(L_SHAPE, [1.0] * 40)
    items = [(f"620722101001{i:03d}", cell) for i, cell in enumerate(cells, start=1)]
    return GridIndex(items), items


def test_locate_many_agrees_with_brute_force() -> None:
    index, items = _index()
    rng = np.random.default_rng(7)
    xs, ys = rng.uniform(-0.5, 4.5, 5000), rng.uniform(-0.5, 3.5, 5000)
    found = index.locate_many(xs, ys)
    for x, y, code in zip(xs, ys, found, strict=True):
        point = shapely.Point(x, y)
        expected = [c for c, g in items if g.covers(point)]
        assert code == (min(expected) if expected else None)
    assert sum(code is not None for code in found) > 1000  # the L covers 6 of 20 units
    assert index.locate(2.0, 2.0) is None  # the notch of the L
    assert len(index) == 40


def test_border_points_go_to_the_smaller_code() -> None:
    left, right = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    index = GridIndex([("620722101001002", right), ("620722101001001", left)])
    assert index.locate(1.0, 0.5) == "620722101001001"
    assert index.locate(1.5, 0.5) == "620722101001002"
    assert index.locate(0.0, 0.0) == "620722101001001"  # a corner is on the border too


def test_empty_index_and_mismatched_input() -> None:
    assert GridIndex([]).locate_many([1.0, 2.0], [1.0, 2.0]) == [None, None]
    with pytest.raises(ValueError, match="differ"):
        GridIndex([]).locate_positions(np.zeros(2), np.zeros(3))
