"""Reads of the base libraries: search and profiles, masked unless told otherwise.

Searching by ID or phone number is exact and goes through the blind index (the number is
normalised as ingestion normalises it, then indexed), over the master's value and every value a
source gave, so a person is found by any number a department recorded. Masters outside the
reader's region are invisible (404, as if absent). Auditing the read is the caller's job
(:mod:`citybrain.datahub.masterdata.service`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import NotFound
from citybrain.core.masking import mask_value
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.masterdata.build import ATTRIBUTE_CONTEXT, MASTER_CONTEXT
from citybrain.datahub.masterdata.models import (
    MasterdataEntity,
    MasterdataEntityAttribute,
    MasterdataPerson,
    MasterdataPersonAttribute,
)
from citybrain.datahub.masterdata.schemas import (
    ENTITY_ATTRIBUTE_LABELS,
    PERSON_ATTRIBUTE_LABELS,
    AttributeValue,
    EntityPage,
    EntityProfile,
    EntitySummary,
    PersonPage,
    PersonProfile,
    PersonSummary,
    SearchKind,
)
from citybrain.datahub.quality.validators import (
    id15_to_18,
    normalize_mobile,
    normalize_resident_id,
)
from citybrain.regions import queries as region_queries

PERSON_MASKS = {"name": "name", "id_number": "id_number", "phone": "mobile", "address": "address"}
ENTITY_MASKS = {"legal_rep_name": "name"}
_ID_NUMBER = re.compile(r"\d{17}[\dX]|\d{15}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MAX_MERGE_HOPS = 16


def search_kind(q: str) -> tuple[SearchKind, str]:
    """What ``q`` is (ID number, mobile number or a name) and its normalised form."""
    text = q.strip()
    if not text:
        return SearchKind.all, ""
    folded = normalize_resident_id(text)
    if _ID_NUMBER.fullmatch(folded):
        return SearchKind.id_number, id15_to_18(folded) if len(folded) == 15 else folded
    mobile = normalize_mobile(text)
    if _MOBILE.fullmatch(mobile):
        return SearchKind.phone, mobile
    return SearchKind.name, text


def _masked(kind: str | None, value: str | None, unmasked: bool) -> str | None:
    if value is None or unmasked or kind is None:
        return value
    return mask_value(kind, value)


def search_persons(
    session: Session,
    *,
    q: str,
    page: PageParams,
    cipher: FieldCipher,
    scope: Scope,
) -> PersonPage:
    """Live masters matching ``q`` in the reader's region, masked, by master id."""
    kind, text = search_kind(q)
    person = MasterdataPerson
    query: Select[Any] = select(person).where(
        person.retired_into.is_(None),
        catalog_scope.covers_clause(scope, person.region_code),
    )
    if kind in (SearchKind.id_number, SearchKind.phone):
        index = cipher.blind_index(text)
        attribute = "id_number" if kind is SearchKind.id_number else "phone"
        column = person.id_number_bidx if kind is SearchKind.id_number else person.phone_bidx
        seen = select(MasterdataPersonAttribute.master_id).where(
            MasterdataPersonAttribute.value_bidx == index,
            MasterdataPersonAttribute.attribute == attribute,
        )
        query = query.where(or_(column == index, person.master_id.in_(seen)))
    elif kind is SearchKind.name:
        given = select(MasterdataPersonAttribute.master_id).where(
            MasterdataPersonAttribute.attribute == "name", MasterdataPersonAttribute.value == text
        )
        query = query.where(
            or_(person.name.startswith(text, autoescape=True), person.master_id.in_(given))
        )
    rows, total = paginate(session, query.order_by(person.master_id), page)
    region_names = region_queries.names_of(session, (m.region_code for m in rows))
    items = [
        PersonSummary(
            master_id=m.master_id,
            name=mask_value("name", m.name),
            id_number=_masked(
                "id_number", _decrypt(cipher, m.id_number_enc, "id_number"), unmasked=False
            ),
            gender=m.gender,
            birth_on=m.birth_on,
            region_code=m.region_code,
            region_name=region_names.get(m.region_code, ""),
            record_count=m.record_count,
        )
        for m in rows
    ]
    return PersonPage(items=items, total=total, page=page.page, size=page.size, kind=kind)


def _region_name(session: Session, code: str) -> str:
    return region_queries.name_of(session, code)


def _decrypt(cipher: FieldCipher, token: str | None, item: str) -> str | None:
    return None if token is None else cipher.decrypt(token, context=MASTER_CONTEXT.format(item))


def resolve_person(
    session: Session, master_id: str, *, scope: Scope
) -> tuple[MasterdataPerson, list[str]]:
    """The live master behind ``master_id`` (following merges) and the ids merged into it.

    NotFound ``person_not_found`` when absent or outside the reader's region."""
    master = session.get(MasterdataPerson, master_id)
    hops = 0
    while master is not None and master.retired_into is not None and hops < _MAX_MERGE_HOPS:
        master = session.get(MasterdataPerson, master.retired_into)
        hops += 1
    if master is None or not catalog_scope.covers(scope, master.region_code):
        raise NotFound(f"人口主档不存在: {master_id}", code="person_not_found", detail=master_id)
    merged = session.execute(
        select(MasterdataPerson.master_id)
        .where(MasterdataPerson.retired_into == master.master_id)
        .order_by(MasterdataPerson.master_id)
    ).scalars()
    return master, list(merged)


def person_profile(
    session: Session,
    *,
    master_id: str,
    cipher: FieldCipher,
    scope: Scope,
    unmasked: bool = False,
) -> PersonProfile:
    """一人一档 of ``master_id``: masked unless ``unmasked`` (the caller audits either)."""
    master, merged = resolve_person(session, master_id, scope=scope)
    rows = session.execute(
        select(MasterdataPersonAttribute)
        .where(MasterdataPersonAttribute.master_id == master.master_id)
        .order_by(MasterdataPersonAttribute.id)
    ).scalars()
    attributes = _grouped(
        [
            (
                a.attribute,
                cipher.decrypt(a.value, context=ATTRIBUTE_CONTEXT.format(a.attribute))
                if a.value_bidx is not None
                else a.value,
                a,
            )
            for a in rows
        ],
        labels=PERSON_ATTRIBUTE_LABELS,
        masks=PERSON_MASKS,
        unmasked=unmasked,
    )
    return PersonProfile(
        master_id=master.master_id,
        requested_id=master_id,
        masked=not unmasked,
        name=_masked("name", master.name, unmasked) or "",
        id_number=_masked(
            "id_number", _decrypt(cipher, master.id_number_enc, "id_number"), unmasked
        ),
        phone=_masked("mobile", _decrypt(cipher, master.phone_enc, "phone"), unmasked),
        gender=master.gender,
        birth_on=master.birth_on,
        address=_masked("address", master.address, unmasked),
        region_code=master.region_code,
        region_name=_region_name(session, master.region_code),
        record_count=master.record_count,
        updated_at=master.updated_at,
        merged_ids=merged,
        attributes=attributes,
    )


def _grouped(
    values: Sequence[tuple[str, str, MasterdataPersonAttribute | MasterdataEntityAttribute]],
    *,
    labels: dict[str, str],
    masks: dict[str, str],
    unmasked: bool,
) -> list[AttributeValue]:
    """One entry per attribute, value and resource: the newest observation, with a count."""
    order = {name: i for i, name in enumerate(labels)}
    groups: dict[tuple[str, str, str], AttributeValue] = {}
    for attribute, plain, row in values:
        key = (attribute, plain, row.resource_code)
        current = groups.get(key)
        if current is not None:
            current.records += 1
            if row.observed_at <= current.observed_at:
                continue
            current.batch_id, current.observed_at = row.batch_id, row.observed_at
            continue
        groups[key] = AttributeValue(
            attribute=attribute,
            label=labels.get(attribute, attribute),
            value=_masked(masks.get(attribute), plain, unmasked) or "",
            resource_code=row.resource_code,
            department_code=row.department_code,
            batch_id=row.batch_id,
            observed_at=row.observed_at,
        )
    return sorted(
        groups.values(),
        key=lambda a: (order.get(a.attribute, 99), a.resource_code, -a.observed_at.timestamp()),
    )


def search_entities(session: Session, *, q: str, page: PageParams, scope: Scope) -> EntityPage:
    """Live entity masters by credit code (exact) or name (contains), in the reader's region."""
    entity = MasterdataEntity
    text = q.strip()
    query: Select[Any] = select(entity).where(
        entity.retired_into.is_(None),
        catalog_scope.covers_clause(scope, entity.region_code),
    )
    if text:
        query = query.where(
            or_(entity.uscc == text.upper(), entity.name.contains(text, autoescape=True))
        )
    rows, total = paginate(session, query.order_by(entity.master_id), page)
    items = [
        EntitySummary(
            master_id=e.master_id,
            uscc=e.uscc,
            name=e.name,
            legal_rep_name=_masked("name", e.legal_rep_name, unmasked=False),
            status=e.status,
            established_on=e.established_on,
            record_count=e.record_count,
        )
        for e in rows
    ]
    return EntityPage(items=items, total=total, page=page.page, size=page.size)


def entity_profile(session: Session, *, master_id: str, scope: Scope) -> EntityProfile:
    """一企一档 of ``master_id`` (the legal representative's name masked, as the catalog says).

    NotFound ``entity_not_found`` when absent or outside the reader's region."""
    master = session.get(MasterdataEntity, master_id)
    hops = 0
    while master is not None and master.retired_into is not None and hops < _MAX_MERGE_HOPS:
        master = session.get(MasterdataEntity, master.retired_into)
        hops += 1
    if master is None or not catalog_scope.covers(scope, master.region_code):
        raise NotFound(f"法人主档不存在: {master_id}", code="entity_not_found", detail=master_id)
    rows = session.execute(
        select(MasterdataEntityAttribute)
        .where(MasterdataEntityAttribute.master_id == master.master_id)
        .order_by(MasterdataEntityAttribute.id)
    ).scalars()
    return EntityProfile(
        master_id=master.master_id,
        requested_id=master_id,
        uscc=master.uscc,
        name=master.name,
        legal_rep_name=_masked("name", master.legal_rep_name, unmasked=False),
        address=master.address,
        established_on=master.established_on,
        status=master.status,
        region_code=master.region_code,
        region_name=_region_name(session, master.region_code),
        record_count=master.record_count,
        updated_at=master.updated_at,
        attributes=_grouped(
            [(a.attribute, a.value, a) for a in rows],
            labels=ENTITY_ATTRIBUTE_LABELS,
            masks=ENTITY_MASKS,
            unmasked=False,
        ),
    )
