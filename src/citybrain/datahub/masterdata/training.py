"""Training the 人口库 linkage model on demand (CLI, web) or when drift is seen.

The model is trained on every current record of the registered sources and kept (a new row of
``masterdata_linkage_model``, the newest in use); its baseline band share is measured on the
same records. Masters are not relinked: the next runs score with the new weights.
"""

from __future__ import annotations

import dataclasses

import duckdb
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.errors import InvalidState
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.masterdata import persist
from citybrain.datahub.masterdata.linkage import link_person_records
from citybrain.datahub.masterdata.linkage_model import InsufficientTrainingData, LinkageConfig
from citybrain.datahub.masterdata.linking import linkage_table
from citybrain.datahub.masterdata.sources import read_person_records, source_info


def retrain_person_model(
    session: Session,
    *,
    hub: HubStore,
    reason: str = "manual",
    config: LinkageConfig | None = None,
    settings: Settings | None = None,
) -> persist.StoredModel:
    """Train the 人口库 model anew on every current record of the registered sources and keep
    it (later runs use it; masters are not relinked). Its baseline band share is measured on
    the same records. ``reason`` says why: ``manual`` (CLI, web) or ``drift``.

    Audited ``masterdata.model.train``. Raises InvalidState ``masterdata_not_built`` when no
    full build registered the sources yet and ``linkage_insufficient_data`` when the records
    are too few to train on.
    """
    persist.lock_library(session)
    codes = persist.registered_sources(session, "person")
    if not codes:
        raise InvalidState("人口库尚未生成, 没有可训练的数据", code="masterdata_not_built")
    cipher = field_cipher(settings or get_settings())
    records = read_person_records(hub, source_info(session, codes), cipher)
    base = dataclasses.replace(
        config or LinkageConfig(), trained_model=None, identifiers_are_blind_indexes=True
    )
    con = duckdb.connect()
    try:
        con.register("records_arrow", linkage_table(records))
        result = link_person_records(con, records_table="records_arrow", config=base)
    except InsufficientTrainingData as exc:
        raise InvalidState(
            "记录太少，无法训练人口库匹配模型：请先归集更多部门数据后再构建",
            code="linkage_insufficient_data",
        ) from exc
    finally:
        con.close()
    now = utcnow()
    model_id = persist.store_model(
        session, "person", result.model, records=len(records), now=now, reason=reason,
        band_share=result.band_share,
    )  # fmt: skip
    audit.record(
        session,
        action="masterdata.model.train",
        object_type="masterdata_linkage_model",
        object_id=str(model_id),
        detail={
            "reason": reason, "records": len(records), "pairs_scored": result.n_pairs_scored,
            "band_share": round(result.band_share, 6), "resources": codes,
        },
    )  # fmt: skip
    stored = persist.stored_model(session, "person")
    if stored is None:  # just written in this transaction
        raise InvalidState("模型保存失败", code="model_not_stored")
    return stored
