"""The departments and catalog resources of the demo's synthetic statistics (合成数据).

Each resource is a department's monthly statistics or its case records, registered in the
catalog like any other (owner department, items typed for the hub) and flagged twice as
synthetic: the summary starts with 合成数据 and every row carries ``synthetic = true``.
Aggregates and case records only: no names, ID or phone numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.demo.stats_common import SYNTHETIC
from citybrain.iam.departments import ensure_department

STATS_DEPARTMENTS = (
    ("TJ", "统计局", "统计"),
    ("CZ", "财政局", "财政"),
    ("JY", "教育局", "教育"),
    ("WJ", "卫生健康局", "卫健"),
    ("RS", "人力资源和社会保障局", "人社"),
    ("ZW", "政务服务中心", "政务服务"),
    ("YJ", "应急管理局", "应急"),
    ("ZF", "政法委员会", "政法"),
)

Item = tuple[str, str, str, str]  # name, title, type, description
_KEY: Item = ("record_key", "记录编号", "string", "乡镇代码-统计月份")
_TOWN: Item = ("town_code", "乡镇代码", "string", "9 位乡镇代码")
_MONTH: Item = ("stat_month", "统计月份", "date", "当月 1 日")
_FLAG: Item = ("synthetic", "合成数据", "boolean", "演示用合成数据, 非真实统计")


@dataclass(frozen=True, slots=True)
class StatsResource:
    dept: str
    serial: str
    name: str
    file_name: str
    summary: str
    items: tuple[Item, ...]
    key_item: str = "record_key"
    update_cycle: str = "monthly"

    def code(self, region: str) -> str:
        return f"{region}-{self.dept}-{self.serial}"

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(title for _, title, _, _ in self.items)


def _monthly(*items: Item) -> tuple[Item, ...]:
    return (_KEY, _TOWN, _MONTH, *items, _FLAG)


ECONOMY = StatsResource(
    "TJ",
    "101",
    "乡镇经济运行月度统计",
    "统计局_乡镇经济运行月报.csv",
    "各乡镇(园区)月度地区生产总值、固定资产投资、社会消费品零售总额与常住人口",
    _monthly(
        ("gdp", "地区生产总值", "decimal", "万元, 当月"),
        ("fixed_asset_investment", "固定资产投资", "decimal", "万元, 当月完成额"),
        ("retail_sales", "社会消费品零售总额", "decimal", "万元, 当月"),
        ("resident_population", "常住人口", "integer", "人, 月末"),
    ),
)
BUDGET = StatsResource(
    "CZ",
    "101",
    "一般公共预算收入月报",
    "财政局_一般公共预算收入月报.csv",
    "各乡镇(园区)月度一般公共预算收入、税收收入和月度预算目标",
    _monthly(
        ("budget_revenue", "一般公共预算收入", "decimal", "万元, 当月"),
        ("tax_revenue", "税收收入", "decimal", "万元, 当月"),
        ("budget_target", "预算收入目标", "decimal", "万元, 年度目标按月分解"),
    ),
)
SCHOOLS = StatsResource(
    "JY",
    "101",
    "学校与在校生月度统计",
    "教育局_学校与在校生统计.csv",
    "各乡镇中小学、幼儿园校数, 在校生与专任教师人数 (月末)",
    _monthly(
        ("schools", "学校数", "integer", "所"),
        ("students", "在校生数", "integer", "人"),
        ("teachers", "专任教师数", "integer", "人"),
    ),
)
HEALTH = StatsResource(
    "WJ",
    "101",
    "医疗卫生机构与床位月度统计",
    "卫健局_医疗卫生资源月报.csv",
    "各乡镇医疗卫生机构数、实有床位、执业(助理)医师与当月诊疗人次",
    _monthly(
        ("institutions", "医疗卫生机构数", "integer", "个"),
        ("beds", "实有床位数", "integer", "张"),
        ("doctors", "执业医师数", "integer", "人"),
        ("outpatient_visits", "诊疗人次", "integer", "人次, 当月"),
    ),
)
EMPLOYMENT = StatsResource(
    "RS",
    "101",
    "就业与失业登记月报",
    "人社局_就业失业登记月报.csv",
    "各乡镇当月城镇新增就业、月末登记失业人数和劳动力人数",
    _monthly(
        ("new_jobs", "城镇新增就业人数", "integer", "人, 当月"),
        ("registered_unemployed", "登记失业人数", "integer", "人, 月末"),
        ("labor_force", "城镇劳动力人数", "integer", "人, 月末"),
    ),
)
CASES = StatsResource(
    "ZW",
    "101",
    "政务服务办件记录",
    "政务服务中心_办件记录.csv",
    "政务服务事项办件: 事项、受理与办结时间、办理时限、是否按时办结、好差评 (不含申请人信息)",
    (
        ("case_no", "办件编号", "string", ""),
        _TOWN,
        ("item_code", "事项编码", "string", ""),
        ("item_name", "事项名称", "string", ""),
        ("channel", "申办渠道", "string", "窗口/网办/自助"),
        ("received_at", "受理时间", "datetime", ""),
        ("finished_at", "办结时间", "datetime", ""),
        ("limit_days", "承诺时限", "integer", "工作日"),
        ("elapsed_hours", "办理用时", "decimal", "小时, 办结时计算"),
        ("on_time", "按时办结", "boolean", ""),
        ("rating", "好差评", "string", "非常满意/满意/基本满意/不满意/非常不满意"),
        ("rating_score", "评价分值", "integer", "1-5"),
        _FLAG,
    ),
    key_item="case_no",
    update_cycle="daily",
)
HOTLINE = StatsResource(
    "ZW",
    "102",
    "12345热线工单",
    "政务服务中心_12345热线工单.csv",
    "12345 热线工单: 诉求类别、受理、响应与办结时间、是否按时、回访满意度 (不含来电人信息)",
    (
        ("ticket_no", "工单编号", "string", ""),
        _TOWN,
        ("category", "诉求类别", "string", ""),
        ("received_at", "受理时间", "datetime", ""),
        ("responded_at", "响应时间", "datetime", ""),
        ("closed_at", "办结时间", "datetime", ""),
        ("responded_on_time", "按时响应", "boolean", "2 小时内"),
        ("closed_on_time", "按期办结", "boolean", ""),
        ("satisfied", "回访满意", "boolean", "未回访为空"),
        ("repeat_call", "重复来电", "boolean", ""),
        _FLAG,
    ),
    key_item="ticket_no",
    update_cycle="daily",
)
SAFETY = StatsResource(
    "YJ",
    "101",
    "公共安全事件记录",
    "应急管理局_公共安全事件.csv",
    "火灾、道路交通、安全生产、自然灾害等公共安全事件: 等级、接报与到场、处置、伤亡和损失",
    (
        ("event_no", "事件编号", "string", ""),
        _TOWN,
        ("event_type", "事件类型", "string", ""),
        ("event_level", "事件等级", "string", "一般/较大/重大"),
        ("reported_at", "接报时间", "datetime", ""),
        ("arrival_minutes", "到场用时", "integer", "分钟"),
        ("handled", "处置完毕", "boolean", ""),
        ("casualties", "伤亡人数", "integer", "人"),
        ("economic_loss", "直接经济损失", "decimal", "万元"),
        _FLAG,
    ),
    key_item="event_no",
    update_cycle="daily",
)
GOVERNANCE = StatsResource(
    "ZF",
    "101",
    "三源治理事项记录",
    "政法委_三源治理事项.csv",
    "诉源、警源、访源三类矛盾纠纷事项: 登记、化解、按期办结、诉前调解、重复信访与满意度",
    (
        ("matter_no", "事项编号", "string", ""),
        _TOWN,
        ("source", "来源", "string", "诉源/警源/访源"),
        ("category", "纠纷类别", "string", ""),
        ("registered_at", "登记时间", "datetime", ""),
        ("resolved", "化解成功", "boolean", ""),
        ("on_time", "按期办结", "boolean", ""),
        ("litigated", "进入诉讼", "boolean", "诉源: 调解不成立诉至法院"),
        ("repeat_petition", "重复信访", "boolean", "访源"),
        ("satisfied", "群众满意", "boolean", "未回访为空"),
        _FLAG,
    ),
    key_item="matter_no",
    update_cycle="daily",
)
STATS_RESOURCES = (ECONOMY, BUDGET, SCHOOLS, HEALTH, EMPLOYMENT, CASES, HOTLINE, SAFETY,
                   GOVERNANCE)  # fmt: skip


def seed_stats_catalog(session: Session, region: str, *, county_name: str = "民乐县") -> None:
    """Register the departments and resources (idempotent; audited by the services)."""
    for suffix, name, short in STATS_DEPARTMENTS:
        ensure_department(
            session, code=f"{region}-{suffix}", name=f"{county_name}{name}", short_name=short,
            region_code=region,
        )  # fmt: skip
    for entry in STATS_RESOURCES:
        code = entry.code(region)
        if service.find_resource(session, code) is not None:
            continue
        records = entry.key_item != "record_key"
        spec = ResourceCreate.model_validate(
            {
                "code": code, "name": entry.name, "provider_code": f"{region}-{entry.dept}",
                "category": "department" if records else "theme",
                "share_type": "conditional",
                "share_condition": "仅限政务部门统计分析和指标计算使用",
                "share_method": "api", "open_attribute": "closed",
                "update_cycle": entry.update_cycle, "summary": f"{SYNTHETIC}: {entry.summary}",
                "key_item": entry.key_item, "released_on": date(2024, 7, 1),
                "items": [
                    {"name": n, "title": t, "type": ty, "length": None,
                     "sensitivity": "internal", "mask": "none", "description": d}
                    for n, t, ty, d in entry.items
                ],
            }
        )  # fmt: skip
        service.register_resource(session, spec=spec, scope=Scope.system())
