"""What a batch needs besides its source: the resource from the catalog, its compiled rule set,
the field cipher, and cached lookups (region codes, keys of referenced resources)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import BadInput
from citybrain.datahub.quality import service as quality_service
from citybrain.datahub.quality.checks import CompiledRules, Lookups, compile_rules
from citybrain.datahub.quality.queries import resource_spec
from citybrain.datahub.quality.rules import ResourceSpec, effective_rules
from citybrain.regions import queries as region_queries


def load_resource(session: Session, code: str, *, scope_region: str | None = None) -> ResourceSpec:
    """The catalog resource ``code`` as a spec (see ``quality.queries.resource_spec``)."""
    return resource_spec(session, code, scope_region=scope_region)


def field_cipher(settings: Settings) -> FieldCipher:
    """The cipher of sensitive hub items and quarantined rows (``field_key``,
    ``blind_index_key``)."""
    return FieldCipher(
        encryption_key=settings.key("field_key"), index_key=settings.key("blind_index_key")
    )


def region_lookup(session: Session) -> Callable[[str], bool]:
    """``exists(code)`` over the regions module, cached for the batch (codes repeat a lot)."""

    @lru_cache(maxsize=65536)
    def exists(code: str) -> bool:
        try:
            return region_queries.exists(session, code)
        except BadInput:  # malformed code: not an existing region
            return False

    return exists


def reference_lookup(
    session: Session, store: HubStore, cipher: FieldCipher
) -> Callable[[str], Callable[[str], bool]]:
    """For a referenced resource: a membership test of a value among its hub keys. Keys of a
    sensitive key item are blind indexes, so the value is blind-indexed before the test."""
    cache: dict[str, Callable[[str], bool]] = {}

    def for_resource(code: str) -> Callable[[str], bool]:
        if code not in cache:
            target = load_resource(session, code)
            keys = store.key_set(code)
            sensitive = bool(target.key_item) and target.item(target.key_item).sensitive
            if sensitive:
                cache[code] = lambda value: cipher.blind_index(value) in keys
            else:
                cache[code] = keys.__contains__
        return cache[code]

    return for_resource


def compiled_rules(
    session: Session, resource: ResourceSpec, *, store: HubStore, cipher: FieldCipher
) -> CompiledRules:
    """Defaults from the catalog with the explicit ``quality_rule`` rows applied, compiled."""
    rules = effective_rules(resource, quality_service.explicit_rules(session, resource.code))
    lookups = Lookups(region_lookup(session), reference_lookup(session, store, cipher))
    return compile_rules(resource, rules, lookups)
