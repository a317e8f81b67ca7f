"""The three boards of the command-centre plan, as data: each a full-screen page at its own
address, fed by the indicator board (板块) of the same name and, for emergency command, the
event hub. Matched by name, not code, because a county names its 板块 after the plan and picks
its own codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Board:
    code: str
    name: str
    description: str


BOARDS: Final = (
    Board(
        "service-efficiency",
        "政务服务和效能",
        "政务服务事项、办件量与按时办结率、好差评满意度、12345 响应与办结率、服务效能比对",
    ),
    Board(
        "economy-society",
        "经济和社会发展",
        "地区生产总值、固定资产投资、社零总额、一般公共预算收入、人口、教育、卫生、就业与群众诉求热点",
    ),
    Board(
        "emergency-command",
        "应急指挥调度",
        "事件与预警一张图、乡镇网格五色状态、应急队伍车辆物资与避难场所、预案库",
    ),
)
BY_CODE: Final = {board.code: board for board in BOARDS}
