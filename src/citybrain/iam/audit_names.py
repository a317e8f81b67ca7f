"""What the audit ledger shows for an account and a role: iam's side of the
:mod:`citybrain.core.audit.directory` port, installed with the principal resolver."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.iam.models import Role, User
from citybrain.iam.permissions import ROLE_TITLES
from citybrain.regions import queries as region_queries


class IamAuditDirectory:
    def actor_names(self, session: Session, actors: Collection[str]) -> Mapping[str, str]:
        if not actors:
            return {}
        query = select(User.username, User.display_name).where(User.username.in_(actors))
        return {name: shown for name, shown in session.execute(query) if shown}

    def role_titles(self, session: Session, roles: Collection[str]) -> Mapping[str, str]:
        titles = {name: ROLE_TITLES[name] for name in roles if name in ROLE_TITLES}
        rest = set(roles) - titles.keys()
        if rest:
            query = select(Role.name, Role.title_zh).where(Role.name.in_(rest))
            titles.update({name: title for name, title in session.execute(query) if title})
        return titles

    def region_names(self, session: Session, codes: Collection[str]) -> Mapping[str, str]:
        return region_queries.names_of(session, [code for code in codes if code])
