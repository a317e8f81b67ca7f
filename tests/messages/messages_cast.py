"""The message centre's tests' cast (no tests here): places in 民乐县 (620722) and one outside it
(临泽县 620723), and the accounts the tests send from and to."""

from __future__ import annotations

from dataclasses import dataclass

COUNTY, TOWN, OTHER_TOWN, VILLAGE = "620722", "620722104", "620722101", "620722104200"
GRID = "620722104200001"
OUTSIDE = "620723"


@dataclass
class Person:
    id: int
    username: str
    headers: dict[str, str]


@dataclass
class Cast:
    sender: Person  # analyst of the county (messages:send)
    leader: Person  # leader of the county
    town_worker: Person  # gridworker of 南古镇
    grid_worker: Person  # gridworker registered at the grid itself
    member: Person  # viewer of 洪水镇, grid member (网格员) of the grid
    other_town: Person  # viewer of 洪水镇
    outsider: Person  # viewer of 临泽县
    admin: Person  # sysadmin of the county (messages:admin)
