"""The Scope value: who covers which region and department, and who speaks for which."""

from __future__ import annotations

import pytest

from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.iam.permissions import cross_department


def _principal(department: str | None, *, cross: bool, kind: str = "user") -> Principal:
    return Principal(kind=kind, id=7, name="li", region_code="620722", roles=("handler",),
                     permissions=frozenset({"quality:read"}), department_code=department,
                     cross_department=cross)  # fmt: skip


@pytest.mark.parametrize(
    ("code", "covered"),
    [("620722", True), ("620722100", True), ("620722100201", True), ("6207", False),
     ("620723", False), ("510903", False), ("", False)],
)  # fmt: skip
def test_covers_region_is_the_subtree(code: str, covered: bool) -> None:
    assert Scope(region_code="620722").covers_region(code) is covered


def test_an_empty_region_covers_nothing() -> None:
    assert not Scope(region_code="").covers_region("620722")


@pytest.mark.parametrize(
    ("department", "cross", "ga", "mz", "none"),
    [
        ("620722-GA", False, True, False, False),  # a department's member: its own only
        (None, True, True, True, True),  # bureau staff: every department of the region
        (None, False, False, False, False),  # a department role without a department: none
    ],
)
def test_covers_department(
    department: str | None, cross: bool, ga: bool, mz: bool, none: bool
) -> None:
    scope = Scope.of(_principal(department, cross=cross))
    assert scope.covers_department("620722-GA") is ga
    assert scope.covers_department("620722-MZ") is mz
    assert scope.covers_department(None) is none


def test_only_a_member_acts_for_a_department() -> None:
    assert Scope.of(_principal("620722-GA", cross=False)).acts_for("620722-GA")
    assert not Scope.of(_principal("620722-GA", cross=False)).acts_for("620722-MZ")
    assert not Scope.of(_principal(None, cross=True)).acts_for("620722-GA")
    assert Scope.system().acts_for("620722-GA")


def test_the_system_is_spelled_out_and_covers_everything() -> None:
    system = Scope.system()
    assert system.unrestricted
    assert system.covers(region_code="510903", department_code="510903-GA")
    assert system.has("pii:unmask")
    assert not Scope.of(_principal(None, cross=True)).unrestricted


def test_scope_of_carries_permissions_and_names_the_actor() -> None:
    scope = Scope.of(_principal("620722-GA", cross=False))
    assert scope.has("quality:read")
    assert not scope.has("pii:unmask")
    assert scope.actor == "li"
    assert Scope.of(_principal(None, cross=True, kind="apikey")).actor == "apikey:li"


def test_scope_is_frozen() -> None:
    scope = Scope(region_code="620722")
    with pytest.raises(AttributeError):
        scope.region_code = "510903"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("roles", "department", "expected"),
    [
        (["analyst"], None, True),
        (["handler"], None, False),
        (["handler", "analyst"], None, True),
        (["analyst"], "620722-GA", False),
        (["sysadmin"], None, True),
        ([], None, False),
    ],
)
def test_who_sees_across_departments(
    roles: list[str], department: str | None, expected: bool
) -> None:
    assert cross_department(roles, department) is expected
