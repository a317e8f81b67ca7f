"""The pure code rules: normalisation, levels, ancestry, the scope prefix test."""

from __future__ import annotations

import pytest

from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.regions.scope import (
    Level,
    ancestors,
    descendant_upper_bound,
    ensure_within,
    is_within,
    level_of,
    normalise_code,
    parent_of,
    statistical_code,
    try_normalise,
)


@pytest.mark.parametrize(
    ("raw", "canonical", "level"),
    [
        ("62", "62", Level.province),
        ("6207", "6207", Level.city),
        ("620722", "620722", Level.county),
        ("620722101", "620722101", Level.town),
        ("620722101001", "620722101001", Level.village),
        ("620722101001001", "620722101001001", Level.grid),
        # 12-digit statistical forms with trailing zero groups
        ("620000000000", "62", Level.province),
        ("620700000000", "6207", Level.city),
        ("620722000000", "620722", Level.county),
        ("620722100000", "620722100", Level.town),
        ("510903001000", "510903001", Level.town),
        # 6-digit GB/T 2260 forms of provinces and cities
        ("620000", "62", Level.province),
        ("620700", "6207", Level.city),
        # placeholder cities are real city-level nodes
        ("1101", "1101", Level.city),
        ("4690", "4690", Level.city),
        ("469001", "469001", Level.county),
        # pseudo-counties of cities without counties keep their own code
        ("441900", "441900", Level.county),
        ("441900000000", "441900", Level.county),
        ("441900003", "441900003", Level.town),
        ("441900003000", "441900003", Level.town),
        # blanks around are ignored
        (" 620722 ", "620722", Level.county),
    ],
)
def test_normalise_and_level(raw: str, canonical: str, level: Level) -> None:
    assert normalise_code(raw) == canonical
    assert level_of(raw) is level


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "6",
        "62072",  # 5 digits
        "6207221",  # 7 digits
        "6207221001",  # 10 digits
        "62072210100",  # 11 digits
        "6207221010010",  # 13 digits
        "6207221010010011",  # 16 digits
        "abc",
        "62a722",
        "６２",  # full-width digits are not ASCII digits
        "62-07",
        "00",  # zero province
        "6200",  # zero city group in the short form
        "000000000000",
        "620722000",  # a 9-digit town code with town group 000
        "620722101000001",  # grid under village 000
        "620722101001000",  # grid serial 000
        "620022",  # zero city group inside
    ],
)
def test_malformed_codes_are_refused(raw: str) -> None:
    with pytest.raises(BadInput) as refused:
        normalise_code(raw)
    assert refused.value.code == "bad_region_code"
    assert "区划代码" in refused.value.message
    assert try_normalise(raw) is None


def test_non_string_is_refused() -> None:
    with pytest.raises(BadInput):
        normalise_code(620722)  # type: ignore[arg-type]  # callers outside typed code


def test_is_within_is_a_prefix_test_on_canonical_codes() -> None:
    assert is_within("620722101001", "620722")
    assert is_within("620722", "620722")  # a region is inside itself
    assert is_within("620722101001001", "62")
    assert not is_within("510903", "620722")
    assert not is_within("62", "620722")  # an ancestor is not inside its child
    assert not is_within("620723", "620722")
    assert not is_within("620722", "")  # no scope contains nothing


def test_ancestors_and_parent() -> None:
    assert ancestors("620722101001001") == ["62", "6207", "620722", "620722101", "620722101001"]
    assert ancestors("620722000000") == ["62", "6207"]
    assert ancestors("62") == []
    assert parent_of("620722101") == "620722"
    assert parent_of("441900003") == "441900"
    assert parent_of("62") is None


def test_statistical_code() -> None:
    assert statistical_code("62") == "620000000000"
    assert statistical_code("620722101") == "620722101000"
    with pytest.raises(BadInput):
        statistical_code("620722101001001")


@pytest.mark.parametrize(
    ("code", "bound"),
    [("62", "63"), ("6209", "6210"), ("620722199", "620722200"), ("99", None)],
)
def test_descendant_upper_bound(code: str, bound: str | None) -> None:
    assert descendant_upper_bound(code) == bound
    if bound is not None:
        assert code + "999999" < bound


def test_ensure_within_refuses_out_of_scope() -> None:
    assert ensure_within("620722100000", "620722") == "620722100"
    with pytest.raises(PermissionDenied) as refused:
        ensure_within("510903", "620722")
    assert refused.value.code == "out_of_scope"
    with pytest.raises(BadInput):
        ensure_within("5109x", "620722")
