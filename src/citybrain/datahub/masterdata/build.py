"""Building 人口库: hub person records → Splink linkage into stable masters → bulk writes.

Two ways in, one linkage (:mod:`~citybrain.datahub.masterdata.linking`):

* a **full build** (:func:`build_persons`) reads every current record of the listed resources
  and links those not linked yet (and those whose hub version changed); it registers the
  resources as the sources of 人口库, trains the model when none is stored, and fills in the
  linkage features of links written before features were kept;
* a **batch run** (:func:`link_person_batch`) reads only the rows one ingest batch loaded and
  scores them against the linked records that share a blocking key with them, found through
  the features on the links: a batch of ten thousand records never rereads the population.

The linkage sees blind indexes, never ID or phone numbers: exact-equality comparisons work on
them, and each record's checksum validity is computed before (from the decrypted number).
Records already linked keep their master; the stored model scores every run (the first build
trains it). Pairs in the band between the review and the link threshold whose records ended in
two masters are queued for the stewards (:mod:`~citybrain.datahub.masterdata.review`); masters
a steward kept apart are never merged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.clock import utcnow
from citybrain.core.crypto import FieldCipher
from citybrain.datahub.masterdata import drift, features, persist, review
from citybrain.datahub.masterdata.linkage import INPUT_TABLE, input_columns, prepare_input
from citybrain.datahub.masterdata.linkage_model import LinkageConfig
from citybrain.datahub.masterdata.linking import PersonLinkOutcome, link_persons, linkage_table
from citybrain.datahub.masterdata.masters import MasterMerge
from citybrain.datahub.masterdata.persist import PERSON_TABLES
from citybrain.datahub.masterdata.sources import (
    RowFilter,
    SourceInfo,
    SourceRecord,
    read_person_records,
    source_info,
)
from citybrain.datahub.masterdata.writing import (
    ATTRIBUTE_CONTEXT,
    MASTER_CONTEXT,
    link_row,
    person_attributes,
    person_reader,
    person_survivors,
    refresh_masters,
    refreshed_link,
    survivors,
    town_within_provider,
    write_touched_masters,
)

__all__ = [
    "ATTRIBUTE_CONTEXT",
    "MASTER_CONTEXT",
    "BuildReport",
    "build_persons",
    "link_person_batch",
    "survivors",
    "town_within_provider",
    "write_touched_masters",
]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What one build or batch run did."""

    domain: str  # person | entity
    records: int  # source records read from the hub
    new_records: int  # linked for the first time
    changed_records: int  # linked before, newer version in the hub: attributes refreshed
    new_masters: int
    linked_to_existing: int  # new records that joined a master that existed before
    merges: list[MasterMerge]
    masters: int  # live (not retired) masters after the build
    model_trained: bool
    seconds: float
    kind: str = "full"  # full | batch
    batch_id: int | None = None
    pairs_scored: int = 0
    pairs_band: int = 0  # scored pairs between the review and the link threshold
    review_queued: int = 0
    drift: bool = False

    def summary(self) -> dict[str, Any]:
        """Counts for the audit record and the CLI."""
        return {
            "kind": self.kind,
            "batch_id": self.batch_id,
            "records": self.records,
            "new_records": self.new_records,
            "changed_records": self.changed_records,
            "new_masters": self.new_masters,
            "linked_to_existing": self.linked_to_existing,
            "merges": len(self.merges),
            "masters": self.masters,
            "model_trained": self.model_trained,
            "pairs_scored": self.pairs_scored,
            "pairs_band": self.pairs_band,
            "review_queued": self.review_queued,
            "drift": self.drift,
            "seconds": round(self.seconds, 2),
        }


def build_persons(
    session: Session,
    *,
    hub: HubStore,
    sources: Sequence[SourceInfo],
    cipher: FieldCipher,
    config: LinkageConfig | None = None,
    retrain: bool = False,
) -> BuildReport:
    """See :func:`citybrain.datahub.masterdata.service.rebuild_persons`."""
    started, now = time.perf_counter(), utcnow()
    persist.register_sources(session, "person", [s.resource_code for s in sources], now=now)
    records = read_person_records(hub, sources, cipher)
    links = persist.existing_links(session, PERSON_TABLES)
    new, changed = _new_and_changed(records, links)
    stored = None if retrain else persist.stored_model(session, "person")
    config = config or LinkageConfig()
    from_store = config.trained_model is None and stored is not None
    model = stored.model if from_store and stored is not None else config.trained_model
    config = dataclasses.replace(config, trained_model=model, identifiers_are_blind_indexes=True)
    refreshing = {r.source_record_id for r in changed}
    legacy = features.unfeatured_links(session)
    outcome = None
    if new or changed or legacy:
        outcome = link_persons(
            to_link=linkage_table([*new, *changed]),
            existing=linkage_table(
                [r for r in records if r.source_record_id in links
                 and r.source_record_id not in refreshing]
            ),
            links={srid: master for srid, (master, _) in links.items()},
            config=config,
            number_after=persist.last_issued_number(session, PERSON_TABLES),
            apart=review.apart_masters(session),
            features_of={r.source_record_id for r in (*new, *changed)} | legacy,
        )  # fmt: skip
    model_id = stored.id if from_store and stored is not None else None
    if outcome is not None and outcome.learnt is not None:
        share = outcome.pairs_band / outcome.pairs_scored if outcome.pairs_scored else None
        model_id = persist.store_model(
            session, "person", outcome.learnt, records=len(records), now=now, band_share=share
        )
    assignment = {srid: master for srid, (master, _) in links.items()}
    existing = set(assignment.values())
    if outcome is not None:
        assignment.update(outcome.assignment)
        _write(session, outcome, new, changed, records, assignment, existing, cipher, now)
        _backfill_features(session, outcome, legacy - refreshing)
    return _finish(
        session, "full", None, records, new, changed, outcome, model_id, assignment, existing,
        started, now,
    )  # fmt: skip


def link_person_batch(
    session: Session,
    *,
    hub: HubStore,
    batch_id: int,
    resource_code: str,
    cipher: FieldCipher,
    config: LinkageConfig | None = None,
) -> BuildReport | None:
    """See :func:`citybrain.datahub.masterdata.service.link_batch`."""
    codes = persist.registered_sources(session, "person")
    if resource_code not in codes:
        return None
    sources = source_info(session, codes)
    stored = persist.stored_model(session, "person")
    if stored is None or features.links_without_features(session):
        return build_persons(session, hub=hub, sources=sources, cipher=cipher, config=config)
    started, now = time.perf_counter(), utcnow()
    source = next(s for s in sources if s.resource_code == resource_code)
    batch = read_person_records(
        hub, [source], cipher, rows={resource_code: RowFilter(batch_id=batch_id)}
    )
    links = persist.links_of(session, PERSON_TABLES, [r.source_record_id for r in batch])
    new, changed = _new_and_changed(batch, links)
    config = dataclasses.replace(
        config or LinkageConfig(), trained_model=stored.model, identifiers_are_blind_indexes=True
    )
    outcome, assignment, existing = None, {s: m for s, (m, _) in links.items()}, set()
    if new or changed:
        to_link = linkage_table([*new, *changed])
        keys = _blocking_keys(to_link, config)
        pool, pool_masters = features.candidates(
            session, id_numbers=keys.ids, name_births=keys.name_births, phones=keys.phones,
            exclude={r.source_record_id for r in batch},
        )  # fmt: skip
        run_links = {**pool_masters, **assignment}
        existing = set(run_links.values())
        outcome = link_persons(
            to_link=to_link,
            existing=pool,
            links=run_links,
            config=config,
            number_after=persist.last_issued_number(session, PERSON_TABLES),
            apart=review.apart_masters(session, among=existing),
            name_frequencies=features.name_frequencies(session, keys.names),
        )
        assignment = _whole_masters(session, outcome)
        _write(session, outcome, new, changed, batch, assignment, existing, cipher, now, hub=hub)
    return _finish(
        session, "batch", batch_id, batch, new, changed, outcome, stored.id, assignment,
        existing, started, now, baseline=stored.band_share,
    )  # fmt: skip


# --- shared steps ---------------------------------------------------------------------------


def _new_and_changed(
    records: Sequence[SourceRecord], links: Mapping[str, tuple[str, int]]
) -> tuple[list[SourceRecord], list[SourceRecord]]:
    new = [r for r in records if r.source_record_id not in links]
    changed = [
        r
        for r in records
        if r.source_record_id in links and links[r.source_record_id][1] != r.batch_id
    ]
    return new, changed


@dataclass(frozen=True, slots=True)
class _Keys:
    ids: set[str]
    name_births: set[tuple[str, str]]
    phones: set[str]
    names: list[str | None]


def _blocking_keys(to_link: Any, config: LinkageConfig) -> _Keys:
    """The normalised blocking keys of the records to link (as the linkage will see them)."""
    con = duckdb.connect()
    try:
        con.register("to_link", to_link)
        cols = ", ".join(input_columns(config))
        prepare_input(con, f"select {cols}, true as is_new from to_link", config)  # noqa: S608
        rows = con.execute(
            f"select name, birth_date, id_number, phone from {INPUT_TABLE}"  # noqa: S608
        ).fetchall()
    finally:
        con.close()
    return _Keys(
        ids={str(i) for _, _, i, _ in rows if i},
        name_births={(str(n), str(b)) for n, b, _, _ in rows if n and b},
        phones={str(p) for _, _, _, p in rows if p},
        names=[n for n, _, _, _ in rows],
    )


def _whole_masters(session: Session, outcome: PersonLinkOutcome) -> dict[str, str]:
    """Every record of the masters the run touched, with its master after the run: the links
    as stored (records of a retired master move to its survivor), then the run's own."""
    survivor = {m.retired_master_id: m.surviving_master_id for m in outcome.merges}
    touched = set(outcome.assignment.values()) | set(survivor)
    stored = persist.records_of_masters(session, PERSON_TABLES, touched)
    assignment = {srid: survivor.get(master, master) for srid, master in stored.items()}
    assignment.update(outcome.assignment)
    return assignment


def _write(
    session: Session,
    outcome: PersonLinkOutcome,
    new: Sequence[SourceRecord],
    changed: Sequence[SourceRecord],
    records: Sequence[SourceRecord],
    assignment: Mapping[str, str],
    existing: set[str],
    cipher: FieldCipher,
    now: dt.datetime,
    *,
    hub: HubStore | None = None,
) -> None:
    """Masters (touched ones recomputed; ``existing`` names those stored before the run),
    merges, links with features, attributes."""
    touched = {assignment[r.source_record_id] for r in (*new, *changed)}
    touched |= {m.surviving_master_id for m in outcome.merges}
    if hub is None:  # a full build holds every record
        write_touched_masters(
            session, PERSON_TABLES, records, assignment, touched=touched, existing=existing,
            now=now, survivors_of=person_survivors(cipher),
        )  # fmt: skip
    else:
        refresh_masters(
            session, tables=PERSON_TABLES, read=person_reader(hub, cipher),
            survivors_of=person_survivors(cipher), assignment=assignment, touched=touched,
            existing=existing, known=records, now=now,
        )  # fmt: skip
    persist.apply_merges(session, PERSON_TABLES, outcome.merges, now=now)
    found = outcome.features
    persist.write_links(
        session,
        PERSON_TABLES,
        inserted=[
            link_row(r, assignment[r.source_record_id], now, found.get(r.source_record_id))
            for r in new
        ],
        refreshed=[refreshed_link(r, now, found.get(r.source_record_id)) for r in changed],
    )
    persist.replace_attributes(
        session,
        PERSON_TABLES,
        cleared=[r.source_record_id for r in changed],
        rows=[row for r in (*new, *changed) for row in person_attributes(r, assignment, cipher)],
    )


def _backfill_features(session: Session, outcome: PersonLinkOutcome, srids: set[str]) -> None:
    """Features of links written before features were kept; a link whose record is gone from
    the hub (or from the sources) gets empty features, so it no longer counts as unfeatured."""
    empty = dict.fromkeys(features.FEATURES, None) | {"id_number_valid": False}
    rows = [
        {"source_record_id": srid, **outcome.features.get(srid, empty)} for srid in sorted(srids)
    ]
    persist.write_links(session, PERSON_TABLES, inserted=[], refreshed=rows)


def _finish(
    session: Session,
    kind: str,
    batch_id: int | None,
    records: Sequence[SourceRecord],
    new: Sequence[SourceRecord],
    changed: Sequence[SourceRecord],
    outcome: PersonLinkOutcome | None,
    model_id: int | None,
    assignment: Mapping[str, str],
    existing_masters: set[str],
    started: float,
    now: dt.datetime,
    *,
    baseline: float | None = None,
) -> BuildReport:
    """Queue the band pairs, close pairs linked meanwhile, record the run and its drift."""
    scored = outcome.pairs_scored if outcome is not None else 0
    band = outcome.pairs_band if outcome is not None else 0
    merges = outcome.merges if outcome is not None else []
    new_masters = len({assignment[r.source_record_id] for r in new} - existing_masters)
    seen = drift.status(
        session, domain="person", model_id=model_id, baseline=baseline, adding=(scored, band)
    )
    drifted = kind == "batch" and seen.drift
    counts = drift.RunCounts(
        "person", kind, batch_id, model_id, len(records), len(new), len(changed), scored, band,
        0, len(merges), new_masters, time.perf_counter() - started,
    )  # fmt: skip
    run = drift.record_run(session, counts, drift=drifted, now=now)
    if outcome is not None:
        run.review_queued = review.queue_pairs(session, pairs=outcome.band, run_id=run.id, now=now)
        review.supersede_linked(session)
    session.flush()
    return BuildReport(
        domain="person",
        records=len(records),
        new_records=len(new),
        changed_records=len(changed),
        new_masters=new_masters,
        linked_to_existing=outcome.linked_to_existing if outcome is not None else 0,
        merges=list(merges),
        masters=persist.live_count(session, PERSON_TABLES),
        model_trained=outcome is not None and outcome.learnt is not None,
        seconds=time.perf_counter() - started,
        kind=kind,
        batch_id=batch_id,
        pairs_scored=scored,
        pairs_band=band,
        review_queued=run.review_queued,
        drift=drifted,
    )
