"""Chinese names for what the ledger stores as codes: actions, object types, roles and the keys
of a record's detail. Each domain registers its own (``register_actions({...})`` next to its
service); the table below names the actions that existed when the registry was made. An
unregistered code is shown as the code itself, so a missing title never hides a record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

_actions: dict[str, str] = {}
_object_types: dict[str, str] = {}
_roles: dict[str, str] = {}
_detail_labels: dict[str, str] = {}
_outcomes: Final = {"success": "成功", "failure": "失败"}


def register_actions(titles: Mapping[str, str]) -> None:
    """Add or replace action titles, e.g. ``{"iam.user.create": "创建用户"}``."""
    _actions.update(titles)


def register_object_types(titles: Mapping[str, str]) -> None:
    _object_types.update(titles)


def register_roles(titles: Mapping[str, str]) -> None:
    _roles.update(titles)


def register_detail_labels(labels: Mapping[str, str]) -> None:
    """Labels for keys of a record's detail, e.g. ``{"reason": "原因"}``."""
    _detail_labels.update(labels)


def action_title(code: str) -> str:
    return _actions.get(code, code)


def object_type_title(code: str) -> str:
    return _object_types.get(code, code) if code else ""


def role_title(code: str, extra: Mapping[str, str] | None = None) -> str:
    """A record's role field may list several roles (``"analyst,viewer"``)."""
    names = [c for c in code.split(",") if c]
    titles = {**_roles, **(extra or {})}
    return "、".join(titles.get(name, name) for name in names)


def outcome_title(code: str) -> str:
    return _outcomes.get(code, code)


def detail_label(key: str) -> str:
    return _detail_labels.get(key, key)


def known_actions() -> dict[str, str]:
    """Every registered action and its title (for the audit page's action filter)."""
    return dict(sorted(_actions.items()))


ACTION_TITLES: Final[Mapping[str, str]] = {
    "audit.export": "导出审计日志",
    "security.denied": "拒绝访问",
    "pii.download": "下载个人信息",
    "pii.unmask": "查看个人信息原文",
    "catalog.demand.close": "关闭数据需求",
    "catalog.demand.create": "提出数据需求",
    "catalog.demand.match": "匹配数据需求",
    "catalog.import": "导入资源目录",
    "catalog.resource.create": "新建目录资源",
    "catalog.resource.retire": "下线目录资源",
    "catalog.resource.update": "修改目录资源",
    "iam.apikey.create": "创建接口密钥",
    "iam.apikey.revoke": "吊销接口密钥",
    "iam.department.create": "创建部门",
    "iam.login": "登录",
    "iam.logout": "退出登录",
    "iam.oidc.exchange": "统一身份认证换取会话",
    "iam.oidc.login": "统一身份认证登录",
    "iam.oidc.provision": "统一身份认证开通账号",
    "iam.oidc.refresh": "统一身份认证同步账号",
    "iam.password.change": "修改密码",
    "iam.password.change_refused": "修改密码被拒绝",
    "iam.password.reset": "重置密码",
    "iam.password.set": "设置密码",
    "iam.role.create": "创建角色",
    "iam.role.permissions": "修改角色权限",
    "iam.totp.confirm": "绑定二次验证",
    "iam.totp.enrol": "申请绑定二次验证",
    "iam.totp.reset": "重置二次验证",
    "iam.user.create": "创建用户",
    "ops.backup.create": "备份整个系统",
    "iam.user.disable": "停用用户",
    "iam.user.enable": "启用用户",
    "iam.user.locked": "账号被锁定",
    "iam.user.roles": "修改用户角色",
    "iam.user.unlock": "解锁账号",
    "ingest.batch.duplicate": "重复的归集批次",
    "ingest.batch.fail": "归集批次失败",
    "ingest.batch.load": "归集批次入库",
    "ingest.batch.recover": "中断批次善后",
    "ingest.batch.queue": "提交归集批次",
    "ingest.batch.reject": "拒收归集批次",
    "ingest.schedule.set": "设置归集计划",
    "masterdata.entities.build": "生成法人库",
    "masterdata.person.read": "查看人员档案",
    "masterdata.person.search": "查询人口库",
    "masterdata.persons.build": "生成人口库",
    "masterdata.unmask": "查看人员档案原文",
    "quality.rectification.close": "关闭整改单",
    "quality.rectification.download": "下载整改问题数据",
    "quality.rectification.open": "发起数据整改",
    "quality.rectification.resubmit": "重新提交整改数据",
    "quality.rules.set": "设置质量规则",
    "regions.grid_member.add": "添加网格员",
    "regions.grid_member.remove": "移除网格员",
    "regions.grid_member.unmask": "查看网格员完整手机号",
    "regions.grids.import": "导入网格",
    "regions.grids.synthetic": "生成示例网格",
    "regions.grids.synthetic_remove": "删除示例网格",
    "regions.load": "载入行政区划",
    "sharing.deliver": "交付共享数据",
    "sharing.grant.create": "授予共享权限",
    "sharing.grant.revoke": "撤销共享权限",
    "sharing.grant.token_issue": "签发共享访问令牌",
    "sharing.request.approve": "批准共享申请",
    "sharing.request.create": "提交共享申请",
    "sharing.request.expire": "共享申请过期",
    "sharing.request.reject": "驳回共享申请",
}

OBJECT_TYPE_TITLES: Final[Mapping[str, str]] = {
    "audit_record": "审计记录",
    "catalog": "资源目录",
    "catalog_demand": "数据需求",
    "catalog_resource": "目录资源",
    "department": "部门",
    "grid_member": "网格员",
    "http": "接口",
    "iam_api_key": "接口密钥",
    "iam_role": "角色",
    "iam_session": "会话",
    "iam_user": "用户",
    "ingest_batch": "归集批次",
    "ingest_source_schedule": "归集计划",
    "masterdata_person": "人员档案",
    "masterdata_entity": "法人档案",
    "rectification_order": "整改单",
    "region": "行政区划",
    "sharing_grant": "共享授权",
    "sharing_request": "共享申请",
}

ROLE_TITLES: Final[Mapping[str, str]] = {
    # the roles that are not iam's: who acts when no person does
    "cli": "命令行",
    "apikey": "部门系统 (接口密钥)",
    "ingest-job": "归集任务",
}

DETAIL_LABELS: Final[Mapping[str, str]] = {
    "username": "用户名",
    "roles": "角色",
    "reason": "原因",
    "fields": "字段",
    "requested_id": "查询编号",
    "status": "状态码",
    "code": "错误代码",
    "other_sessions_revoked": "注销其他会话数",
    "sessions_revoked": "注销会话数",
    "note": "备注",
    "masked": "已脱敏",
    "count": "条数",
    "rows": "行数",
    "format": "格式",
    "kind": "类别",
    "filter": "筛选条件",
    "violations": "不符合项",
    "pii": "个人信息访问",
}

register_actions(ACTION_TITLES)
register_object_types(OBJECT_TYPE_TITLES)
register_roles(ROLE_TITLES)
register_detail_labels(DETAIL_LABELS)
