"""人口库 and 法人库: masters, the source records linked to them, and every observed value.

ID and phone numbers are never stored in clear: ``*_enc`` holds the SM4-GCM token (bound to its
column by the cipher's context) and ``*_bidx`` the blind index that exact searches use.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class MasterdataPerson(Base):
    """A person master (一人一档). Its values are the surviving ones among its source records
    (the first listed resource wins, then the latest); ``retired_into`` names the master it
    was merged into, after which it keeps no links."""

    __tablename__ = "masterdata_person"

    master_id: Mapped[str] = mapped_column(String(16), primary_key=True)  # P000000000001
    name: Mapped[str] = mapped_column(String(64), default="", index=True)
    id_number_enc: Mapped[str | None] = mapped_column(Text, default=None)
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    gender: Mapped[str | None] = mapped_column(String(8), default=None)
    birth_on: Mapped[date | None] = mapped_column(default=None)
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    address: Mapped[str | None] = mapped_column(String(255), default=None)
    region_code: Mapped[str] = mapped_column(String(15), index=True)  # town if known
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_into: Mapped[str | None] = mapped_column(String(16), default=None, index=True)


class MasterdataPersonLink(Base):
    """One source record (a hub row: ``<resource code>:<hub key>``) and its master, with the
    record's linkage features as the linkage compares them (normalised name and address, blind
    indexes of the ID and phone numbers, birth date, ID checksum validity). A loaded batch is
    linked against these features, found by the blocking keys' indexes, so it never rereads the
    population. ``id_number_valid`` is NULL for a link written before features were kept."""

    __tablename__ = "masterdata_person_link"
    __table_args__ = (Index("ix_masterdata_person_link_name_birth", "name_norm", "birth_date"),)

    source_record_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    master_id: Mapped[str] = mapped_column(ForeignKey("masterdata_person.master_id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    batch_id: Mapped[int] = mapped_column(Integer)  # the ingest batch of the linked version
    source_row: Mapped[int] = mapped_column(Integer)
    linked_at: Mapped[datetime]
    name_norm: Mapped[str | None] = mapped_column(String(64), default=None)
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    id_number_valid: Mapped[bool | None] = mapped_column(Boolean, default=None)
    birth_date: Mapped[str | None] = mapped_column(String(10), default=None)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    address_norm: Mapped[str | None] = mapped_column(String(255), default=None)


class MasterdataPersonAttribute(Base):
    """One value one source record gave for a master: the profile shows where each value came
    from and when. ``value`` is a token for id_number and phone (``value_bidx`` then set)."""

    __tablename__ = "masterdata_person_attribute"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    master_id: Mapped[str] = mapped_column(ForeignKey("masterdata_person.master_id"), index=True)
    source_record_id: Mapped[str] = mapped_column(String(160), index=True)
    attribute: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    value_bidx: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime]  # when the hub loaded the value


class MasterdataEntity(Base):
    """A legal-entity master (一企一档), linked deterministically (USCC, else name + address)."""

    __tablename__ = "masterdata_entity"

    master_id: Mapped[str] = mapped_column(String(16), primary_key=True)  # E000000000001
    uscc: Mapped[str | None] = mapped_column(String(18), default=None, index=True)
    name: Mapped[str] = mapped_column(String(200), default="", index=True)
    legal_rep_name: Mapped[str | None] = mapped_column(String(64), default=None)
    address: Mapped[str | None] = mapped_column(String(255), default=None)
    established_on: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str | None] = mapped_column(String(16), default=None)
    match_key: Mapped[str] = mapped_column(String(255), default="", index=True)  # name|address
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_into: Mapped[str | None] = mapped_column(String(16), default=None, index=True)


class MasterdataEntityLink(Base):
    __tablename__ = "masterdata_entity_link"

    source_record_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    master_id: Mapped[str] = mapped_column(ForeignKey("masterdata_entity.master_id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    batch_id: Mapped[int] = mapped_column(Integer)
    source_row: Mapped[int] = mapped_column(Integer)
    linked_at: Mapped[datetime]


class MasterdataEntityAttribute(Base):
    __tablename__ = "masterdata_entity_attribute"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    master_id: Mapped[str] = mapped_column(ForeignKey("masterdata_entity.master_id"), index=True)
    source_record_id: Mapped[str] = mapped_column(String(160), index=True)
    attribute: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    resource_code: Mapped[str] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime]


class MasterdataMerge(Base):
    """A master retired into another by a build (``domain`` person or entity)."""

    __tablename__ = "masterdata_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(16))
    retired_master_id: Mapped[str] = mapped_column(String(16), index=True)
    surviving_master_id: Mapped[str] = mapped_column(String(16), index=True)
    merged_at: Mapped[datetime]


class MasterdataLinkageModel(Base):
    """The trained Splink model (JSON) that later builds reuse, so a small new batch is scored
    with the weights learnt on the whole population; the newest row of a domain is in use.
    ``band_share`` is the share of scored pairs whose match weight fell between the review and
    the link threshold when the model was trained: the baseline that drift is measured against.
    """

    __tablename__ = "masterdata_linkage_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(16), index=True)
    model: Mapped[str] = mapped_column(Text)
    trained_records: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(16), default="build")  # build|manual|drift
    band_share: Mapped[float | None] = mapped_column(Float, default=None)


class MasterdataSource(Base):
    """A resource that feeds a base library, in the priority order a full build was given (0 is
    the authority). A loaded batch of one of these is linked into the masters at once."""

    __tablename__ = "masterdata_source"

    domain: Mapped[str] = mapped_column(String(16), primary_key=True)  # person | entity
    resource_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    priority: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime]


class MasterdataLinkageRun(Base):
    """One linkage run: a full build or one loaded batch. Pair counts feed the drift check."""

    __tablename__ = "masterdata_linkage_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # full | batch
    batch_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    model_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    new_records: Mapped[int] = mapped_column(Integer, default=0)
    changed_records: Mapped[int] = mapped_column(Integer, default=0)
    pairs_scored: Mapped[int] = mapped_column(Integer, default=0)
    pairs_band: Mapped[int] = mapped_column(Integer, default=0)
    review_queued: Mapped[int] = mapped_column(Integer, default=0)
    merges: Mapped[int] = mapped_column(Integer, default=0)
    new_masters: Mapped[int] = mapped_column(Integer, default=0)
    drift: Mapped[bool] = mapped_column(Boolean, default=False)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    ran_at: Mapped[datetime]


class MasterdataReviewPair(Base):
    """Two source records whose match weight fell between the review and the link threshold,
    waiting for a data steward (``pending``), or the steward's remembered decision: ``merged``
    (their masters were merged; they stay merged) or ``apart`` (不是同一人: their masters are
    never merged automatically). ``superseded``: the two ended in one master otherwise before
    anyone decided. ``record_l`` < ``record_r``; one row per pair."""

    __tablename__ = "masterdata_review_pair"
    __table_args__ = (UniqueConstraint("domain", "record_l", "record_r"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(16), default="person")
    record_l: Mapped[str] = mapped_column(String(160), index=True)
    record_r: Mapped[str] = mapped_column(String(160), index=True)
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    origin: Mapped[str] = mapped_column(String(16), default="linkage")  # linkage | split
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(128), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
