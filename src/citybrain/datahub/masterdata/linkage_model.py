"""The Fellegi-Sunter model of 人口库 linkage: configuration, comparisons, blocking, training.

Splink 5 (DuckDB backend) scores record pairs on five comparisons: name, ID number, birth date,
and phone with address as one joint comparison. The model is trained on the records being
linked (u by random sampling, m by EM on two blocked subsets) and regularised so that levels EM
never saw stay finite evidence. Everything here works on the normalised input table that
:mod:`citybrain.datahub.masterdata.linkage` prepares; nothing here reads or writes other tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException  # not re-exported publicly

__all__ = [
    "ID_CONFLICT_LABEL",
    "InsufficientTrainingData",
    "LinkageConfig",
    "blocking_rules",
    "gb11643_valid_sql",
    "settings_for",
    "train",
]

ID_CONFLICT_LABEL = "both valid GB 11643, different"


class InsufficientTrainingData(ValueError):
    """Too few records (or duplicates) to estimate the model: pass a trained model."""


@dataclass(frozen=True)
class LinkageConfig:
    """Tunable parts of the linkage model.

    ``trained_model`` (a dict from an earlier result's ``model``) skips training, which
    keeps small incremental batches consistent with the model trained on the full
    population; without it the model is trained on the records being linked.
    """

    def __post_init__(self) -> None:
        if self.review_match_weight > self.link_match_weight:
            raise ValueError("review_match_weight must not exceed link_match_weight")

    # Pairs at or above ``link_match_weight`` (log2 of the Bayes factor, prior included) are
    # linked; pairs from ``review_match_weight`` up to it go to the stewards' review queue;
    # pairs below are two persons. 3.17 is a match probability of 0.9.
    link_match_weight: float = 3.17
    review_match_weight: float = -2.0
    # Random record pairs sampled to estimate u (non-match agreement rates).
    u_max_pairs: float = 2e6
    # Blocked pairs used by each EM session that estimates m (match agreement rates).
    em_max_pairs: float = 1e6
    # Assumed recall of the deterministic rules used to estimate the prior match rate.
    deterministic_recall: float = 0.8
    seed: int = 7
    # Administrative prefixes stripped from the start of addresses before comparison,
    # so that "甘肃省张掖市民乐县洪水镇…" and "民乐县洪水镇…" compare equal.
    address_prefixes: tuple[str, ...] = ("甘肃省", "张掖市", "民乐县")
    name_term_frequencies: bool = True
    # Floor on m probabilities: EM cannot estimate levels it never sees among matches
    # (e.g. disagreeing birth dates when the training pairs have none); a floor keeps
    # such a level a strong, finite piece of evidence instead of an unknown.
    m_floor: float = 1e-3
    # m of "both ID numbers pass the GB 11643 checksum and differ".  The checksum
    # catches every single-digit error and transposition, so two valid, different
    # numbers belong to one person only if a wrong person's number was recorded.
    id_conflict_m: float = 1e-5
    trained_model: dict[str, Any] | None = None
    # True when ``id_number`` and ``phone`` hold blind indexes (keyed hashes of the
    # normalised values) instead of the numbers: they are then compared for equality only,
    # not normalised again, and the input must carry a boolean ``id_number_valid`` column
    # (whether the number behind the index passes GB 11643), computed before hashing.
    identifiers_are_blind_indexes: bool = False
    # ERROR by default: Splink warns about every level EM could not observe, which
    # _regularise() handles, and logs progress at INFO.
    splink_log_level: int = logging.ERROR


def gb11643_valid_sql(expr: str) -> str:
    """SQL: ``expr`` is an 18-character resident ID number with a valid check character.

    False for anything else, including a blind index, which then simply never reaches
    the "both valid and different" level.
    """
    terms = " + ".join(
        f"cast(substr({expr}, {i + 1}, 1) as integer) * {pow(2, 17 - i, 11)}" for i in range(17)
    )
    return (
        f"coalesce(regexp_full_match({expr}, '[0-9]{{17}}[0-9X]') and "
        f"substr('10X98765432', cast((case when regexp_full_match({expr}, '[0-9]{{17}}[0-9X]') "
        f"then {terms} else 0 end) % 11 as integer) + 1, 1) = substr({expr}, 18, 1), false)"
    )


def _one_character_different(col: str, lengths: str, max_len: int = 6) -> str:
    # DuckDB's levenshtein and jaro_winkler count UTF-8 bytes (a Han character is
    # three), so "one character different" is spelled out per character position.
    diffs = " + ".join(
        f"cast(substr({col}_l, {i}, 1) <> substr({col}_r, {i}, 1) as integer)"
        for i in range(1, max_len + 1)
    )
    return f"length({col}_l) = length({col}_r) and length({col}_l) {lengths} and ({diffs}) = 1"


def _contact_comparison(*, blind: bool) -> cl.CustomComparison:
    """Phone and address compared together.

    Members of a household share both (children and elderly give the household's
    phone), so among non-matches the two agree together far more often than the
    product of their separate agreement rates.  Scored apart, a parent and child with
    different names would collect the phone's and the address's weight twice; one
    comparison estimates their joint agreement once.

    With blind indexes (``blind``) the "one edit" levels are left out: two keyed hashes are
    never one edit apart, and an edit distance over 64 hex characters costs most of the
    training time for nothing.
    """
    phone_same = "phone_l = phone_r"
    phone_near = "damerau_levenshtein(phone_l, phone_r) <= 1"
    # Jaro-Winkler here runs on UTF-8 bytes, which is fine for long address strings.
    address_near = "jaro_winkler_similarity(address_l, address_r) >= 0.9"
    no_phone = "(phone_l is null or phone_r is null)"
    no_address = "(address_l is null or address_r is null)"
    near = [
        cll.CustomLevel(
            f"{phone_near} and ({address_near} or {no_address})",
            "phone one edit, similar or missing address",
        ),
        cll.CustomLevel(phone_near, "phone one edit, other address"),
    ]
    return cl.CustomComparison(
        output_column_name="phone_address",
        comparison_levels=[
            cll.CustomLevel(f"{no_phone} and {no_address}", "phone and address missing").configure(
                is_null_level=True
            ),
            cll.CustomLevel(
                f"{phone_same} and ({address_near} or {no_address})",
                "same phone, similar or missing address",
            ),
            cll.CustomLevel(phone_same, "same phone, other address"),
            *([] if blind else near),
            cll.CustomLevel("address_l = address_r", "other or missing phone, same address"),
            cll.CustomLevel(address_near, "other or missing phone, similar address"),
            cll.ElseLevel(),
        ],
    )


def blocking_rules(*, only_pairs_with_new: bool) -> list[str]:
    """Pairs to score: same ID number; same name and birth date; same phone.

    With existing masters, pairs of two already-linked records need no scoring: their
    link is given by the master assignment, so only pairs touching a new record count.
    """
    touch_new = " and (l.is_new or r.is_new)" if only_pairs_with_new else ""
    return [
        f"l.id_number = r.id_number{touch_new}",
        f"l.name = r.name and l.birth_date = r.birth_date{touch_new}",
        f"l.phone = r.phone{touch_new}",
    ]


def settings_for(config: LinkageConfig, *, only_pairs_with_new: bool) -> SettingsCreator:
    """The untrained Splink settings: comparisons and blocking rules."""
    blocking: list[Any] = list(blocking_rules(only_pairs_with_new=only_pairs_with_new))
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=config.name_term_frequencies),
            # In a three-character name one different character is a typo more often
            # than not; in a two-character name it is as often a sibling (same
            # surname), so the two get weights of their own.
            cll.CustomLevel(
                _one_character_different("name", "between 3 and 6"),
                "one character different, 3 to 6 characters",
            ),
            cll.CustomLevel(
                _one_character_different("name", "= 2"), "one character different, 2 characters"
            ),
            cll.ElseLevel(),
        ],
    )
    id_number = cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id_number"),
            cll.ExactMatchLevel("id_number"),
            # Only equality and checksum validity: the caller may pass a blind index
            # (keyed hash) instead of the plain number.
            cll.CustomLevel("id_number_valid_l and id_number_valid_r", ID_CONFLICT_LABEL),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="source_record_id",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            name,
            id_number,
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            _contact_comparison(blind=config.identifiers_are_blind_indexes),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(db_api: DuckDBAPI, input_table: str, config: LinkageConfig) -> dict[str, Any]:
    """Estimate the model on ``input_table``; return it as a Splink settings dict.

    Raises :class:`InsufficientTrainingData` when Splink finds no pairs to learn from.
    Splink's own tables are dropped before returning.
    """
    linker = Linker(
        db_api.register(input_table, table_name="__cb_link_training"),
        settings_for(config, only_pairs_with_new=False),
        log_level=config.splink_log_level,
    )
    try:
        training = linker.training
        try:
            training.estimate_probability_two_random_records_match(
                [block_on("id_number"), block_on("name", "birth_date", "phone")],
                recall=config.deterministic_recall,
            )
            training.estimate_u_using_random_sampling(
                max_pairs=config.u_max_pairs, seed=config.seed
            )
            # m by EM on two blocked subsets: each estimates the comparisons it does
            # not block on, so together they cover all five.
            for rule in (block_on("id_number"), block_on("name", "birth_date")):
                training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=config.em_max_pairs
                )
        except (EMTrainingException, ZeroDivisionError) as err:
            # Splink divides by the pair count, or finds no pairs to run EM on.
            raise InsufficientTrainingData(
                "too few records or duplicates to estimate the linkage model; pass "
                "LinkageConfig(trained_model=...) from a run on the whole population"
            ) from err
        model = linker.misc.save_model_to_json()
    finally:
        # Splink's table-management helpers are not annotated.
        linker.table_management.delete_tables_created_by_splink_from_db()  # type: ignore[no-untyped-call]
    return regularise(model, config)


def regularise(model: dict[str, Any], config: LinkageConfig) -> dict[str, Any]:
    """Floor the m probabilities of every comparison level; fill in missing u.

    Splink leaves a level untrained when the EM or sampling pairs never show it, and
    would then fall back on generic defaults at predict time.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            floor = (
                config.id_conflict_m
                if level.get("label_for_charts") == ID_CONFLICT_LABEL
                else config.m_floor
            )
            m = level.get("m_probability")
            level["m_probability"] = floor if m is None else max(float(m), floor)
            if level.get("u_probability") is None:
                # Not seen among random pairs either: no evidence either way.
                level["u_probability"] = level["m_probability"]
    return model
