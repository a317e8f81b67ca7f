# ruff: noqa: S608, E501 - indicator definitions (text checked by sqlcheck) built from constants
"""The demo's indicator catalog over the synthetic statistics (合成数据, ``datahub/demo/stats_*``):
boards, sets and about fifty indicators as data, for the boards 政务服务和效能, 经济和社会发展,
应急指挥调度 and 三源治理 (its seven rates, see docs/indicators.md). ``indicators/demo.py``
defines, reviews, publishes and runs them.

Rules kept by every definition: one row per town and month (sums via ``sum(CASE …)`` over the
record tables, which hold rows for every town and month, so a zero is a zero and not a gap);
rates answer numerator and denominator (``ratio``: the county is Σ numerators / Σ denominators);
decimals of record tables are summed as integer tenths or cents (``CAST(x * 10 AS BIGINT)``), so
DuckDB and PostgreSQL add exactly the same numbers in any order. ``hint``: the thresholds a
warning would use (not stored by the indicator model; the warnings module may read them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from citybrain.analytics.hub import table_name

BOARDS = (
    ("zwfw", "政务服务和效能", "办件效能、好差评与 12345 热线"),
    ("jjshfz", "经济和社会发展", "全县经济运行、社会保障与市场主体"),
    ("yjzh", "应急指挥调度", "公共安全事件与应急处置"),
    ("syzl", "三源治理", "诉源、警源、访源治理的七个率"),
)
SETS = (
    ("bjxn", "zwfw", "办件效能", "政务服务办件的办结、时效与评价"),
    ("rx12345", "zwfw", "12345热线", "热线工单的响应、办结与满意度"),
    ("jjyx", "jjshfz", "经济运行", "生产总值、投资、消费与财政收入"),
    ("shsy", "jjshfz", "社会事业", "人口、教育、卫生与就业"),
    ("aqsj", "yjzh", "公共安全事件", "各类公共安全事件的发生与损失"),
    ("yjcz", "yjzh", "应急处置", "接报到场与处置"),
    ("sylv", "syzl", "三源治理七率", "诉源、警源、访源治理的七个率"),
)


@dataclass(frozen=True)
class Hint:
    """A warning threshold: yellow at ``warn``, red at ``alarm`` (below them when the
    indicator's direction is ``higher``, above them when ``lower``)."""

    warn: float
    alarm: float


@dataclass(frozen=True)
class CatalogIndicator:
    code: str
    name: str
    set_code: str
    department: str  # the owner department's suffix
    fields: dict[str, Any]
    hint: Hint | None = None
    tables: tuple[str, ...] = field(default=())  # resource serials read (for tests)


def _period(time: str) -> str:
    return time if time == "stat_month" else f"date_trunc('month', {time})"


def _sql(
    table: str, value: str, time: str, ratio: tuple[str, str] | None = None, gran: str = "month"
) -> str:
    period = _period(time) if gran == "month" else f"date_trunc('{gran}', {time})"
    parts = f", {ratio[0]} AS numerator, {ratio[1]} AS denominator" if ratio else ""
    return (
        f"SELECT town_code AS region_code, {period} AS period, {value} AS value{parts}"
        f" FROM {table} GROUP BY town_code, {period}"
    )


def _flag(condition: str) -> str:
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _rate(num: str, den: str, scale: str = "100.0") -> tuple[str, tuple[str, str]]:
    return f"{num} * {scale} / nullif({den}, 0)", (num, den)


# fmt: off
def indicators(region: str) -> list[CatalogIndicator]:
    t = {s: table_name(f"{region}-{s}") for s in ("TJ-101", "CZ-101", "JY-101", "WJ-101", "RS-101",
        "ZW-101", "ZW-102", "YJ-101", "ZF-101")}
    out: list[CatalogIndicator] = []

    def add(code: str, name: str, set_code: str, dept: str, serial: str, value: str, *,
        time: str = "stat_month", ratio: tuple[str, str] | None = None, unit: str = "",
        caliber: str = "", hint: Hint | None = None, **extra: Any) -> None:
        fields: dict[str, Any] = {"sql_text": _sql(t[serial], value, time, ratio, extra.pop("gran",
            "month")), "unit": unit, "caliber": caliber, **extra}
        if ratio:
            fields.setdefault("rollup", "ratio")
            fields.setdefault("ratio_scale", 100.0)
        out.append(CatalogIndicator(code, name, set_code, dept, fields, hint, (serial,)))

    def rate(code: str, name: str, set_code: str, dept: str, serial: str, num: str, den: str,
        **kw: Any) -> None:
        value, ratio = _rate(num, den)
        add(code, name, set_code, dept, serial, value, ratio=ratio, unit=kw.pop("unit", "%"), **kw)

    def derived(code: str, name: str, set_code: str, dept: str, formula: str, **kw: Any) -> None:
        hint = kw.pop("hint", None)
        out.append(CatalogIndicator(code, name, set_code, dept, {"kind": "derived", "sql_text": "",
            "formula": formula, **kw}, hint))

    # 经济和社会发展 ------------------------------------------------------------------------
    add("tj_gdp", "地区生产总值", "jjyx", "TJ", "TJ-101", "sum(gdp)", unit="万元",
        caliber="当月地区生产总值 (生产法, 现价), 乡镇(园区)相加为全县")
    add("tj_gdp_quarter", "地区生产总值(季度)", "jjyx", "TJ", "TJ-101", "sum(gdp)", unit="万元",
        gran="quarter", granularity="quarter", update_frequency="quarterly",
        caliber="季度地区生产总值: 季内三个月相加")
    add("tj_fixed_asset_investment", "固定资产投资", "jjyx", "TJ", "TJ-101",
        "sum(fixed_asset_investment)", unit="万元", caliber="当月固定资产投资完成额")
    add("tj_retail_sales", "社会消费品零售总额", "jjyx", "TJ", "TJ-101", "sum(retail_sales)", unit="万元",
        caliber="当月社会消费品零售总额")
    add("tj_population", "常住人口", "shsy", "TJ", "TJ-101", "sum(resident_population)", unit="人",
        caliber="月末常住人口")
    add("cz_budget_revenue", "一般公共预算收入", "jjyx", "CZ", "CZ-101", "sum(budget_revenue)", unit="万元",
        caliber="当月一般公共预算收入")
    add("cz_tax_revenue", "税收收入", "jjyx", "CZ", "CZ-101", "sum(tax_revenue)", unit="万元",
        caliber="当月一般公共预算收入中的税收收入")
    rate("cz_tax_share", "税收占比", "jjyx", "CZ", "CZ-101", "sum(tax_revenue)", "sum(budget_revenue)",
        caliber="税收收入 ÷ 一般公共预算收入 × 100 (全县按分子分母汇总)", hint=Hint(65, 60))
    rate("cz_budget_progress", "预算收入完成率", "jjyx", "CZ", "CZ-101", "sum(budget_revenue)",
        "sum(budget_target)", caliber="当月一般公共预算收入 ÷ 当月预算目标 × 100", hint=Hint(95, 85))
    add("jy_schools", "学校数", "shsy", "JY", "JY-101", "sum(schools)", unit="所",
        caliber="月末中小学和幼儿园校数")
    add("jy_students", "在校生数", "shsy", "JY", "JY-101", "sum(students)", unit="人", caliber="月末在校生人数")
    rate("jy_student_teacher_ratio", "生师比", "shsy", "JY", "JY-101", "sum(students)",
        "sum(teachers)", unit="", ratio_scale=1.0, direction="lower",
        caliber="在校生数 ÷ 专任教师数 (全县按分子分母汇总)", hint=Hint(13, 15))
    add("wj_institutions", "医疗卫生机构数", "shsy", "WJ", "WJ-101", "sum(institutions)", unit="个",
        caliber="月末医疗卫生机构数 (含村卫生室)")
    add("wj_beds", "实有床位数", "shsy", "WJ", "WJ-101", "sum(beds)", unit="张", caliber="月末医疗卫生机构实有床位")
    add("wj_outpatient_visits", "诊疗人次", "shsy", "WJ", "WJ-101", "sum(outpatient_visits)",
        unit="人次", caliber="当月总诊疗人次")
    add("rs_new_jobs", "城镇新增就业人数", "shsy", "RS", "RS-101", "sum(new_jobs)", unit="人",
        caliber="当月城镇新增就业人数")
    rate("rs_unemployment_rate", "城镇登记失业率", "shsy", "RS", "RS-101", "sum(registered_unemployed)",
        "sum(labor_force)", direction="lower", caliber="月末登记失业人数 ÷ 城镇劳动力人数 × 100", hint=Hint(3.2,
        3.5))
    derived("tj_gdp_per_capita", "人均地区生产总值(月)", "jjyx", "TJ",
        "round(tj_gdp * 10000 / nullif(tj_population, 0), 2)", unit="元",
        caliber="地区生产总值 × 10000 ÷ 常住人口 (各级区域用本级的两个值计算)")
    derived("wj_beds_per_1000", "每千人口床位数", "shsy", "WJ",
        "round(wj_beds * 1000 / nullif(tj_population, 0), 2)", unit="张",
        caliber="实有床位数 × 1000 ÷ 常住人口", hint=Hint(6.0, 5.0))

    # 政务服务和效能 ------------------------------------------------------------------------
    received = "received_at"
    add("zw_cases", "办件量", "bjxn", "ZW", "ZW-101", "count(*)", time=received, unit="件",
        caliber="按受理时间所在月份统计的办件数")
    add("zw_finished", "办结量", "bjxn", "ZW", "ZW-101", "count(finished_at)", time=received,
        unit="件", caliber="当月受理且已办结的办件数")
    rate("zw_finish_rate", "办结率", "bjxn", "ZW", "ZW-101", "count(finished_at)", "count(*)",
        time=received, caliber="当月受理办件中已办结的比例", hint=Hint(97, 95))
    rate("zw_on_time_rate", "按时办结率", "bjxn", "ZW", "ZW-101", _flag("on_time"), "count(on_time)",
        time=received, caliber="已办结办件中在承诺时限内办结的比例", hint=Hint(95, 90))
    add("zw_overdue", "超期办件数", "bjxn", "ZW", "ZW-101", _flag("NOT on_time"), time=received,
        unit="件", direction="lower", caliber="超过承诺时限办结的办件数", hint=Hint(10, 20))
    rate("zw_online_rate", "网办率", "bjxn", "ZW", "ZW-101", _flag("channel = '网办'"), "count(*)",
        time=received, caliber="网上申办的办件占全部办件的比例", hint=Hint(45, 40))
    rate("zw_good_rate", "好评率", "bjxn", "ZW", "ZW-101", _flag("rating_score >= 4"),
        "count(rating_score)", time=received, caliber="好差评中“满意”“非常满意”占全部评价的比例", hint=Hint(90, 85))
    add("zw_bad_reviews", "差评数", "bjxn", "ZW", "ZW-101", _flag("rating_score <= 2"), time=received,
        unit="件", direction="lower", caliber="“不满意”“非常不满意”评价数")
    add("zw_avg_hours", "平均办理用时", "bjxn", "ZW", "ZW-101",
        "sum(CAST(elapsed_hours * 10 AS BIGINT)) / (10.0 * nullif(count(elapsed_hours), 0))",
        time=received, ratio=("sum(CAST(elapsed_hours * 10 AS BIGINT)) / 10.0",
        "count(elapsed_hours)"), unit="小时", rollup="ratio", ratio_scale=1.0, direction="lower",
        caliber="已办结办件办理用时之和 ÷ 办结件数")
    add("zw_avg_score", "平均评价分值", "bjxn", "ZW", "ZW-101",
        "sum(rating_score) * 1.0 / nullif(count(rating_score), 0)", time=received,
        ratio=("sum(rating_score)", "count(rating_score)"), unit="分", ratio_scale=1.0,
        caliber="评价分值 (1–5) 之和 ÷ 评价数", hint=Hint(4.3, 4.0))
    add("rx_tickets", "12345工单量", "rx12345", "ZW", "ZW-102", "count(*)", time=received, unit="件",
        caliber="按受理时间所在月份统计的热线工单数")
    rate("rx_response_rate", "及时响应率", "rx12345", "ZW", "ZW-102", _flag("responded_on_time"),
        "count(*)", time=received, caliber="2 小时内响应的工单占比", hint=Hint(95, 85))
    rate("rx_close_rate", "工单办结率", "rx12345", "ZW", "ZW-102", "count(closed_at)", "count(*)",
        time=received, caliber="当月受理工单中已办结的比例", hint=Hint(97, 95))
    rate("rx_on_time_close_rate", "按期办结率", "rx12345", "ZW", "ZW-102", _flag("closed_on_time"),
        "count(closed_on_time)", time=received, caliber="已办结工单中 10 日内办结的比例", hint=Hint(80, 75))
    rate("rx_satisfaction_rate", "回访满意率", "rx12345", "ZW", "ZW-102", _flag("satisfied"),
        "count(satisfied)", time=received, caliber="回访满意的工单占回访工单的比例", hint=Hint(92, 88))
    rate("rx_repeat_rate", "重复来电率", "rx12345", "ZW", "ZW-102", _flag("repeat_call"), "count(*)",
        time=received, direction="lower", caliber="重复来电工单占比", hint=Hint(8, 10))
    derived("zw_cases_per_10k", "万人办件量", "bjxn", "ZW",
        "round(zw_cases * 10000 / nullif(tj_population, 0), 2)", unit="件",
        caliber="办件量 × 10000 ÷ 常住人口")

    # 应急指挥调度 --------------------------------------------------------------------------
    reported = "reported_at"
    add("yj_events", "公共安全事件数", "aqsj", "YJ", "YJ-101", "count(*)", time=reported, unit="起",
        direction="lower", caliber="按接报时间所在月份统计的公共安全事件数")
    add("yj_fires", "火灾起数", "aqsj", "YJ", "YJ-101", _flag("event_type = '火灾'"), time=reported,
        unit="起", direction="lower", caliber="当月接报的火灾起数")
    add("yj_traffic", "道路交通事故数", "aqsj", "YJ", "YJ-101", _flag("event_type = '道路交通事故'"),
        time=reported, unit="起", direction="lower", caliber="当月接报的道路交通事故起数")
    add("yj_disasters", "自然灾害事件数", "aqsj", "YJ", "YJ-101", _flag("event_type = '自然灾害'"),
        time=reported, unit="起", direction="lower", caliber="当月接报的自然灾害事件数")
    add("yj_major_events", "较大及以上事件数", "aqsj", "YJ", "YJ-101", _flag("event_level <> '一般'"),
        time=reported, unit="起", direction="lower", caliber="等级为较大及以上的事件数", hint=Hint(1, 3))
    add("yj_casualties", "伤亡人数", "aqsj", "YJ", "YJ-101", "sum(casualties)", time=reported,
        unit="人", direction="lower", caliber="事件造成的伤亡人数")
    add("yj_economic_loss", "直接经济损失", "aqsj", "YJ", "YJ-101",
        "sum(CAST(economic_loss * 100 AS BIGINT)) / 100.0", time=reported, unit="万元",
        direction="lower", caliber="事件造成的直接经济损失 (按分累加)")
    rate("yj_arrival_rate", "到场及时率", "yjcz", "YJ", "YJ-101", _flag("arrival_minutes <= 30"),
        "count(*)", time=reported, caliber="接报后 30 分钟内到场的事件占比", hint=Hint(90, 80))
    add("yj_avg_arrival", "平均到场用时", "yjcz", "YJ", "YJ-101",
        "sum(arrival_minutes) * 1.0 / nullif(count(arrival_minutes), 0)", time=reported,
        ratio=("sum(arrival_minutes)", "count(arrival_minutes)"), unit="分钟", ratio_scale=1.0,
        direction="lower", caliber="到场用时之和 ÷ 事件数", hint=Hint(25, 35))
    add("yj_max_arrival", "最长到场用时", "yjcz", "YJ", "YJ-101", "max(arrival_minutes)", time=reported,
        unit="分钟", rollup="max", direction="lower", caliber="当月事件中最长的到场用时 (上级取最大)")
    rate("yj_handled_rate", "处置完毕率", "yjcz", "YJ", "YJ-101", _flag("handled"), "count(*)",
        time=reported, caliber="处置完毕的事件占比", hint=Hint(97, 95))
    derived("yj_events_per_10k", "万人公共安全事件数", "aqsj", "YJ",
        "round(yj_events * 10000 / nullif(tj_population, 0), 2)", unit="起", direction="lower",
        caliber="公共安全事件数 × 10000 ÷ 常住人口")

    # 三源治理 七个率 ------------------------------------------------------------------------
    when = "registered_at"
    add("sy_matters", "矛盾纠纷受理数", "sylv", "ZF", "ZF-101", "count(*)", time=when, unit="件",
        caliber="诉源、警源、访源登记的矛盾纠纷事项数")
    rate("sy_resolve_rate", "矛盾纠纷化解率", "sylv", "ZF", "ZF-101", _flag("resolved"), "count(*)",
        time=when, caliber="三源登记事项中化解成功的比例", hint=Hint(92, 88))
    rate("sy_mediation_rate", "诉前调解成功率", "sylv", "ZF", "ZF-101",
        _flag("source = '诉源' AND resolved"), _flag("source = '诉源'"), time=when,
        caliber="诉源事项中诉前调解成功的比例", hint=Hint(90, 85))
    rate("sy_police_resolve_rate", "警源纠纷化解率", "sylv", "ZF", "ZF-101",
        _flag("source = '警源' AND resolved"), _flag("source = '警源'"), time=when,
        caliber="从警情中排查出的纠纷化解成功的比例", hint=Hint(92, 88))
    rate("sy_petition_on_time_rate", "信访事项按期办结率", "sylv", "ZF", "ZF-101",
        _flag("source = '访源' AND on_time"), _flag("source = '访源'"), time=when,
        caliber="访源事项中按期办结的比例", hint=Hint(90, 85))
    rate("sy_repeat_petition_rate", "重复信访率", "sylv", "ZF", "ZF-101",
        _flag("source = '访源' AND repeat_petition"), _flag("source = '访源'"), time=when,
        direction="lower", caliber="访源事项中重复信访的比例", hint=Hint(12, 20))
    rate("sy_satisfaction_rate", "群众满意率", "sylv", "ZF", "ZF-101", _flag("satisfied"),
        "count(satisfied)", time=when, caliber="回访事项中群众满意的比例", hint=Hint(90, 85))
    out.append(CatalogIndicator("sy_litigation_per_10k", "万人成讼率", "sylv", "ZF",
        {"sql_text": _litigation_sql(t["ZF-101"], t["TJ-101"]), "unit": "件/万人", "rollup": "ratio",
        "ratio_scale": 10000.0, "direction": "lower",
        "caliber": "诉源事项调解不成立诉至法院的件数 × 10000 ÷ 常住人口 (全县按分子分母汇总)"}, Hint(0.5, 0.8), ("ZF-101",
        "TJ-101")))
    return out  # fmt: skip


# fmt: on


def _litigation_sql(matters: str, economy: str) -> str:
    """A join: the lawsuits of a town and month over its residents (every town-month of the
    economy table, so a month without lawsuits is a zero)."""
    return (
        "SELECT p.town_code AS region_code, p.stat_month AS period,"
        " coalesce(l.n, 0) * 10000.0 / p.resident_population AS value,"
        " coalesce(l.n, 0) AS numerator, p.resident_population AS denominator"
        f" FROM {economy} AS p LEFT JOIN (SELECT town_code, date_trunc('month', registered_at) AS m,"
        " sum(CASE WHEN litigated THEN 1 ELSE 0 END) AS n"
        f" FROM {matters} GROUP BY town_code, date_trunc('month', registered_at)) AS l"
        " ON l.town_code = p.town_code AND l.m = p.stat_month"
    )
