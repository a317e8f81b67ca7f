"""Permission codes of the base libraries (人口库、法人库), and the titles of their audit records.

``masterdata:review`` is the data steward's: decide the review queue's uncertain pairs (合并 /
不是同一人) and split a master, within the steward's region. ``masterdata:manage`` retrains the
linkage model, which serves the whole installation.
"""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare

declare(
    "masterdata",
    {
        "masterdata:read": "查看基础库 (人口库、法人库)",
        "masterdata:review": "审核人口库疑似重复人员 (合并、确认不是同一人、拆分档案)",
        "masterdata:manage": "管理人口库匹配模型 (重新训练)",
    },
    granted_to={
        "masterdata:read": {"analyst", "commander", "pii_reviewer"},
        "masterdata:review": {"analyst"},
        "masterdata:manage": {"analyst"},
    },
)

register_actions(
    {
        "masterdata.persons.link_batch": "人口库关联新批次",
        "masterdata.entities.link_batch": "法人库归并新批次",
        "masterdata.review.read": "查看疑似重复人员",
        "masterdata.review.merge": "合并疑似重复人员",
        "masterdata.review.apart": "确认不是同一人",
        "masterdata.person.split": "拆分人员档案",
        "masterdata.person.records": "查看人员档案来源记录",
        "masterdata.model.train": "训练人口库匹配模型",
        "masterdata.model.retrain_requested": "申请重新训练人口库匹配模型",
    }
)
register_object_types(
    {"masterdata_review_pair": "疑似重复人员", "masterdata_linkage_model": "人口库匹配模型"}
)
