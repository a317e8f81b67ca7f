"""One linkage of person records into the masters, shared by the full build and the batch run.

The records to link (new ones, and linked ones whose hub version changed) and the linked
records they are compared with go into an in-memory DuckDB; :func:`~citybrain.datahub.
masterdata.masters.link_into_masters` scores and clusters them. What comes back: every record's
master, the merges, the band pairs for the review queue (pairs of records that ended in two
masters with a match weight between the review and the link threshold), the pair counts for
the drift check, and the normalised features to keep on the links.

Whichever store holds the hub (a DuckDB file or a PostgreSQL schema), the records are read out of
it (``HubStore.read_rows``) and linked in an in-memory DuckDB (Splink's ``DuckDBAPI``), not with
Splink's PostgreSQL backend: the SQL and Arrow registration around Splink are DuckDB's, the
records are decrypted and normalised in Python on the way anyway, and scoring stays off the
operational database (see docs/architecture.md, "The hub store").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.core.errors import InvalidState
from citybrain.datahub.masterdata.features import LINKAGE_SCHEMA, feature_values
from citybrain.datahub.masterdata.linkage_model import InsufficientTrainingData, LinkageConfig
from citybrain.datahub.masterdata.masters import MasterMerge, link_into_masters
from citybrain.datahub.masterdata.sources import SourceRecord, derived_birth_date

__all__ = ["BandPair", "PersonLinkOutcome", "link_persons", "linkage_table"]


@dataclass(frozen=True, slots=True)
class BandPair:
    """Two records the model could not decide on (``record_l`` < ``record_r``)."""

    record_l: str
    record_r: str
    match_weight: float
    match_probability: float


@dataclass(frozen=True, slots=True)
class PersonLinkOutcome:
    assignment: dict[str, str]  # source_record_id → master id, every record of the run
    merges: list[MasterMerge]
    linked_to_existing: int  # new records that joined a master that existed before
    learnt: dict[str, Any] | None  # the model, when this run trained it
    features: dict[str, dict[str, Any]]  # source_record_id → link feature columns
    band: list[BandPair]  # band pairs whose records ended in two masters
    pairs_scored: int
    pairs_band: int


def linkage_table(records: Sequence[SourceRecord]) -> Any:
    """The linkage columns of ``records`` (blind indexes for ID and phone numbers)."""

    def column(values: list[str | None]) -> Any:
        return pa.array(values, pa.string())

    return pa.table({
        "source_record_id": column([r.source_record_id for r in records]),
        "source": column([r.source.resource_code for r in records]),
        "name": column([r.values.get("name") for r in records]),
        "id_number": column([r.bidx.get("id_number") for r in records]),
        "birth_date": column([derived_birth_date(r) for r in records]),
        "phone": column([r.bidx.get("phone") for r in records]),
        "address": column([r.values.get("address") for r in records]),
        "id_number_valid": pa.array([r.id_valid for r in records], pa.bool_()),
    }, schema=LINKAGE_SCHEMA)  # fmt: skip


def link_persons(
    *,
    to_link: Any,
    existing: Any,
    links: Mapping[str, str],
    config: LinkageConfig,
    number_after: int,
    apart: Sequence[tuple[str, str]] = (),
    name_frequencies: Any | None = None,
    features_of: Collection[str] | None = None,
) -> PersonLinkOutcome:
    """Link the records of ``to_link`` (a linkage table) into the masters of ``links``
    (source_record_id → master id of the ``existing`` records and of the linked records in
    ``to_link``). ``features_of`` names the records whose features to return (default: those
    of ``to_link``). Raises InvalidState ``linkage_insufficient_data`` when there is no model
    and too few records to train one."""
    con = duckdb.connect()
    try:
        _load(con, "to_link", to_link)
        _load(con, "existing", existing)
        _load(con, "links", pa.table({
            "source_record_id": pa.array(list(links), pa.string()),
            "master_id": pa.array(list(links.values()), pa.string()),
        }))  # fmt: skip
        frequencies = None
        if name_frequencies is not None:
            _load(con, "name_frequencies", name_frequencies)
            frequencies = "name_frequencies"
        try:
            result = link_into_masters(
                con,
                new_records_table="to_link",
                existing_links_table="links",
                existing_records_table="existing",
                assignment_table="assignment",
                config=config,
                number_after=number_after,
                apart=apart,
                band_table="band",
                name_frequencies_table=frequencies,
                keep_input_table="kept",
            )
        except InsufficientTrainingData as exc:
            raise InvalidState(
                "记录太少，无法训练人口库匹配模型：请先归集更多部门数据后再构建",
                code="linkage_insufficient_data",
            ) from exc
        assignment = {
            str(s): str(m)
            for s, m in con.execute("select source_record_id, master_id from assignment").fetchall()
        }
        band = []
        for a, b, weight, probability in con.execute(
            "select source_record_id_l, source_record_id_r, match_weight, match_probability"
            " from band"
        ).fetchall():
            if assignment.get(str(a)) != assignment.get(str(b)):
                left, right = sorted((str(a), str(b)))
                band.append(BandPair(left, right, float(weight), float(probability)))
        features = _features(con, features_of)
    finally:
        con.close()
    clustering = result.clustering
    return PersonLinkOutcome(
        assignment=assignment,
        merges=list(result.merges),
        linked_to_existing=result.records_linked_to_existing,
        learnt=clustering.model if clustering is not None and not config.trained_model else None,
        features=features,
        band=band,
        pairs_scored=clustering.n_pairs_scored if clustering is not None else 0,
        pairs_band=clustering.n_pairs_band if clustering is not None else 0,
    )


def _load(con: duckdb.DuckDBPyConnection, name: str, table: Any) -> None:
    con.register(f"{name}_arrow", table)
    con.execute(f"create table {name} as select * from {name}_arrow")  # noqa: S608 - fixed names
    con.unregister(f"{name}_arrow")


def _features(
    con: duckdb.DuckDBPyConnection, features_of: Collection[str] | None
) -> dict[str, dict[str, Any]]:
    """Link feature columns of the kept input's records: those to link, or ``features_of``."""
    if features_of is None:
        rows = con.execute("select * from kept where is_new")
    else:
        con.register("wanted", pa.table({"source_record_id": pa.array(list(features_of))}))
        rows = con.execute("select k.* from kept k join wanted w using (source_record_id)")
    names = [d[0] for d in rows.description or ()]
    found = {}
    for values in rows.fetchall():
        record = dict(zip(names, values, strict=True))
        found[str(record["source_record_id"])] = feature_values(record)
    return found
