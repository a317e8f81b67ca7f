"""Demo catalog of 民乐县 (620722): six departments and the resources they hold.

The item ``name``s are stable: ingestion, quality rules and the hub tables refer to them (see
docs/catalog.md). Seeding is idempotent: departments and resources that exist are left alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries, service
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import DemandCreate, DemandFilter, ResourceCreate
from citybrain.iam.departments import ensure_department

# (suffix, name, short name); codes are f"{region}-{suffix}", names prefixed by the county.
DEPARTMENTS = (
    ("GA", "公安局", "公安"),
    ("MZ", "民政局", "民政"),
    ("WJ", "卫生健康局", "卫健"),
    ("RS", "人力资源和社会保障局", "人社"),
    ("SJ", "市场监督管理局", "市场监管"),
    ("DSJ", "大数据管理局", "大数据"),
)

# Item tuples: (name, title, type, length, sensitivity, mask, description)
_NAME = ("name", "姓名", "string", 50, "sensitive", "name", "")
_ID = ("id_number", "公民身份号码", "string", 18, "sensitive", "id_number", "GB 11643 18 位")
_GENDER = ("gender", "性别", "string", 2, "internal", "none", "男/女")
_BIRTH = ("birth_date", "出生日期", "date", None, "internal", "none", "")
_PHONE = ("phone", "联系电话", "string", 20, "sensitive", "mobile", "")
_ADDRESS = ("address", "户籍地址", "string", 200, "sensitive", "address", "")
_TOWN = ("town_code", "所属乡镇", "string", 12, "public", "none", "9 位乡镇代码")
_UPDATED = ("updated_at", "更新时间", "datetime", None, "public", "none", "记录最后变更时间")


def _resource(suffix: str, serial: str, **fields: Any) -> dict[str, Any]:
    return {"dept": suffix, "serial": serial, **fields}


RESOURCES: tuple[dict[str, Any], ...] = (
    _resource(
        "GA", "001", name="户籍人口信息", category="basic", share_type="conditional",
        share_condition="仅限政务部门依法履职使用, 经县公安局审核后按需共享",
        share_method="api", open_attribute="closed", update_cycle="daily",
        summary="全县户籍人口的身份、出生、民族、户籍地址和联系方式, 人口库的权威来源",
        key_item="id_number", version_item="updated_at",
        items=[_NAME, _ID, _GENDER, _BIRTH, ("ethnicity", "民族", "string", 16, "internal",
               "none", ""), _ADDRESS, _PHONE, _TOWN, _UPDATED],
    ),
    _resource(
        "GA", "002", name="重点人员管控信息", category="department", share_type="none",
        share_basis="《中华人民共和国保守国家秘密法》第二十八条: 涉及国家秘密, 不予共享",
        share_method="table", open_attribute="closed", update_cycle="realtime",
        summary="公安机关依法管控的重点人员名单", key_item="id_number",
        items=[_NAME, _ID, ("person_category", "人员类别", "string", 32, "core", "none", ""),
               ("control_level", "管控级别", "string", 8, "core", "none", ""), _TOWN],
    ),
    _resource(
        "MZ", "001", name="最低生活保障对象信息", category="department",
        share_type="conditional",
        share_condition="用于社会救助资格核查和政策精准落实, 经民政局审批",
        share_method="api", open_attribute="closed", update_cycle="monthly",
        summary="城乡低保对象及其家庭保障情况", key_item="id_number",
        items=[_NAME, _ID, _GENDER, ("family_size", "家庭人口数", "integer", None, "internal",
               "none", ""), ("allowance", "月保障金额", "decimal", None, "internal", "none",
               "元"), ("approved_on", "批准日期", "date", None, "internal", "none", ""),
               ("assistance_status", "保障状态", "string", 8, "internal", "none", "在保/停保"),
               _ADDRESS, _TOWN],
    ),
    _resource(
        "MZ", "002", name="养老服务对象信息", category="theme", share_type="conditional",
        share_condition="用于养老服务补贴发放和居家养老服务派单",
        share_method="api", open_attribute="closed", update_cycle="monthly",
        summary="享受居家和机构养老服务的老年人", key_item="id_number",
        items=[_NAME, _ID, _BIRTH, ("service_type", "服务类型", "string", 16, "internal", "none",
               "居家/社区/机构"), ("care_level", "照护等级", "string", 8, "internal", "none",
               ""), _PHONE, _ADDRESS, _TOWN],
    ),
    _resource(
        "WJ", "001", name="家庭医生签约信息", category="department", share_type="conditional",
        share_condition="用于健康服务和医保核查, 不得用于其他用途", share_method="api",
        open_attribute="closed", update_cycle="weekly",
        summary="居民与家庭医生团队的签约服务记录", key_item="id_number",
        items=[_NAME, _ID, _PHONE, ("doctor_name", "签约医生", "string", 50, "internal", "none",
               ""), ("team_name", "签约团队", "string", 100, "internal", "none", ""),
               ("service_package", "服务包", "string", 50, "internal", "none", ""),
               ("signed_on", "签约日期", "date", None, "internal", "none", ""),
               ("expires_on", "到期日期", "date", None, "internal", "none", ""), _TOWN],
    ),
    _resource(
        "WJ", "002", name="基层医疗卫生机构名录", category="theme", share_type="unconditional",
        share_method="file", open_attribute="conditional", update_cycle="quarterly",
        summary="乡镇卫生院、村卫生室的名称、类别、地址和服务电话",
        key_item="institution_code",
        items=[("institution_code", "机构代码", "string", 18, "public", "none", ""),
               ("institution_name", "机构名称", "string", 100, "public", "none", ""),
               ("institution_type", "机构类别", "string", 16, "public", "none", "卫生院/卫生室"),
               ("address", "地址", "string", 200, "public", "none", ""),
               ("service_phone", "服务电话", "string", 20, "public", "none", ""), _TOWN],
    ),
    _resource(
        "RS", "001", name="社会保险参保人员信息", category="department",
        share_type="conditional", share_condition="用于社会救助、就业补贴资格核查",
        share_method="api", open_attribute="closed", update_cycle="monthly",
        summary="养老、医疗、失业、工伤保险的参保与缴费状态", key_item="id_number",
        items=[_NAME, _ID, ("insurance_type", "险种", "string", 16, "internal", "none", ""),
               ("insured_on", "参保日期", "date", None, "internal", "none", ""),
               ("payment_status", "缴费状态", "string", 8, "internal", "none", "正常/中断"),
               ("employer", "参保单位", "string", 200, "internal", "none", ""), _TOWN],
    ),
    _resource(
        "SJ", "001", name="企业登记信息", category="basic", share_type="unconditional",
        share_method="api", open_attribute="open", update_cycle="daily",
        summary="在民乐县登记的企业的基本登记信息, 法人库的权威来源",
        key_item="uscc", version_item="updated_at",
        items=[("uscc", "统一社会信用代码", "string", 18, "public", "none", "GB 32100 18 位"),
               ("enterprise_name", "企业名称", "string", 200, "public", "none", ""),
               ("legal_representative", "法定代表人", "string", 50, "public", "name", ""),
               ("registered_address", "注册地址", "string", 200, "public", "none", ""),
               ("established_on", "成立日期", "date", None, "public", "none", ""),
               ("registered_capital", "注册资本", "decimal", None, "public", "none", "万元"),
               ("business_status", "经营状态", "string", 16, "public", "none", "存续/注销/吊销"),
               _UPDATED],
    ),
    _resource(
        "DSJ", "001", name="乡镇人口统计", category="theme", share_type="unconditional",
        share_method="file", open_attribute="open", update_cycle="yearly",
        summary="各乡镇最新年度的户数与人口, 按性别和年龄分组", key_item="town_code",
        items=[("town_code", "乡镇代码", "string", 12, "public", "none", ""),
               ("town_name", "乡镇名称", "string", 50, "public", "none", ""),
               ("stat_year", "统计年度", "integer", None, "public", "none", ""),
               ("households", "户数", "integer", None, "public", "none", ""),
               ("population", "户籍人口数", "integer", None, "public", "none", ""),
               ("male", "男性人口", "integer", None, "public", "none", ""),
               ("female", "女性人口", "integer", None, "public", "none", ""),
               ("aged_60_plus", "60岁及以上人口", "integer", None, "public", "none", "")],
    ),
)  # fmt: skip

_RELATED = {"MZ-001": ["GA-001"], "WJ-001": ["GA-001"], "DSJ-001": ["GA-001"]}


def seed_demo_catalog(
    session: Session, region_code: str = "620722", *, county_name: str = "民乐县"
) -> list[CatalogResource]:
    """Register the demo departments and resources of ``region_code`` (idempotent).

    Side effects: departments via ``ensure_department`` and resources via the catalog
    service, each audited. Returns the demo resources, existing or new, in code order."""
    for suffix, name, short in DEPARTMENTS:
        ensure_department(
            session, code=f"{region_code}-{suffix}", name=f"{county_name}{name}",
            short_name=short, region_code=region_code,
        )  # fmt: skip
    resources: list[CatalogResource] = []
    for entry in RESOURCES:
        code = f"{region_code}-{entry['dept']}-{entry['serial']}"
        existing = service.find_resource(session, code)
        if existing is not None:
            resources.append(existing)
            continue
        fields = {k: v for k, v in entry.items() if k not in ("dept", "serial", "items")}
        related = _RELATED.get(f"{entry['dept']}-{entry['serial']}", [])
        spec = ResourceCreate.model_validate(
            {
                **fields, "code": code, "provider_code": f"{region_code}-{entry['dept']}",
                "released_on": date(2024, 3, 1),
                "related_codes": [f"{region_code}-{c}" for c in related],
                "items": [
                    dict(zip(("name", "title", "type", "length", "sensitivity", "mask",
                              "description"), item, strict=True))
                    for item in entry["items"]
                ],
            }
        )  # fmt: skip
        resources.append(service.register_resource(session, spec=spec, scope=Scope.system()))
    return sorted(resources, key=lambda r: r.code)


def seed_demo_demands(session: Session, region_code: str = "620722") -> None:
    """One open need of 民政局 for 人社 insurance data (low-income checks), if none exists."""
    existing = queries.list_demands(
        session,
        filters=DemandFilter(requester_code=f"{region_code}-MZ"),
        page=PageParams(),
        scope=Scope.system(),
    )
    if existing.total:
        return
    service.register_demand(
        session,
        spec=DemandCreate(
            requester_code=f"{region_code}-MZ", title="低保对象参保和缴费状态",
            description="低保资格年审需核对申请人及家庭成员的社会保险参保、缴费情况",
            wanted_items=["公民身份号码", "险种", "缴费状态", "参保单位"],
        ),
        scope=Scope.system(),
    )  # fmt: skip
