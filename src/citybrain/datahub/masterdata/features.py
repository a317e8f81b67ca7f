"""The linkage features kept on each person link, and the candidates a loaded batch is scored
against.

A record's features are its values as the linkage compares them: the normalised name and
address, the blind indexes of its ID and phone numbers, its birth date and whether its ID
number passes GB 11643. They are written with the link, so linking a batch needs only the
records that share a blocking key with it (same ID number; same name and birth date; same
phone), found through the link table's indexes, not the whole population from the hub. The
name term frequencies are counted over the same table, so a batch is scored with the
population's frequencies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
from sqlalchemy import String, and_, column, func, select, values
from sqlalchemy.orm import Session

from citybrain.datahub.masterdata.models import MasterdataPersonLink
from citybrain.datahub.masterdata.persist import chunks

# link column ← linkage column (see linkage.PERSON_COLUMNS, blind-index mode)
FEATURES: dict[str, str] = {
    "name_norm": "name",
    "id_number_bidx": "id_number",
    "id_number_valid": "id_number_valid",
    "birth_date": "birth_date",
    "phone_bidx": "phone",
    "address_norm": "address",
}
LINKAGE_SCHEMA = pa.schema(
    [
        ("source_record_id", pa.string()),
        ("source", pa.string()),
        ("name", pa.string()),
        ("id_number", pa.string()),
        ("birth_date", pa.string()),
        ("phone", pa.string()),
        ("address", pa.string()),
        ("id_number_valid", pa.bool_()),
    ]
)
_LOOKUP_CHUNK = 400


def feature_values(linkage_row: Mapping[str, Any]) -> dict[str, Any]:
    """The link columns of one normalised linkage row (names of ``linkage.PERSON_COLUMNS``)."""
    values = {column: linkage_row.get(source) for column, source in FEATURES.items()}
    values["name_norm"] = (values["name_norm"] or None) and str(values["name_norm"])[:64]
    values["address_norm"] = (values["address_norm"] or None) and str(values["address_norm"])[:255]
    values["id_number_valid"] = bool(values["id_number_valid"])
    return values


def links_without_features(session: Session) -> bool:
    """Whether a link was written before features were kept (a full build fills them in)."""
    link = MasterdataPersonLink
    first = session.execute(
        select(link.source_record_id).where(link.id_number_valid.is_(None)).limit(1)
    ).first()
    return first is not None


def unfeatured_links(session: Session) -> set[str]:
    """The source records of the links without features."""
    link = MasterdataPersonLink
    rows = session.execute(select(link.source_record_id).where(link.id_number_valid.is_(None)))
    return {str(r) for r in rows.scalars()}


def candidates(
    session: Session,
    *,
    id_numbers: Collection[str],
    name_births: Collection[tuple[str, str]],
    phones: Collection[str],
    exclude: Collection[str],
) -> tuple[Any, dict[str, str]]:
    """Linked records sharing a blocking key with the batch: their linkage table (Arrow, the
    columns of ``LINKAGE_SCHEMA``) and their masters. ``exclude`` names the batch's own
    records (they are linked as the batch, not as candidates)."""
    link = MasterdataPersonLink
    columns = (
        link.source_record_id, link.resource_code, link.name_norm, link.id_number_bidx,
        link.birth_date, link.phone_bidx, link.address_norm, link.id_number_valid,
        link.master_id,
    )  # fmt: skip
    found: dict[str, tuple[Any, ...]] = {}
    lookups: list[Any] = []
    for part in chunks(sorted(id_numbers), _LOOKUP_CHUNK):
        lookups.append(select(*columns).where(link.id_number_bidx.in_(part)))
    for part in chunks(sorted(phones), _LOOKUP_CHUNK):
        lookups.append(select(*columns).where(link.phone_bidx.in_(part)))
    for pairs in chunks(sorted(name_births), _LOOKUP_CHUNK):
        # A join with the pairs as a VALUES list: SQLite scans the whole table for a row-value
        # IN, and probes the (name_norm, birth_date) index once per pair for this.
        wanted = (
            values(column("name", String), column("born", String), name="wanted")
            .data(list(pairs))
            .cte("wanted")
        )
        lookups.append(
            select(*columns).join(
                wanted, and_(link.name_norm == wanted.c.name, link.birth_date == wanted.c.born)
            )
        )
    for query in lookups:
        for row in session.execute(query):
            found.setdefault(str(row[0]), tuple(row))
    excluded = set(exclude)
    rows = [r for srid, r in sorted(found.items()) if srid not in excluded]
    table = pa.table(
        [pa.array([r[i] for r in rows], LINKAGE_SCHEMA.field(i).type) for i in range(8)],
        schema=LINKAGE_SCHEMA,
    )
    return table, {str(r[0]): str(r[8]) for r in rows}


def name_frequencies(session: Session, batch_names: Iterable[str | None]) -> Any:
    """Term frequencies (``name``, ``tf_name``) of the batch's names over the linked population
    and the batch together, as Splink would count them over all records."""
    link = MasterdataPersonLink
    extra: dict[str, int] = {}
    for name in batch_names:
        if name:
            extra[name] = extra.get(name, 0) + 1
    total = int(
        session.execute(
            select(func.count()).select_from(link).where(link.name_norm.is_not(None))
        ).scalar_one()
    )
    counts = dict(extra)
    for part in chunks(sorted(extra), _LOOKUP_CHUNK):
        rows = session.execute(
            select(link.name_norm, func.count())
            .where(link.name_norm.in_(part))
            .group_by(link.name_norm)
        )
        for name, count in rows:
            counts[str(name)] += int(count)
    denominator = max(total + sum(extra.values()), 1)
    names = sorted(counts)
    return pa.table(
        {
            "name": pa.array(names, pa.string()),
            "tf_name": pa.array([counts[n] / denominator for n in names], pa.float64()),
        }
    )
