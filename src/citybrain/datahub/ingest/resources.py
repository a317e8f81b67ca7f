"""What a batch needs besides its source: the resource from the catalog, its compiled rule set,
the field cipher, and cached lookups (region codes, keys of referenced resources)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import BadInput
from citybrain.core.scope import Scope
from citybrain.datahub.quality import service as quality_service
from citybrain.datahub.quality.checks import CompiledRules, Lookups, compile_rules
from citybrain.datahub.quality.queries import resource_spec
from citybrain.datahub.quality.rules import ResourceSpec, RuleKind, effective_rules
from citybrain.regions.models import Region
from citybrain.regions.scope import normalise_code


def load_resource(session: Session, code: str, *, scope: Scope) -> ResourceSpec:
    """The catalog resource ``code`` as a spec (see ``quality.queries.resource_spec``)."""
    return resource_spec(session, code, scope=scope)


def field_cipher(settings: Settings) -> FieldCipher:
    """The cipher of sensitive hub items and quarantined rows (``field_key``,
    ``blind_index_key``)."""
    return FieldCipher(
        encryption_key=settings.key("field_key"), index_key=settings.key("blind_index_key")
    )


def region_lookup(session: Session) -> Callable[[str], bool]:
    """``exists(code)`` against every region code, read now in one query: checking the rows
    later never touches the session (the batch streams outside any transaction). Answers are
    cached for the batch (codes repeat a lot)."""
    codes = frozenset(session.execute(select(Region.code)).scalars())

    @lru_cache(maxsize=65536)
    def exists(code: str) -> bool:
        try:
            return normalise_code(code) in codes
        except BadInput:  # malformed code: not an existing region
            return False

    return exists


def reference_lookup(
    session: Session, store: HubStore, cipher: FieldCipher
) -> Callable[[str], Callable[[str], bool]]:
    """For a referenced resource: a membership test of a value among its hub keys. Keys of a
    sensitive key item are blind indexes, so the value is blind-indexed before the test.
    Called while the rules compile (the target resource is read then), never while rows
    are checked."""
    cache: dict[str, Callable[[str], bool]] = {}

    def for_resource(code: str) -> Callable[[str], bool]:
        if code not in cache:
            # A rule's reference target is read to compile the rule, not shown to anyone.
            target = load_resource(session, code, scope=Scope.system())
            keys = store.key_set(code)
            sensitive = bool(target.key_item) and target.item(target.key_item).sensitive
            if sensitive:
                cache[code] = lambda value: cipher.blind_index(value) in keys
            else:
                cache[code] = keys.__contains__
        return cache[code]

    return for_resource


def _no_regions(code: str) -> bool:
    return False  # no ``region`` rule is in force, so nothing asks


def compiled_rules(
    session: Session, resource: ResourceSpec, *, store: HubStore, cipher: FieldCipher
) -> CompiledRules:
    """Defaults from the catalog with the explicit ``quality_rule`` rows applied, compiled.
    Everything the checks look up is read here, so the result needs no session: the region
    codes (only when a ``region`` rule is in force) and referenced resources' hub keys."""
    rules = effective_rules(resource, quality_service.explicit_rules(session, resource.code))
    regions = (
        region_lookup(session) if any(r.kind is RuleKind.region for r in rules) else _no_regions
    )
    lookups = Lookups(regions, reference_lookup(session, store, cipher))
    return compile_rules(resource, rules, lookups)
