"""Commands and reads of screens (屏端管理) and the board navigation (板块导航).

A screen's key is an ordinary API key (``iam.apikeys``) with the scopes ``boards:view`` and
``indicators:read`` and the screen's region, so every route that serves a board already refuses
it outside that region, after revocation or past expiry, and it can never write. Revoking the
screen revokes the key at once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.boards import catalog
from citybrain.boards.models import BoardScreen
from citybrain.boards.permissions import VIEW
from citybrain.boards.schemas import BoardNavItem, ScreenCreate, ScreenCreated, ScreenRead
from citybrain.core.audit import service as audit
from citybrain.core.audit.reads import record_read
from citybrain.core.clock import utcnow
from citybrain.core.errors import NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.iam import apikeys
from citybrain.iam.models import ApiKey
from citybrain.indicators.models import Indicator, IndicatorBoard, IndicatorSet
from citybrain.indicators.queries import seen_clause
from citybrain.indicators.workflow import RevisionStatus
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import normalise_code

SCREEN_SCOPES = (VIEW, "indicators:read")


def board_navigation(session: Session, *, scope: Scope) -> list[BoardNavItem]:
    """The three boards with the number of published indicators the caller sees in each."""
    counts = dict(
        session.execute(
            select(IndicatorBoard.name, func.count(Indicator.id))
            .join(IndicatorSet, IndicatorSet.board_id == IndicatorBoard.id)
            .join(Indicator, Indicator.set_id == IndicatorSet.id)
            .where(
                Indicator.status == RevisionStatus.published.value,
                seen_clause(scope, Indicator.region_code),
            )
            .group_by(IndicatorBoard.name)
        ).all()
    )
    return [
        BoardNavItem(
            code=board.code,
            name=board.name,
            description=board.description,
            path=f"/boards/{board.code}",
            indicators=int(counts.get(board.name, 0)),
        )
        for board in catalog.BOARDS
    ]


def create_screen(session: Session, *, spec: ScreenCreate, scope: Scope) -> ScreenCreated:
    """Register a screen and make its key (shown only in the answer). PermissionDenied
    ``region_out_of_scope`` outside the caller's region; NotFound ``region_not_found``. Audited
    ``boards.screen.create`` (never the key)."""
    region = normalise_code(spec.region_code)
    if not scope.covers_region(region):
        raise PermissionDenied("只能为本辖区登记屏端", code="region_out_of_scope", detail=region)
    region_queries.get(session, region)
    key, plain = apikeys.create_api_key(
        session, name=f"屏端: {spec.name}", region_code=region, scopes=list(SCREEN_SCOPES),
        days=spec.days,
    )  # fmt: skip
    key.created_by = scope.actor
    screen = BoardScreen(
        name=spec.name, region_code=region, width=spec.width, height=spec.height,
        boards=json.dumps(spec.boards), rotate_seconds=spec.rotate_seconds, api_key_id=key.id,
        created_by=scope.actor, created_at=utcnow(),
    )  # fmt: skip
    session.add(screen)
    session.flush()
    audit.record(
        session, action="boards.screen.create", object_type="board_screen",
        object_id=str(screen.id), region_code=region,
        detail={"name": spec.name, "boards": spec.boards, "size": f"{spec.width}x{spec.height}",
                "key_prefix": key.key_prefix},
    )  # fmt: skip
    read = _read(session, [(screen, key)])[0]
    query = urlencode({"region": region, "key": plain})
    return ScreenCreated(**read.model_dump(), key=plain, url=f"/boards/{spec.boards[0]}?{query}")


def revoke_screen(session: Session, *, screen_id: int, scope: Scope) -> ScreenRead:
    """Revoke the screen's key at once (idempotent). NotFound ``screen_not_found`` outside the
    caller's region. Audited ``boards.screen.revoke``."""
    screen, key = _get(session, screen_id, scope)
    if screen.revoked_at is None:
        screen.revoked_at = utcnow()
        apikeys.revoke_api_key(session, key=key)
        audit.record(
            session, action="boards.screen.revoke", object_type="board_screen",
            object_id=str(screen.id), region_code=screen.region_code, detail={"name": screen.name},
        )  # fmt: skip
    return _read(session, [(screen, key)])[0]


def list_screens(session: Session, *, scope: Scope) -> list[ScreenRead]:
    """The screens of the caller's region and below, newest first."""
    query = select(BoardScreen, ApiKey).join(ApiKey, ApiKey.id == BoardScreen.api_key_id)
    if not scope.unrestricted:
        query = query.where(region_queries.within_scope(BoardScreen.region_code, scope.region_code))
    rows = session.execute(query.order_by(BoardScreen.id.desc())).all()
    return _read(session, [(screen, key) for screen, key in rows])


def current_screen(session: Session, *, api_key_id: int) -> ScreenRead:
    """The screen whose key made this request (what the board page runs). NotFound
    ``screen_not_found`` for a key that is no screen's. Every use is audited
    ``boards.screen.use``, appended beside the read."""
    row = session.execute(
        select(BoardScreen, ApiKey)
        .join(ApiKey, ApiKey.id == BoardScreen.api_key_id)
        .where(BoardScreen.api_key_id == api_key_id)
    ).first()
    if row is None:
        raise NotFound("该密钥不是屏端密钥", code="screen_not_found")
    screen, key = row
    record_read(
        session, action="boards.screen.use", object_type="board_screen",
        object_id=str(screen.id), region_code=screen.region_code, detail={"name": screen.name},
    )  # fmt: skip
    return _read(session, [(screen, key)])[0]


def _get(session: Session, screen_id: int, scope: Scope) -> tuple[BoardScreen, ApiKey]:
    row = session.execute(
        select(BoardScreen, ApiKey)
        .join(ApiKey, ApiKey.id == BoardScreen.api_key_id)
        .where(BoardScreen.id == screen_id)
    ).first()
    if row is None or not scope.covers_region(row[0].region_code):
        raise NotFound("屏端不存在", code="screen_not_found", detail=screen_id)
    return row[0], row[1]


def _read(session: Session, rows: Sequence[tuple[BoardScreen, ApiKey]]) -> list[ScreenRead]:
    names = region_queries.names_of(session, {screen.region_code for screen, _ in rows})
    return [
        ScreenRead(
            id=screen.id,
            name=screen.name,
            region_code=screen.region_code,
            region_name=names.get(screen.region_code, screen.region_code),
            width=screen.width,
            height=screen.height,
            boards=json.loads(screen.boards),
            rotate_seconds=screen.rotate_seconds,
            key_prefix=key.key_prefix,
            created_by=screen.created_by,
            created_at=screen.created_at,
            revoked_at=screen.revoked_at,
            last_used_at=key.last_used_at,
        )
        for screen, key in rows
    ]
